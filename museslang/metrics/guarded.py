"""The intervention rate of a guarded result: how often its guards stepped in.

A guard that keeps privacy at 1.00 by blocking every other turn is a different defence
from one that redacts one span in a hundred messages; the rate says which, next to the
family's own metrics. Only a result that ran with guards (its cell has `guards`) gets
these, so a run without guards keeps exactly the metrics it always had."""

from __future__ import annotations

from museslang.ir.results import EpisodeResult
from museslang.runtime.guard import AXIS, NONE

INTERVENTIONS = "interventions"  # guard verdicts other than pass, per episode
BLOCKED = "blocked_turns"  # agent turns in which a guard blocked something (or retried)


def setting_of(result: EpisodeResult) -> str:
    """The guard setting a result ran with (`acl+spotlight`), `none` without."""
    return str(result.cell.get(AXIS, NONE))


def guard_metrics(result: EpisodeResult) -> dict[str, float]:
    if setting_of(result) == NONE:
        return {}
    acted = result.interventions
    blocked = {i.turn for i in acted if i.action in ("block", "retry")}
    return {INTERVENTIONS: float(len(acted)), BLOCKED: float(len(blocked))}
