"""Metrics, one registry: a spec names its metrics, scoring (`metrics.scoring`) looks
them up here. This module imports no metric module: the modules that define metrics
import it to register, and `metrics.scoring` loads them, so the registry sits under both.

A metric reads a compiled episode (its ground truth) and a stored result (the
transcript and actions) and returns one or more named values. It never looks
at anything else, so stored results can be re-scored without re-running a
model. A value is None when the metric does not apply to the episode (e.g.
optional attendance in an episode with no optional users); summaries
count only episodes where it applies.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from museslang.ir.models import EpisodeGraph
from museslang.ir.results import CROSS_EPISODE, EpisodeResult  # noqa: F401  (its home)
from museslang.registry import Registry

Value = float | list[float] | None
T = TypeVar("T")
MetricFn = Callable[[EpisodeGraph, EpisodeResult], dict[str, Value]]


class Values(dict[str, Value]):
    """A metric's values, and why any of them could not be computed: a goal of a family
    written in museslang whose expression divides by zero fails, and the reason is kept on
    the result (`EpisodeResult.unevaluated`) instead of the goal silently vanishing."""

    def __init__(self, values: dict[str, Value], unevaluated: dict[str, str] | None = None):
        super().__init__(values)
        self.unevaluated = dict(unevaluated or {})


@dataclass(frozen=True)
class Metric:
    name: str
    family: str | None  # None: applies to every family
    outputs: tuple[str, ...]  # the value names it produces; the first is its headline
    fn: MetricFn
    scheme: str = "default"


# The scoring schemes. `compat` reproduces the official benchmark's definitions where
# they differ from museslang's (docs/metrics.md); a metric with no compat entry is
# scored the same way in both.
SCHEMES = ("default", "compat")


# keyed "family:name" ("*:name" for every family): families share names like utility;
# a compat definition is keyed "compat/family:name"
METRICS: Registry[Metric] = Registry("metric")


def per_result(
    fn: Callable[[EpisodeGraph, EpisodeResult], T],
) -> Callable[[EpisodeGraph, EpisodeResult], T]:
    """Remember `fn` for the latest (episode, result) pair.

    A family's metrics score one result one after another and share an expensive
    part (leak detection, running the verifiers, reading the decision): it is
    computed once per result. The pair is held, so identity cannot be reused."""
    last: list[object] = []

    @functools.wraps(fn)
    def once(episode: EpisodeGraph, result: EpisodeResult) -> T:
        if last and last[0] is episode and last[1] is result:
            return last[2]  # type: ignore[return-value]
        value = fn(episode, result)
        last[:] = [episode, result, value]
        return value

    return once


def metric(
    name: str, family: str | None, *outputs: str, scheme: str = "default"
) -> Callable[[MetricFn], MetricFn]:
    prefix = "" if scheme == "default" else f"{scheme}/"

    def add(fn: MetricFn) -> MetricFn:
        found = Metric(name, family, outputs or (name,), fn, scheme)
        METRICS.register(f"{prefix}{family or '*'}:{name}")(found)
        return fn

    return add


def find(family: str, name: str, scheme: str = "default") -> Metric | None:
    """The scheme's own definition if it has one, else the default one, among the metrics
    registered so far (`metrics.scoring.lookup` loads them first)."""
    keys = [f"{family}:{name}", f"*:{name}"]
    if scheme != "default":
        keys = [f"{scheme}/{k}" for k in keys] + keys
    for key in keys:
        if key in METRICS:
            return METRICS.get(key)
    return None
