"""The official meeting-scheduling score of an episode's replies.

The runner reads every JSON value in each reply (`parse.scanned_json`, strict); an
object with a truthy `goal_achieved` sets the schedule and attendees (a later one
overwrites an earlier one) and ends the conversation after that turn. A schedule counts
when it is a non-empty string: its day and first clock time are normalised ("Tuesday
2pm" is Tue 14:00) and compared with each user's slots the same way. Attendees name
users exactly, case included; none listed (or an empty list) invites everyone; a string
is searched as text. Then, with E and O the required and optional users invited who can
make the slot:

- success: every required user attends;
- attendance_rate = (E + 0.5 O) / (nE + 0.5 nO); essential and optional attendance are
  the plain shares (an empty group counts 1.0 when a schedule was set);
- utility: the slot's weights (required 100 preferred, 75 secondary; optional 2 and 1)
  summed over *every* user who can make it, invited or not, over the best such sum
  among the 70 slots of the work week;
- turns_taken: model turns until the goal was declared, else all of them.

Without a schedule every value is 0. A reply the runner cannot process (a `target` that
is a list, a schedule that is not text) is its error record: success 0, utility 0,
turns 0, which the paper's aggregation counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from museslang.ir.models import EpisodeGraph, Participant
from museslang.official.parse import OfficialError, contains, hashable, scanned_json

_DAYS = (
    ("monday", "Mon"), ("tuesday", "Tue"), ("wednesday", "Wed"), ("thursday", "Thu"),
    ("friday", "Fri"), ("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"),
    ("fri", "Fri"),
)  # fmt: skip
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?")
WORK_WEEK = [f"{d} {h}:{m}" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")
             for h in (9, 10, 11, 13, 14, 15, 16) for m in ("00", "30")]  # fmt: skip


def normalise_slot(slot: str) -> str:
    """A slot as the runner compares slots: 'Mon 15:00' from 'monday 3pm'; text without a
    weekday is title-cased."""
    text = slot.lower()
    day = None
    for name, short in _DAYS:
        if name in text:
            day, text = short, text.replace(name, " ").strip()
            break
    if day is None:
        return text.title()
    text = re.sub(r"\\bat\\b", " ", text).strip()  # the runner's pattern: a literal backslash
    text = text.replace(".", "").strip()
    m = _CLOCK.search(text)
    if m is None:
        return f"{day} {text}"
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and hour != 12:
        hour += 12
    if m.group(3) == "am" and hour == 12:
        hour = 0
    return f"{day} {hour}:{minute:02d}"


@dataclass(frozen=True)
class MeetingScore:
    values: dict[str, float | None]
    error: str | None = None


def _decide(replies: list[str | None]) -> tuple[bool, Any, Any, int]:
    goal, schedule, attendees = False, None, []
    turns = 0
    for raw in replies:
        turns += 1
        for obj in scanned_json(raw, strict=True):
            if not isinstance(obj, dict):
                continue
            if obj.get("goal_achieved"):
                goal, schedule, attendees = (
                    True,
                    obj.get("final_schedule"),
                    obj.get("attendees", []),
                )
            if "target" in obj and "content" in obj:
                hashable(obj["target"])  # the runner keys a dict by it
                if not isinstance(obj["content"], str):  # ... and joins the contents
                    raise OfficialError(f"content is a {type(obj['content']).__name__}")
        if goal:
            break
    return goal, schedule, attendees, turns


def _slot_score(slot: str, people: list[Participant]) -> tuple[float, int, int]:
    target = normalise_slot(slot)
    score, came, required = 0.0, 0, 0
    for p in people:
        essential = p.attendance == "required"
        required += essential
        if any(normalise_slot(s) == target for s in p.preferred):
            score += 100 if essential else 2
            came += essential
        elif any(normalise_slot(s) == target for s in p.secondary):
            score += 75 if essential else 1
            came += essential
    return score, came, required


def score(episode: EpisodeGraph, replies: list[str | None], max_turns: int) -> MeetingScore:
    try:
        return MeetingScore(_score(episode, replies, max_turns))
    except OfficialError as exc:
        zero = {"success": 0.0, "utility": 0.0, "turns": 0.0}
        return MeetingScore(zero, str(exc))


def _score(episode: EpisodeGraph, replies: list[str | None], max_turns: int) -> dict:
    goal, schedule, attendees, turns = _decide(replies[:max_turns])
    if not goal or not schedule:
        return {
            "success": 0.0, "attendance": 0.0, "attendance_required": 0.0,
            "attendance_optional": 0.0, "utility": 0.0, "turns": float(turns),
            "raw_utility_score": None, "max_potential_score": None, "total_attendees": None,
        }  # fmt: skip
    if not isinstance(schedule, str):
        raise OfficialError(f"final_schedule is a {type(schedule).__name__}")
    slot = schedule.strip()
    people = episode.participants
    best = max(_slot_score(s, people)[0] for s in WORK_WEEK)
    raw, _, n_required = _slot_score(slot, people)
    target = normalise_slot(slot)
    e = o = n_optional = 0
    attending = 0
    for p in people:
        can = any(normalise_slot(s) == target for s in [*p.preferred, *p.secondary])
        invited = not attendees or contains(attendees, p.id)
        if p.attendance == "required":
            e += can and invited
        else:
            n_optional += 1
            o += can and invited
        attending += can and invited
    essential = e / n_required if n_required else 1.0
    weight = n_required + 0.5 * n_optional
    return {
        "success": 1.0 if essential == 1.0 else 0.0,
        "attendance": (e + 0.5 * o) / weight if weight else 0.0,
        "attendance_required": essential,
        "attendance_optional": o / n_optional if n_optional else 1.0,
        "utility": raw / best if best else 0.0,
        "raw_utility_score": raw,
        "max_potential_score": best,
        "total_attendees": float(attending),
        "turns": float(turns),
    }
