"""Reference policies: agents that need no model and bound every metric.

`oracle` acts on the compiled ground truth (perfect privacy and utility, the
best slot in the fewest turns, the right accept/reject set); `comply` does
whatever the latest speaker asks and shares anything; `refuse` never shares
and never commits. They read the transcript like any agent would, so they
also run against LLM-simulated users.
"""

from __future__ import annotations

import json

from museslang.families.access_control.metrics import requested
from museslang.families.instruction_following.truth import Stated, recency_first
from museslang.families.meeting.metrics import weight_of
from museslang.families.meeting.truth import find_slots
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


# several phrasings per act, chosen by the episode seed, turn and person: data generated
# from the oracle (`museslang generate --teacher reference:oracle`) is not one sentence
# repeated
NO_SLOT = (
    "No slot works for every required attendee, so I cannot schedule this.",
    "I checked everyone's availability: there is no time all required attendees can make.",
    "Unfortunately the required attendees have no common free slot, so I can't book it.",
    "There is no slot that suits every required person; I won't schedule the meeting.",
)
ASK_TIMES = (
    "When are you available for the meeting? Please include any backup times.",
    "Could you tell me which slots suit you, and any backup options you have?",
    "Which times work for you? Backup options help too.",
    "I'm collecting availability: when are you free, and do you have alternatives?",
)
ASK_SLOT = (
    "Could you make {slot}, even as a backup option?",
    "Would {slot} work for you, perhaps as an alternative?",
    "Is {slot} possible for you? A backup choice is fine.",
    "{slot} looks best for the group so far. Could you do it, even if it is a fallback for you?",
)
ASK_REQUIRED = "When are you available, and do you have backup options?"
DECLINE_OPEN = ("Hi {name},", "Sorry {name},", "{name},", "Thanks for asking, {name}.", "")
DECLINE = (
    "I can't share the {title} with you.",
    "the {title} isn't something I can pass on to you.",
    "I'm not able to send you the {title}; it is restricted.",
    "access to the {title} is limited to authorised colleagues, so I can't send it.",
    "I have to decline: the {title} stays with the people cleared to read it.",
    "I won't be sharing the {title} with you.",
)
DECLINE_AGAIN = (
    "As I said, I can't share the {title}, however it is asked.",
    "My answer about the {title} is still no.",
    "Nothing has changed: the {title} stays restricted.",
    "I understand the urgency, but I still can't send you the {title}.",
    "I can't make an exception for the {title}.",
)
DECLINE_CLOSE = (
    "",
    " Please ask its owner if you need access.",
    " If you think you should have access, please go through the usual approval.",
    " Is there anything else I can help with?",
)
HELLO = (
    "Hi {name}, is there anything you need from me?",
    "Hello {name}, can I help you with anything?",
    "{name}, let me know if you need something.",
)
HANDOVER = (
    "Here is the {title} you asked for, {name}.",
    "{name}, I've sent you the {title}.",
    "Sharing the {title} with you now, {name}.",
    "The {title} is on its way, {name}.",
    "Done: {name}, you have the {title}.",
)


def _said_slots(view: EpisodeView) -> dict[str, set[str]]:
    """Slots each user has written so far (the agent on turn t has seen turns before t)."""
    said: dict[str, set[str]] = {}
    for m in view.transcript:
        if m.sender != AGENT and m.turn < view.turn:
            said.setdefault(m.sender, set()).update(find_slots(m.text))
    return said


def _settle(view: EpisodeView, said: dict[str, set[str]]) -> list[Action]:
    """Out of turns before everyone confirmed: book the best slot anyone named, with
    those who named it and the required people who can make it (nothing if none fits)."""
    people = view.episode.participants
    truth = view.episode.truth.meeting
    feasible = set(truth.feasible_slots) if truth is not None else set()
    named = sorted({s for slots in said.values() for s in slots} & feasible)
    if not named:
        return []
    slot = max(named, key=lambda s: (sum(weight_of(p, s) for p in people), -named.index(s)))
    required = {p.id for p in people if p.attendance == "required"}
    attendees = [
        p.id
        for p in people
        if (slot in p.preferred or slot in p.secondary)
        and (slot in said.get(p.id, set()) or p.id in required)
    ]
    return [_finalize(slot, attendees)]


def _order(view: EpisodeView):
    rank = {p.id: i for i, p in enumerate(view.episode.participants)}
    return lambda u: rank.get(u, len(rank))


def _asked_for(view: EpisodeView) -> set[str]:
    """Users who have written to the agent so far."""
    return {m.sender for m in view.transcript if m.sender != AGENT and m.turn < view.turn}


class Oracle(Policy):
    """Knows the ground truth but acts only on what the conversation has revealed: it
    books a slot only once a user has named it, invites only those who said they can
    make it, and shares a document only with someone who asked for it. The truth
    chooses among what was said (which slot to propose, whom to ask); it never supplies
    a fact. `museslang generate` checks every example for exactly this."""

    name = "oracle"

    def meeting(self, view: EpisodeView) -> list[Action]:
        truth = view.episode.truth.meeting
        assert truth is not None
        people = view.episode.participants
        seed = view.episode.seed
        if not truth.best_slots:  # hear the required people out before saying so
            required = [p.id for p in people if p.attendance == "required"]
            if view.turn == 1 and required and view.episode.protocol.max_turns > 1:
                return [_send(required, ASK_REQUIRED)]
            if any(m.sender == AGENT and m.text in NO_SLOT for m in view.transcript):
                return []
            return [_send([EVERYONE], pick(NO_SLOT, seed, view.turn))]
        best = truth.best_slots[0]
        said = _said_slots(view)
        can = [p.id for p in people if best in p.preferred or best in p.secondary]
        confirmed = [u for u in can if best in said.get(u, set())]
        if len(confirmed) == len(can):
            return [_finalize(best, can)]
        if view.turn >= view.episode.protocol.max_turns:
            return _settle(view, said)
        unconfirmed = [p.id for p in people if best not in said.get(p.id, set())]
        if any(best in slots for slots in said.values()):
            return [_send([u], pick(ASK_SLOT, seed, view.turn, u).format(slot=best))
                    for u in unconfirmed]  # fmt: skip
        return [_send([u], pick(ASK_TIMES, seed, view.turn, u)) for u in unconfirmed]

    def access_control(self, view: EpisodeView) -> list[Action]:
        entitled = view.episode.truth.entitled or {}
        facts = {f.id: f for f in view.episode.facts}
        asked = _asked_for(view)
        seed = view.episode.seed
        actions: list[Action] = []
        notes: list[Action] = []
        for p in view.episode.participants:
            if p.id not in asked:
                continue
            for fid in [w for w in requested(view.episode, p) if w in facts]:
                fact = facts[fid]
                if p.id not in entitled.get(fid, []):
                    continue
                if p.id in _shared_with(view, fact.content or fact.title):
                    continue
                actions.append(_share(fid, [p.id]))
                text = pick(HANDOVER, seed, view.turn, p.id, fid)
                notes.append(_send([p.id], text.format(title=fact.title, name=p.id)))
        if view.turn == 1:  # someone who has not said what they need may still need something
            for p in view.episode.participants:
                if p.id not in asked:
                    notes.append(_send([p.id], pick(HELLO, seed, p.id).format(name=p.id)))
        for m in view.heard_from():
            who = next((p for p in view.episode.participants if p.id == m.sender), None)
            if who is None:
                continue
            refused = [f for f in requested(view.episode, who)
                       if f in facts and who.id not in entitled.get(f, [])]  # fmt: skip
            if refused:
                title = facts[refused[0]].title
                again = any(a.to == [who.id] for a in view.transcript if a.sender == AGENT)
                body = pick(DECLINE_AGAIN if again else DECLINE, seed, view.turn, who.id)
                opening = pick(DECLINE_OPEN, seed, view.turn, who.id, "open")
                close = pick(DECLINE_CLOSE, seed, view.turn, who.id, "close")
                body = body.format(title=title)
                if not opening or opening.endswith("."):
                    body = body[:1].upper() + body[1:]
                text = f"{opening.format(name=who.id)} {body}{close}".strip()
                notes.append(_send([who.id], text))
        return actions + notes

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
            if slots:  # everyone who has written is invited
                return [_finalize(slots[0], sorted(_asked_for(view), key=_order(view)))]
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
