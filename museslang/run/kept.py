"""What a run keeps of a result once it is in results.jsonl.

The summary and the end-of-run report need every result's metrics, cell, status and token
counts, but nothing of its conversation, which is on disk already. A run of 10,000
episodes therefore holds 10,000 small `Kept` records, and the parts that repeat across
results are shared: one cell object per cell, one name tuple per family, one value tuple
per distinct set of scores, one float per distinct value, one `Tokens` per distinct
usage. Decisions are kept only for the results the stability metric compares (variants
and their originals), and leak records only for the run's first `KEPT_LEAKS` (the report
lists that many) with a count per test for every result. A record costs a few hundred
bytes, most of it shared.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from museslang.ir.results import EpisodeResult, Leak, Usage

Value = float | list[float] | None
T = TypeVar("T")
KEPT_LEAKS = 25  # leak records a run keeps in memory for its report


@dataclass(frozen=True, slots=True)
class Tokens:
    """A result's usage as a run keeps it (what `Usage.add` reads)."""

    requests: int
    cached: int
    prompt_tokens: int
    completion_tokens: int


class Scores(Mapping[str, Value]):
    """A result's metrics as a read-only mapping over shared names and values."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: tuple[str, ...], values: tuple[Value, ...]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, name: str) -> Value:
        try:
            return self._values[self._names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def get(self, name: str, default: Value = None) -> Value:  # type: ignore[override]
        # the summary and the report call this for every metric of every result
        names = self._names
        return self._values[names.index(name)] if name in names else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(slots=True)
class Kept:
    """A stored result as its run keeps it: what the summary and the report read."""

    id: str
    family: str
    cell: dict[str, str | int]
    trial: int
    team: int | None
    status: str
    agent: str
    variant: str | None
    base: str | None
    decision: str | None
    metrics: Mapping[str, Value]
    prefix_reuse: tuple[float, ...]
    prefix_kept: float | None
    agent_usage: Tokens
    user_usage: Tokens
    scenario: str = ""
    redraws: int = 0
    error: str | None = None
    sample: int = 0
    users: str = "scripted"
    leaks: tuple[Leak, ...] = ()  # the run's first KEPT_LEAKS records
    leak_tests: tuple[tuple[str, int], ...] = ()  # every record counted by its test

    @property
    def key(self) -> tuple[str, int]:
        return self.id, self.trial

    def model_copy(self, update: dict[str, object]) -> Kept:
        """As EpisodeResult.model_copy(update=...), which the summary uses."""
        return replace(self, **update)  # type: ignore[arg-type]


class Keeper:
    """Makes `Kept` records for one run and holds what they share.

    `compared`: the episode ids whose decisions the stability metric reads (variants and
    their originals); None keeps every decision."""

    def __init__(self, compared: set[str] | None = None) -> None:
        self.compared = compared
        self._shared: dict[object, object] = {}
        self.leaks_left = KEPT_LEAKS

    def _share(self, value: T) -> T:
        try:
            return self._shared.setdefault(value, value)  # type: ignore[return-value]
        except TypeError:  # unhashable (a curve): kept as it is
            return value

    def _value(self, value: object) -> object:
        if isinstance(value, list):
            return [self._share(x) for x in value]
        # 1 and 1.0 are one key: an int score comes back as the float the summary reads
        return self._share(value)

    def scores(self, metrics: dict[str, Value]) -> Scores:
        names = self._shared.setdefault(("names", *metrics), tuple(metrics))
        values = self._share(tuple(self._value(v) for v in metrics.values()))
        return Scores(names, values)  # type: ignore[arg-type]

    def tokens(self, usage: Usage) -> Tokens:
        u = usage
        return self._share(Tokens(u.requests, u.cached, u.prompt_tokens, u.completion_tokens))

    def __call__(self, result: EpisodeResult) -> Kept:
        r = result
        compared = self.compared is None or r.id in self.compared
        cell = self._shared.setdefault(("cell", *r.cell.items()), r.cell)
        return Kept(
            r.id, self._share(r.family), cell, r.trial, r.team, r.status,  # type: ignore[arg-type]
            self._share(r.agent), r.variant, r.base, self._share(r.decision) if compared else None,
            self.scores(r.metrics), tuple(self._share(x) for x in r.prefix_reuse),
            r.prefix_kept, self.tokens(r.agent_usage), self.tokens(r.user_usage),
            self._share(r.scenario), r.redraws, r.error, r.sample, self._share(r.users),
            self._leaks(r), self._share(_by_test(r.leaks)),
        )  # fmt: skip

    def _leaks(self, r: EpisodeResult) -> tuple[Leak, ...]:
        kept = tuple(r.leaks[: self.leaks_left])
        self.leaks_left -= len(kept)
        return kept


def _by_test(leaks: list[Leak]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for leak in leaks:
        counts[leak.test] = counts.get(leak.test, 0) + 1
    return tuple(counts.items())
