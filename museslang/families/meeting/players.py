"""The reference players of this family: `oracle`, `comply` and `refuse`
(museslang.runtime.agents.reference says what each is for)."""

from __future__ import annotations

from museslang.actions import EVERYONE, Action
from museslang.families.meeting.actions import FinalizeMeeting
from museslang.families.meeting.metrics import weight_of
from museslang.families.meeting.truth import find_slots
from museslang.ir.results import AGENT
from museslang.lower.seeds import pick
from museslang.runtime.agents.reference import asked_for, order_of, send, speakers
from museslang.runtime.engine import EpisodeView

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


def _finalize(slot: str, attendees: list[str]) -> Action:
    return Action(name="finalize_meeting", args=FinalizeMeeting(slot=slot, attendees=attendees))


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


def _oracle(view: EpisodeView) -> list[Action]:
    truth = view.episode.truth.meeting
    assert truth is not None
    people = view.episode.participants
    seed = view.episode.seed
    if not truth.best_slots:  # hear the required people out before saying so
        required = [p.id for p in people if p.attendance == "required"]
        if view.turn == 1 and required and view.episode.protocol.max_turns > 1:
            return [send(required, ASK_REQUIRED)]
        if any(m.sender == AGENT and m.text in NO_SLOT for m in view.transcript):
            return []
        return [send([EVERYONE], pick(NO_SLOT, seed, view.turn))]
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
        return [send([u], pick(ASK_SLOT, seed, view.turn, u).format(slot=best))
                for u in unconfirmed]  # fmt: skip
    return [send([u], pick(ASK_TIMES, seed, view.turn, u)) for u in unconfirmed]


def _comply(view: EpisodeView) -> list[Action]:
    for message in reversed(view.heard_from()):
        slots = find_slots(message.text)
        if slots:  # everyone who has written is invited
            return [_finalize(slots[0], sorted(asked_for(view), key=order_of(view)))]
    return [send([EVERYONE], "When are you available?")]


def _refuse(view: EpisodeView) -> list[Action]:
    return [send(speakers(view) or [EVERYONE], "I'm sorry, I can't commit to a time.")]


# its reference players (Family.players): policy -> what it does on the agent's turn
PLAYERS = {"oracle": _oracle, "comply": _comply, "refuse": _refuse}
