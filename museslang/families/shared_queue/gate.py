"""The oracle gate's blame for this family: when the reference oracle fails an
episode, the declaration at fault and why (museslang.gate)."""

from __future__ import annotations

from museslang.families.shared_queue import metrics
from museslang.gate import BLAME, Blame
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult


@BLAME.register(metrics.FAMILY)
def _queue(episode: EpisodeGraph, result: EpisodeResult) -> Blame:
    should_accept, _ = metrics._truth(episode)
    got = metrics.decided(episode, result)
    for order in episode.orders:
        accept = order.id in should_accept
        if order.id not in (got.accepted if accept else got.rejected):
            wanted = "accepted" if accept else "rejected"
            why = f"order {order.id} should be {wanted} but the oracle's decision cannot say so"
            return order.source, why, "ref"
    return episode.source, "the oracle's decision does not match the ground truth", None
