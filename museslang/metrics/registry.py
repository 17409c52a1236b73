"""Metrics, one registry: a spec names its metrics, scoring looks them up here.

A metric reads a compiled episode (its ground truth) and a stored result (the
transcript and actions) and returns one or more named values. It never looks
at anything else, so stored results can be re-scored without re-running a
model. A value is None when the metric does not apply to the episode (e.g.
optional attendance in a meeting with no optional attendees); summaries
count only episodes where it applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from museslang.ir.models import EpisodeGraph
from museslang.registry import Registry
from museslang.runtime.transcript import EpisodeResult

Value = float | list[float] | None
MetricFn = Callable[[EpisodeGraph, EpisodeResult], dict[str, Value]]


@dataclass(frozen=True)
class Metric:
    name: str
    family: str | None  # None: applies to every family
    outputs: tuple[str, ...]  # the value names it produces; the first is its headline
    fn: MetricFn


METRICS: Registry[Metric] = Registry("metric")


def metric(name: str, family: str | None, *outputs: str) -> Callable[[MetricFn], MetricFn]:
    def add(fn: MetricFn) -> MetricFn:
        METRICS.register(name)(Metric(name, family, outputs or (name,), fn))
        return fn

    return add


def _load() -> None:
    from museslang.metrics import common, meeting  # noqa: F401  (registration)


def missing_metrics(episodes: list[EpisodeGraph]) -> list[str]:
    """Metrics the episodes declare that no scorer implements."""
    _load()
    return sorted({m.name for e in episodes for m in e.metrics if m.name not in METRICS})


def score(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Every declared metric plus the common ones, in declaration order."""
    _load()
    values: dict[str, Value] = {}
    names = [m.name for m in episode.metrics]
    names += [m.name for m in map(METRICS.get, METRICS.names()) if m.family is None]
    for name in dict.fromkeys(names):
        values.update(METRICS.get(name).fn(episode, result))
    return values
