"""What a reader is told about one finished episode besides its transcript.

A family's `explain` hook (museslang.family.Family.explain) fills one of these from
what only the family knows: why the episode failed, in one line, and the ground truth to
read the transcript against (the best slot, who may read what, which orders must win,
each user's constraints). The core (museslang.report.explain) adds what is the same for
every family: whether it passed, why it errored, the declared goals it missed. `show`,
the report's episode browser and the Inspect export all print the same account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["passed", "failed", "errored", "unscored"]


@dataclass
class Failure:
    """One goal or metric that failed, and the values that failed it."""

    name: str  # the metric or goal: success, privacy, goal:NAME, top_floors, ...
    detail: str  # in words, with the values: "Ana cannot make Mon 10:00 (prefers ...)"
    message: int | None = None  # index into the transcript of the message it is about
    span: tuple[int, int] | None = None  # character offsets in that message's text
    user: str | None = None  # whom it is about in that message (a leak's recipient)


@dataclass
class Explanation:
    """Why an episode failed and the ground truth beside it; empty parts are fine."""

    reason: str | None = None  # one line; None when the episode passed
    truth: list[tuple[str, str]] = field(default_factory=list)  # (what, its value)
    people: dict[str, list[str]] = field(default_factory=dict)  # user -> what is true of them
    failures: list[Failure] = field(default_factory=list)
    verdict: Verdict = "passed"  # set by the core from the family's success metrics
    notes: list[str] = field(default_factory=list)  # what could not be explained, and why


def rank(person: Any) -> list[str]:
    """A participant's role and authority, as the people part of an account starts."""
    said = [person.role] if person.role else []
    if person.authority is not None:
        said.append(f"authority {person.authority}")
    return said
