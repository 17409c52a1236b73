"""The oracle gate's blame for this family: when the reference oracle fails an
episode, the declaration at fault and why (museslang.gate)."""

from __future__ import annotations

from museslang.families.meeting import metrics
from museslang.gate import BLAME, Blame
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult


@BLAME.register(metrics.FAMILY)
def _meeting(episode: EpisodeGraph, result: EpisodeResult) -> Blame:
    done = metrics.finalised(episode, result)
    if done is None or done.slot is None:
        return episode.source, "the oracle finalised no meeting", None
    for p in episode.participants:
        if p.attendance != "required":
            continue
        if p.id not in done.invited or not metrics._can_make(p, done.slot):
            return p.source, f"required attendee {p.id} cannot make {done.slot}", "preferred"
    return episode.source, f"the meeting at {done.slot} does not succeed", None
