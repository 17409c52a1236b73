"""Scripted meeting participants: they state their slots, answer proposals and, if
stubborn, guard their backups (museslang.runtime.users.scripted)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from museslang.families.meeting.truth import find_slots, stated_up_front
from museslang.family import conversing
from museslang.ir.models import Participant
from museslang.ir.results import Message
from museslang.lower.seeds import pick

ASKS_BACKUP = re.compile(
    r"\b(backups?|back-up|alternatives?|alternate|other (?:times?|slots?|options?)|secondary"
    r"|fallbacks?|flexib\w*|anything else|any other|else)\b",
    re.IGNORECASE,
)
_ASKS_AVAILABILITY = re.compile(
    r"\b(avail\w*|when|free|times?|slots?|schedul\w*|prefer\w*|suit\w*|work for you|can you make)",
    re.IGNORECASE,
)


def slot_list(slots: list[str]) -> str:
    if len(slots) <= 1:
        return "".join(slots)
    return ", ".join(slots[:-1]) + " and " + slots[-1]


@dataclass
class _MeetingState:
    stated: list[str] = field(default_factory=list)
    revealed_backup: bool = False


class ScriptedMeetingUser:
    """One meeting participant: states slots, answers proposals, guards backups if stubborn."""

    OPEN = (
        "Hi! For the meeting I can do {slots}.",
        "Hello, the times that suit me best are {slots}.",
        "Thanks for organising. {slots} work well for me.",
    )
    MORE = (
        " I have other times too if those don't work.",
        " I could look at other times.",
    )
    AVAILABLE = (
        "I'm available {slots}.",
        "{slots} work for me.",
        "I can make {slots}.",
    )
    ALREADY = (
        "As I mentioned, {slots} are best for me.",
        "Still {slots} for me.",
    )
    BACKUP = (
        "If needed, I could also do {slots}.",
        "As a fallback, {slots} would also work.",
        "My backup options are {slots}.",
    )
    BACKUP_STUBBORN = (
        "If there is really no other way, I could do {slots}.",
        "I'd rather not, but {slots} would be possible.",
    )
    NO_BACKUP = (
        "Sorry, I have nothing beyond {slots}.",
        "I can't do anything other than {slots}.",
    )
    YES = (
        "{slot} works for me.",
        "{slot} is fine with me.",
        "I can make {slot}.",
    )
    BACKUP_YES = (
        "{slot} is not my first choice, but I can make it.",
        "I can do {slot} if needed.",
    )
    STUBBORN_NO = (
        "I'd rather not do {slot}. {pref} suit me much better.",
        "{slot} is not good for me; I'd prefer {pref}.",
    )
    NO = (
        "I can't make {slot}.",
        "{slot} doesn't work for me, sorry.",
    )

    def __init__(self, user: Participant, seed: int) -> None:
        self.user = user
        self.seed = seed
        self.state = _MeetingState()

    def _say(self, options: Sequence[str], turn: int, tag: str, **values: str) -> str:
        return pick(options, self.seed, self.user.id, turn, tag).format(**values)

    def opening(self) -> str | None:
        u = self.user
        slots = stated_up_front(u.preferred, u.opening, u.disclosure)
        if not slots:
            return None
        self.state.stated = list(slots)
        text = self._say(self.OPEN, 0, "open", slots=slot_list(slots))
        if (u.disclosure == "partial" and len(slots) < len(u.preferred)) or (
            u.secondary and not u.stubborn
        ):
            text += self._say(self.MORE, 0, "more")
        return text

    def reply(self, turn: int, incoming: list[Message]) -> str | None:
        u = self.user
        text = "\n".join(m.text for m in incoming)
        parts: list[str] = []
        if ASKS_BACKUP.search(text):
            if u.secondary:
                self.state.revealed_backup = True
                options = self.BACKUP_STUBBORN if u.stubborn else self.BACKUP
                parts.append(self._say(options, turn, "backup", slots=slot_list(u.secondary)))
            else:
                parts.append(
                    self._say(self.NO_BACKUP, turn, "nobackup", slots=slot_list(u.preferred))
                )
        proposed = find_slots(text)[:3]
        for i, slot in enumerate(proposed):
            parts.append(self._answer(slot, turn, i))
        missing = [s for s in u.preferred if s not in self.state.stated]
        if not proposed and missing and _ASKS_AVAILABILITY.search(text):
            # "when are you free, and any backups?" gets both answers
            self.state.stated += missing
            parts.insert(0, self._say(self.AVAILABLE, turn, "avail", slots=slot_list(u.preferred)))
        if not parts:
            self.state.stated = list(u.preferred)
            parts.append(self._say(self.ALREADY, turn, "already", slots=slot_list(u.preferred)))
        return " ".join(parts)

    def _answer(self, slot: str, turn: int, i: int) -> str:
        u = self.user
        if slot in u.preferred:
            return self._say(self.YES, turn, f"yes{i}", slot=slot)
        if slot in u.secondary:
            if u.stubborn and not self.state.revealed_backup:
                pref = slot_list(u.preferred[:3])
                return self._say(self.STUBBORN_NO, turn, f"stub{i}", slot=slot, pref=pref)
            return self._say(self.BACKUP_YES, turn, f"byes{i}", slot=slot)
        return self._say(self.NO, turn, f"no{i}", slot=slot)


# its scripted users (Family.users)
make_person = conversing(lambda episode, user: ScriptedMeetingUser(user, episode.seed))
