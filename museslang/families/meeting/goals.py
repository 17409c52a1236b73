"""Goal conditions about this family's outcome, read from the same outcome its metrics
read (museslang.metrics.goals)."""

from __future__ import annotations

from museslang.families.meeting import metrics
from museslang.ir.models import ConditionSpec, EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.goals import CONDITIONS, subject_of, turn_of


@CONDITIONS.register("finalized")
def _finalized(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    if metrics.success(ep, r)["success"] != 1.0 or metrics.finalised(ep, r) is None:
        return False
    turn = turn_of(r, "finalize_meeting")
    return cond.within is None or (turn is not None and turn <= cond.within)


@CONDITIONS.register("attends")
def _attends(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    who = subject_of(cond, user, ep)
    fin = metrics.finalised(ep, r)
    person = next((p for p in ep.participants if p.id == who), None)
    return (
        fin is not None
        and person is not None
        and who in fin.invited
        and metrics._can_make(person, fin.slot)
    )


@CONDITIONS.register("optimal")
def _optimal(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    return metrics.optimality(ep, r)["optimality"] == 1.0
