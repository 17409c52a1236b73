"""One finished episode as a reader looks at it, for the terminal (`museslang show`) and
the report's episode browser alike: its people, its messages with who received them and
what to highlight in them, and its account (museslang.report.explain); and the filters
that pick episodes out of a run.

Nothing here knows a family: the people are the episode's participants (or, without the
compiled episode, whoever appears in the transcript), the highlights come from the
stored leak records and from the spans a family's account points at.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from museslang.ir.explanation import Explanation
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, ActionRecord, EpisodeResult
from museslang.report.explain import explain


@dataclass
class Mark:
    """A stretch of a message's text to highlight, and why."""

    start: int
    end: int
    label: str
    kind: str  # leak | failure
    user: str | None = None  # the recipient it concerns (None: whoever sees the message)


@dataclass
class Episode:
    """A result with everything its views show."""

    result: EpisodeResult
    account: Explanation
    people: list[str]  # user ids, in the episode's order
    marks: dict[int, list[Mark]] = field(default_factory=dict)  # transcript index -> marks
    # transcript index -> (the user it concerns or None, a failure about the message)
    flagged: dict[int, list[tuple[str | None, str]]] = field(default_factory=dict)
    run: int = 0  # which of the report's runs it belongs to

    @property
    def key(self) -> str:
        return f"{self.run}:{self.result.id}:{self.result.trial}"


def people_of(result: EpisodeResult, episode: EpisodeGraph | None) -> list[str]:
    if episode is not None:
        return [p.id for p in episode.participants]
    seen: dict[str, None] = {}
    for m in result.transcript:
        for who in (m.sender, *m.to):
            if who != AGENT:
                seen.setdefault(who, None)
    return list(seen)


def look(result: EpisodeResult, episode: EpisodeGraph | None, run: int = 0) -> Episode:
    """The result, explained, with its highlights gathered per message."""
    account = explain(episode, result)
    seen = Episode(result, account, people_of(result, episode), run=run)
    size = len(result.transcript)
    for leak in result.leaks:
        if leak.message is not None and leak.span is not None and 0 <= leak.message < size:
            label = f"leak: {leak.secret!r} of {leak.resource} to {leak.recipient} ({leak.test})"
            _mark(seen, leak.message, leak.span, label, "leak", leak.recipient)
    for failure in account.failures:
        if failure.message is None or not 0 <= failure.message < size:
            continue
        flag = (failure.user, f"{failure.name}: {failure.detail}")
        seen.flagged.setdefault(failure.message, []).append(flag)
        if failure.span is not None:
            _mark(seen, failure.message, failure.span, failure.detail, "failure", failure.user)
    return seen


def _mark(
    seen: Episode, index: int, span: tuple[int, int], label: str, kind: str, user: str | None
) -> None:
    text = seen.result.transcript[index].text
    start, end = max(0, span[0]), min(len(text), span[1])
    if start >= end:
        return
    marks = seen.marks.setdefault(index, [])
    # a leak record and the family's account of the same span are one mark
    if not any((m.start, m.end, m.user) == (start, end, user) for m in marks):
        marks.append(Mark(start, end, label, kind, user))
        marks.sort(key=lambda m: (m.start, m.end))


def pieces(text: str, marks: list[Mark]) -> list[tuple[str, Mark | None]]:
    """The text cut at its marks (overlapping marks: the first wins)."""
    out: list[tuple[str, Mark | None]] = []
    at = 0
    for m in marks:
        if m.start < at:
            continue
        if m.start > at:
            out.append((text[at : m.start], None))
        out.append((text[m.start : m.end], m))
        at = m.end
    if at < len(text):
        out.append((text[at:], None))
    return out


LONG_ARG = 40  # a tool call's text argument is cut to this in a summary


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= LONG_ARG else text[: LONG_ARG - 1] + "…"


def call_text(action: ActionRecord) -> str:
    """'finalize_meeting(slot=Mon 10:00, attendees=["Kaveh"]) ✓ meeting finalised'"""
    args = ", ".join(f"{k}={_short(v)}" for k, v in action.args.items())
    mark = "✓" if action.ok else "✗"
    return f"{action.name}({args}) {mark}" + (f" {action.note}" if action.note else "")


def recipients(to: list[str], people: list[str]) -> str:
    """'everyone', 'Ana only' or 'Ana, Ben'."""
    if len(people) > 1 and set(people) <= set(to):
        return "everyone"
    return f"{to[0]} only" if len(to) == 1 else ", ".join(to)


def cell_text(cell: dict[str, str | int]) -> str:
    return " ".join(f"{k}={v}" for k, v in cell.items())


# ---- picking episodes out of a run (`museslang show RUN --failed --metric privacy<1`) ---
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
_TEST = re.compile(r"^\s*([\w:.\-]+)\s*(<=|>=|==|!=|<|>|=)\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class MetricTest:
    name: str
    op: str
    value: float

    def holds(self, result: EpisodeResult) -> bool:
        got = result.metrics.get(self.name)
        return isinstance(got, int | float) and _OPS[self.op](float(got), self.value)


def metric_test(text: str) -> MetricTest | None:
    """'privacy<1' -> a test; None when it is not one."""
    m = _TEST.match(text)
    return MetricTest(m[1], m[2], float(m[3])) if m else None


def team_range(text: str) -> tuple[int, int] | None:
    """'4' or '2..5' -> the team sizes it admits; None when it is neither."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", text)
    if not m:
        return None
    low = int(m[1])
    return low, int(m[2]) if m[2] else low


def team_of(result: EpisodeResult) -> int | None:
    n = result.cell.get("users")
    return n if isinstance(n, int) else result.team


@dataclass
class Filters:
    """What `show` picks: every given condition must hold."""

    failed: bool = False  # failed or errored
    metrics: list[MetricTest] = field(default_factory=list)
    grep: str | None = None  # case-insensitive, in any message's text
    cell: dict[str, str] = field(default_factory=dict)  # sweep axis -> value
    team: tuple[int, int] | None = None
    family: str | None = None

    def keeps(self, seen: Episode) -> bool:
        r = seen.result
        if self.failed and seen.account.verdict not in ("failed", "errored"):
            return False
        if self.family is not None and r.family != self.family:
            return False
        if any(str(r.cell.get(k)) != v for k, v in self.cell.items()):
            return False
        if self.team is not None:
            n = team_of(r)
            if n is None or not self.team[0] <= n <= self.team[1]:
                return False
        if not all(t.holds(r) for t in self.metrics):
            return False
        if self.grep:
            needle = self.grep.lower()
            return any(needle in m.text.lower() for m in r.transcript)
        return True


def select(episodes: Iterable[Episode], filters: Filters) -> list[Episode]:
    return [e for e in episodes if filters.keeps(e)]
