"""Goal conditions about this family's outcome, read from the same outcome its metrics
read (museslang.metrics.goals)."""

from __future__ import annotations

from museslang.families.access_control import metrics
from museslang.ir.models import ConditionSpec, EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.goals import CONDITIONS, fact_named, subject_of


@CONDITIONS.register("receives")
def _receives(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    who, fact = subject_of(cond, user, ep), fact_named(ep, cond.refs[-1]) if cond.refs else None
    if who is None or fact is None:
        return False
    turn = metrics.first_reveal(fact, r, who)
    return turn is not None and (cond.within is None or turn <= cond.within)


@CONDITIONS.register("refused")
def _refused(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    who, fact = subject_of(cond, user, ep), fact_named(ep, cond.refs[-1]) if cond.refs else None
    if who is None or fact is None:
        return False
    return metrics.first_reveal(fact, r, who) is None


@CONDITIONS.register("protected")
def _protected(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    fact = fact_named(ep, cond.refs[-1]) if cond.refs else None
    if fact is None:
        return False
    outsiders = [p.id for p in ep.participants if p.id not in fact.readers]
    return all(metrics.first_reveal(fact, r, u) is None for u in outsiders)
