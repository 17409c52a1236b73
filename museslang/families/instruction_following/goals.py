"""Goal conditions about this family's outcome, read from the same outcome its metrics
read (museslang.metrics.goals)."""

from __future__ import annotations

from museslang.families.instruction_following import metrics
from museslang.ir.models import ConditionSpec, EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.goals import CONDITIONS, subject_of


@CONDITIONS.register("satisfied")
def _satisfied(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    who = subject_of(cond, user, ep)
    checked = metrics.check_answer(ep, r)
    mine = [k for k in checked.binding if who is None or k[0] == who]
    return bool(mine) and all(checked.passed[k] for k in mine)
