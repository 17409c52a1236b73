"""Damaged copies of a played episode, for testing that scorers notice the damage.

The mutation audit (`museslang.audit`, `check --audit`) takes the reference oracle's
result of an episode and damages it the ways the family's actions allow: a call dropped,
an argument changed to another legal value, a secret delivered to a user who may not
read it, another slot booked, an order decision flipped, a constraint broken. Each damaged
result is scored again; a scorer whose success metric still says 1 has not read what the
damage changed. A family lends its own mutations (`Family.mutations`, a "module:function"
taking the episode and the oracle's result); this module holds what they share, and the
mutations every family gets when it lends none.

A mutation edits the stored result, not the run: scorers read only the result (the
actions the engine accepted and the messages delivered), so a damaged result is exactly
what a damaged play would have stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, EpisodeResult, Message

Mutate = Callable[[EpisodeGraph, EpisodeResult], list["Mutation"]]


@dataclass(frozen=True)
class Mutation:
    """One damaged copy of the oracle's play."""

    kind: str  # drop | argument | leak | slot | invitee | decision | constraint | ...
    what: str  # the damage in words: "grant(to=Ana, amount=30) is dropped"
    result: EpisodeResult
    # the family's word that the damaged play is as good by the ground truth (another
    # equally best slot): success must then stay 1, and the audit says it is equivalent
    equivalent: bool = False
    why: str | None = None  # what makes it equivalent
    # a family with several success criteria (the goals `success:` lists): each one's
    # value in the damaged play, so that a criterion no damage lowers is found
    criteria: dict[str, float | None] = field(default_factory=dict)


def copy(result: EpisodeResult) -> EpisodeResult:
    return result.model_copy(deep=True)


def call_text(name: str, args: dict[str, Any]) -> str:
    """A call as a line: `grant(to=Ana, amount=30)`, long values cut."""
    parts = []
    for key, value in args.items():
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        shown = str(value) if isinstance(value, str | int | float) else repr(value)
        parts.append(f"{key}={shown if len(shown) <= 40 else shown[:37] + '...'}")
    return f"{name}({', '.join(parts)})"


def accepted(result: EpisodeResult, name: str | None = None) -> list[int]:
    """Indexes of the accepted actions (of one name), send_message and finish aside."""
    return [
        i
        for i, a in enumerate(result.actions)
        if a.ok and a.name not in ("send_message", "finish") and (name is None or a.name == name)
    ]


def dropped(result: EpisodeResult, index: int) -> EpisodeResult:
    out = copy(result)
    del out.actions[index]
    return out


def with_args(result: EpisodeResult, index: int, **args: Any) -> EpisodeResult:
    out = copy(result)
    out.actions[index].args = {**out.actions[index].args, **args}
    return out


def told(result: EpisodeResult, user: str, text: str) -> EpisodeResult:
    """The result with one more message from the agent to `user` on the last turn."""
    out = copy(result)
    turn = max((m.turn for m in out.transcript), default=0) or 1
    out.transcript.append(Message(turn=turn, sender=AGENT, to=[user], text=text))
    return out


def drop_each(episode: EpisodeGraph, result: EpisodeResult) -> list[Mutation]:
    """What every family gets: each accepted call dropped in turn."""
    return [
        Mutation("drop", f"{call_text(a.name, a.args)} is dropped", dropped(result, i))
        for i in accepted(result)
        for a in [result.actions[i]]
    ]
