"""Meeting ground truth: the slot grid, slot scores, feasibility and difficulty.

These are pure functions of the attendees, shared by the checker (is this
meeting possible at all?), the lowering (best slots per episode) and scoring.
The weights are the official benchmark's: a required attendee's preferred slot
is worth 100 and a secondary one 75; an optional attendee's 2 and 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from museslang.semantics.calendar import calendar_slots
from museslang.semantics.types import SlotTime

__all__ = ["calendar_slots"]  # the grid, for this family's modules


WEIGHTS = {
    (True, "preferred"): 100,
    (True, "secondary"): 75,
    (False, "preferred"): 2,
    (False, "secondary"): 1,
}


@dataclass(frozen=True)
class Attendee:
    id: str
    required: bool
    preferred: frozenset[SlotTime]
    secondary: frozenset[SlotTime]
    # what they say unasked, in their opening (None: every preferred slot)
    stated: frozenset[SlotTime] | None = None

    def accepts(self, slot: SlotTime) -> bool:
        return slot in self.preferred or slot in self.secondary

    def weight(self, slot: SlotTime) -> int:
        if slot in self.preferred:
            return WEIGHTS[(self.required, "preferred")]
        if slot in self.secondary:
            return WEIGHTS[(self.required, "secondary")]
        return 0


def slot_score(slot: SlotTime, attendees: Iterable[Attendee]) -> int:
    return sum(a.weight(slot) for a in attendees)


def feasible_slots(slots: Sequence[SlotTime], attendees: Sequence[Attendee]) -> list[SlotTime]:
    """Slots every required attendee can make."""
    required = [a for a in attendees if a.required]
    return [s for s in slots if all(a.accepts(s) for a in required)]


@dataclass(frozen=True)
class MeetingTruth:
    feasible: list[SlotTime]
    best: list[SlotTime]
    best_score: int
    max_score: int  # best over all slots, feasible or not (the official normaliser)
    lower_bound_turns: int


def meeting_truth(slots: Sequence[SlotTime], attendees: Sequence[Attendee]) -> MeetingTruth:
    feasible = feasible_slots(slots, attendees)
    scores = {s: slot_score(s, attendees) for s in slots}
    best_score = max((scores[s] for s in feasible), default=0)
    best = [s for s in feasible if scores[s] == best_score] if feasible else []
    max_score = max(scores.values(), default=0)
    return MeetingTruth(feasible, best, best_score, max_score, lower_bound_turns(attendees, best))


def lower_bound_turns(attendees: Sequence[Attendee], best: Sequence[SlotTime]) -> int:
    """The fewest agent turns a facilitator needs who books only what it was told: one
    turn when everyone who can make a best slot named it in their opening, one more to
    ask the others (for backups, or for the slot itself) otherwise."""
    if not best:
        return 0
    slot = best[0]
    needs_ask = any(
        a.accepts(slot) and slot not in (a.preferred if a.stated is None else a.stated)
        for a in attendees
    )
    return 2 if needs_ask else 1


def stated_up_front(preferred: Sequence[str], opening: str, disclosure: str) -> list[str]:
    """The slots a participant names unasked: none when passive, the first half of
    their preferred slots under partial disclosure, all of them otherwise. The scripted
    users say exactly this, and the turn bound counts on it."""
    if opening == "passive":
        return []
    if disclosure == "full":
        return list(preferred)
    return list(preferred[: max(1, len(preferred) // 2)])


def classify(slots: Sequence[SlotTime], attendees: Sequence[Attendee]) -> str:
    """Which difficulty a set of attendees realises.

    consensus: one slot is preferred by everyone;
    negotiation: no such slot, but one that everyone accepts with backups;
    partial: only the required attendees share a slot (optional ones drop out);
    infeasible: the required attendees share no slot at all.
    """
    if any(all(s in a.preferred for a in attendees) for s in slots):
        return "consensus"
    if any(all(a.accepts(s) for a in attendees) for s in slots):
        return "negotiation"
    if feasible_slots(slots, attendees):
        return "partial"
    return "infeasible"


_DAY_WORDS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_SLOT_TEXT = re.compile(
    r"\b(mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\.?,?\s+(?:at\s+)?(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?",
    re.IGNORECASE,
)


def find_slots(text: str) -> list[str]:
    """Every slot written in free text, normalised to 'Tue 9:30', in order of appearance.

    People and models write 'Tuesday 09:30', 'tue 2pm', 'Wed, 14:00'; scoring and
    the simulated users must read them all the same way.
    """
    found: list[str] = []
    for m in _SLOT_TEXT.finditer(text):
        day = _DAY_WORDS[m[1].lower()]
        hour, minute = int(m[2]), int(m[3] or 0)
        meridiem = (m[4] or "").lower().replace(".", "")
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            continue
        slot = str(SlotTime(day, hour, minute))
        if slot not in found:
            found.append(slot)
    return found


def parse_slot(text: str) -> str | None:
    """The one slot a finalise action names, normalised; None when unreadable."""
    slots = find_slots(text)
    return slots[0] if slots else None
