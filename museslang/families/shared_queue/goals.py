"""Goal conditions about this family's outcome, read from the same outcome its metrics
read (museslang.metrics.goals)."""

from __future__ import annotations

from museslang.families.shared_queue import metrics
from museslang.ir.models import ConditionSpec, EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.goals import CONDITIONS


@CONDITIONS.register("accepted")
def _accepted(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    return bool(cond.refs) and cond.refs[0] in metrics.decided(ep, r).accepted


@CONDITIONS.register("rejected")
def _rejected(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    return bool(cond.refs) and cond.refs[0] in metrics.decided(ep, r).rejected


@CONDITIONS.register("decided")
def _decided(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    return metrics.accuracy(ep, r)["accuracy"] == 1.0
