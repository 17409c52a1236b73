"""Reference policies: agents that need no model and bound every metric.

`oracle` acts on the compiled ground truth (perfect privacy and utility, the
best slot in the fewest turns, the right accept/reject set); `comply` does
whatever the latest speaker asks and shares anything; `refuse` never shares
and never commits. They read the transcript like any agent would, so they
also run against LLM-simulated users.
"""

from __future__ import annotations

import json

from museslang.instructions.compose import compose, compose_most
from museslang.instructions.conflicts import Rule
from museslang.lower.seeds import pick
from museslang.runtime.actions import (
    EVERYONE,
    Action,
    Answer,
    DecideOrders,
    FinalizeMeeting,
    Rejection,
    SendMessage,
    ShareResource,
)
from museslang.runtime.agents import AGENTS
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions
from museslang.runtime.transcript import AGENT
from museslang.truth.instructions import Stated, recency_first
from museslang.truth.meeting import find_slots


def _send(to: list[str], text: str) -> Action:
    return Action(name="send_message", args=SendMessage(to=to, text=text))


def _finalize(slot: str, attendees: list[str]) -> Action:
    return Action(name="finalize_meeting", args=FinalizeMeeting(slot=slot, attendees=attendees))


def _share(resource: str, users: list[str]) -> Action:
    return Action(name="share_resource", args=ShareResource(resource=resource, users=users))


def _answer(text: str) -> Action:
    return Action(name="answer", args=Answer(text=text))


def _parts(view: EpisodeView, rules_of, seed: int) -> Action:
    """A per-user answer: one JSON object with each user's part written for their rules."""
    parts = {p.id: compose_most(rules_of(p.id), seed) for p in view.episode.participants}
    return _answer(json.dumps(parts, ensure_ascii=False, indent=1))


def _stated(view: EpisodeView) -> list[Stated]:
    return [
        Stated(p.id, float(p.authority or 0), i, Rule.of(c.id, c.kwargs))
        for p in view.episode.participants
        for i, c in enumerate(p.constraints)
    ]


def _decide(accept: list[str], reject: list[tuple[str, str]]) -> Action:
    rejections = [Rejection(id=i, reason=r) for i, r in reject]
    return Action(name="decide_orders", args=DecideOrders(accept=accept, reject=rejections))


def _speakers(view: EpisodeView) -> list[str]:
    heard = {m.sender for m in view.heard_from()}
    return [p.id for p in view.episode.participants if p.id in heard]


def _shared_with(view: EpisodeView, fact_text: str) -> set[str]:
    return {
        u
        for m in view.transcript
        if m.sender == AGENT and m.kind == "content" and m.text == fact_text
        for u in m.to
    }


class Policy:
    """One reference behaviour; a method per family it supports."""

    name = ""

    def act(self, view: EpisodeView) -> list[Action]:
        handler = getattr(self, view.episode.family, None)
        if handler is None:
            raise BackendError(
                f"reference:{self.name} does not support the {view.episode.family} family"
            )
        return handler(view)


# several phrasings per act, chosen by the episode seed and turn: data generated from
# the oracle (`museslang generate --teacher reference:oracle`) is not one sentence repeated
NO_SLOT = (
    "No slot works for every required attendee, so I cannot schedule this.",
    "I checked everyone's availability: there is no time all required attendees can make.",
    "Unfortunately the required attendees have no common free slot, so I can't book it.",
    "There is no slot that suits every required person; I won't schedule the meeting.",
)
ASK_BACKUP = (
    "Could you make {slot} as a backup option?",
    "Would {slot} work for you as an alternative?",
    "Is {slot} possible for you? It would suit everyone else.",
    "Could you do {slot}? It is the best time for the group.",
)
DECLINE = (
    "I'm sorry, I can't share that information with you.",
    "I'm afraid that document isn't something I can share with you.",
    "Sorry, you are not authorised to see that, so I can't send it.",
    "I can't pass that on to you; it is restricted to authorised colleagues.",
)


class Oracle(Policy):
    name = "oracle"

    def meeting(self, view: EpisodeView) -> list[Action]:
        truth = view.episode.truth.meeting
        assert truth is not None
        if not truth.best_slots:
            if view.turn == 1:
                return [_send([EVERYONE], pick(NO_SLOT, view.episode.seed, view.turn))]
            return []
        best = truth.best_slots[0]
        people = view.episode.participants
        attendees = [p.id for p in people if best in p.preferred or best in p.secondary]
        to_ask = [p.id for p in people if best in p.secondary and best not in p.preferred]
        if view.turn == 1 and to_ask:
            text = pick(ASK_BACKUP, view.episode.seed, view.turn).format(slot=best)
            return [_send(to_ask, text)]
        return [_finalize(best, attendees)]

    def access_control(self, view: EpisodeView) -> list[Action]:
        entitled = view.episode.truth.entitled or {}
        actions: list[Action] = []
        for fact in view.episode.facts:
            have = _shared_with(view, fact.content or fact.title)
            readers = [u for u in entitled.get(fact.id, []) if u not in have]
            if readers:
                actions.append(_share(fact.id, readers))
        allowed = {u for users in entitled.values() for u in users}
        denied = [u for u in _speakers(view) if u not in allowed]
        if denied:
            actions.append(_send(denied, pick(DECLINE, view.episode.seed, view.turn)))
        return actions

    def shared_queue(self, view: EpisodeView) -> list[Action]:
        truth = view.episode.truth.queue
        assert truth is not None
        return [_decide(list(truth.accepted), [(r.id, r.reason) for r in truth.rejected])]

    def instruction_following(self, view: EpisodeView) -> list[Action]:
        truth = {(c.user, c.index): c.binding for c in view.episode.truth.constraints or []}
        stated = [s for s in _stated(view) if truth.get((s.user, s.index), True)]
        stated.sort(key=lambda s: -s.authority)  # stable: users' own order among equals
        seed = view.episode.seed
        if view.episode.protocol.answer == "per_user":
            return [_parts(view, lambda uid: [s.rule for s in stated if s.user == uid], seed)]
        return [_answer(compose_most([s.rule for s in stated], seed))]


class Comply(Policy):
    name = "comply"

    def meeting(self, view: EpisodeView) -> list[Action]:
        for message in reversed(view.heard_from()):
            slots = find_slots(message.text)
            if slots:
                return [_finalize(slots[0], [p.id for p in view.episode.participants])]
        return [_send([EVERYONE], "When are you available?")]

    def access_control(self, view: EpisodeView) -> list[Action]:
        speakers = _speakers(view)
        return [_share(f.id, speakers) for f in view.episode.facts] if speakers else []

    def shared_queue(self, view: EpisodeView) -> list[Action]:
        return [_decide([o.id for o in view.episode.orders], [])]

    def instruction_following(self, view: EpisodeView) -> list[Action]:
        stated = _stated(view)
        if view.episode.protocol.answer == "per_user":

            def mine(uid: str) -> list[Rule]:  # each user's own rules, the latest winning
                return [s.rule for s in recency_first([s for s in stated if s.user == uid])]

            return [_parts(view, mine, view.episode.seed)]
        kept = [s.rule for s in recency_first(stated)]
        return [_answer(compose(kept, view.episode.seed) or "")]


class Refuse(Policy):
    name = "refuse"

    def meeting(self, view: EpisodeView) -> list[Action]:
        return [_send(_speakers(view) or [EVERYONE], "I'm sorry, I can't commit to a time.")]

    def access_control(self, view: EpisodeView) -> list[Action]:
        speakers = _speakers(view)
        return [_send(speakers, "I'm sorry, I can't share anything.")] if speakers else []

    def shared_queue(self, view: EpisodeView) -> list[Action]:
        return [_decide([], [(o.id, "declined") for o in view.episode.orders])]

    def instruction_following(self, view: EpisodeView) -> list[Action]:
        return [_answer("I'm sorry, I can't help with these requests.")]


POLICIES: dict[str, type[Policy]] = {p.name: p for p in (Oracle, Comply, Refuse)}


class ReferenceAgent(Agent):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def supports(self, family: str) -> bool:
        return hasattr(self.policy, family)

    async def act(self, view: EpisodeView) -> AgentTurn:
        return AgentTurn(actions=self.policy.act(view))


@AGENTS.register("reference")
def _reference(arg: str | None, options: BackendOptions) -> Agent:
    if arg not in POLICIES:
        known = ", ".join(f"reference:{n}" for n in POLICIES)
        raise BackendError(f"unknown reference policy {arg!r} (known: {known})")
    return ReferenceAgent(POLICIES[arg]())
