"""Goals: every declared goal's success condition, evaluated on the finished episode.

A goal is scored whatever metrics a spec lists: `goal:NAME` is 1 when it is met (for an
`adversarial` goal, when its condition does not hold), `goals` is the share of the
episode's goals met, and `goals:USER` the share of that user's. The conditions read the
same outcome the family's metrics read (the final action, what reached each user,
the decision, the answer), so a goal and a metric never disagree about what
happened.
"""

from __future__ import annotations

from collections.abc import Callable

from museslang import family as families
from museslang.ir.models import ConditionSpec, EpisodeGraph, GoalSpec
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import Value, metric
from museslang.registry import Registry

Check = Callable[[ConditionSpec, str | None, EpisodeGraph, EpisodeResult], bool]
CONDITIONS: Registry[Check] = Registry("goal condition")


def holds(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    return CONDITIONS.get(cond.name)(cond, user, ep, r)


def subject_of(cond: ConditionSpec, user: str | None, ep: EpisodeGraph) -> str | None:
    named = [x for x in cond.refs if any(p.id == x for p in ep.participants)]
    return named[0] if named else user


def fact_named(ep: EpisodeGraph, name: str):
    return next((f for f in ep.facts if f.id == name), None)


def turn_of(result: EpisodeResult, name: str) -> int | None:
    return next((a.turn for a in result.actions if a.name == name and a.ok), None)


@CONDITIONS.register("all")
def _all(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    return all(holds(c, user, ep, r) for c in cond.parts)


@CONDITIONS.register("any")
def _any(cond: ConditionSpec, user: str | None, ep: EpisodeGraph, r: EpisodeResult) -> bool:
    return any(holds(c, user, ep, r) for c in cond.parts)


def met(goal: GoalSpec, episode: EpisodeGraph, result: EpisodeResult) -> bool:
    """Whether the goal is met (an adversarial goal: whether it was defeated)."""
    if goal.condition is None:
        return False
    families.load()  # each family's hooks register its conditions
    happened = holds(goal.condition, goal.user, episode, result)
    return not happened if goal.adversarial else happened


def goal_name(goal: GoalSpec, index: int) -> str:
    return f"goal:{goal.name or index + 1}"


@metric("goals", None, "goals")
def goals(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Per goal 1/0 (`goal:NAME`), the share of goals met (`goals`) and per user
    (`goals:USER`); nothing for an episode without goals."""
    if not episode.goals:
        return {}
    out: dict[str, Value] = {}
    per_user: dict[str, list[bool]] = {}
    flags = []
    for i, goal in enumerate(episode.goals):
        ok = met(goal, episode, result)
        out[goal_name(goal, i)] = float(ok)
        flags.append(ok)
        if goal.user:
            per_user.setdefault(goal.user, []).append(ok)
    out["goals"] = sum(flags) / len(flags)
    for user, values in per_user.items():
        out[f"goals:{user}"] = sum(values) / len(values)
    return out
