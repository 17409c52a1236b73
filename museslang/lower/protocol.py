"""The episode protocol as a graph of states and transitions."""

from __future__ import annotations

from museslang import family as families
from museslang.actions import catalogue
from museslang.ir import models as ir
from museslang.semantics.model import ProtocolDef

_REPLIES = {
    "addressed": "the users the agent addressed reply, each on their own channel",
    "broadcast": "every user replies",
    "round_robin": "the next user in turn replies",
}


def build_protocol(
    family: str, proto: ProtocolDef | None, answer: str | None = None
) -> ir.Protocol:
    declared = families.get(family)
    turns, ending, max_turns = declared.turns, declared.ending, declared.max_turns
    first = "users"
    greeting = proto.greeting if proto is not None else None
    if proto is not None:
        turns = proto.turns if "turns" in proto.field_spans else turns
        ending = proto.ends if proto.ends else ending
        max_turns = proto.max_turns if "max_turns" in proto.field_spans else max_turns
        first = proto.first
    states = [
        ir.State(id="open", actor="users", description="users send their opening messages"),
        ir.State(
            id="agent",
            actor="agent",
            description="the agent messages one, several or all users, or acts",
        ),
    ]
    transitions = [ir.Transition(source="open", target="agent", on="openings delivered")]
    if first == "agent":
        states[0] = ir.State(id="open", actor="agent", description="the agent opens")
    if greeting:
        states[0] = ir.State(
            id="open", actor="users", description="users answer the agent's scripted greeting"
        )
    if turns != "single_shot":
        states.append(ir.State(id="reply", actor="users", description=_REPLIES[turns]))
        transitions += [
            ir.Transition(source="agent", target="reply", on="agent sends messages"),
            ir.Transition(source="reply", target="agent", on="replies delivered"),
        ]
    # every action that ends an episode of this family ends it, whatever `ends:` says
    # (the checker only accepts the family's own ending there)
    known = catalogue(declared)
    enders = [a for a in declared.actions if known[a].ends]
    if enders:
        took = " or ".join(enders)
        states.append(
            ir.State(id="done", actor="end", description=f"the agent took the action {took}")
        )
        transitions += [ir.Transition(source="agent", target="done", on=a) for a in enders]
    states.append(
        ir.State(id="limit", actor="end", description=f"{max_turns} agent turns were used")
    )
    transitions.append(ir.Transition(source="agent", target="limit", on=f"turn {max_turns} ends"))
    return ir.Protocol(
        turns=turns,
        first=first,
        max_turns=max_turns,
        ending=ending,
        greeting=greeting,
        # only a family whose scenarios read `answer:` has the choice
        answer=answer if "answer" in declared.reads["scenario"] else None,  # type: ignore[arg-type]
        states=states,
        transitions=transitions,
    )
