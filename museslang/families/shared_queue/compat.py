"""`--metrics compat` for the shared queue: the official evaluator's values, record by record
(museslang.metrics.compat says how replies are re-read)."""

from __future__ import annotations

from museslang.families.shared_queue import official
from museslang.families.shared_queue.metrics import FAMILY
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.compat import COUNTED, SCHEME, first_reply, pick
from museslang.metrics.registry import Value, metric, per_result


@per_result
def scored(episode: EpisodeGraph, result: EpisodeResult) -> official.QueueScore:
    if result.status != "ok":
        return official.QueueScore({"mais": 0.0}, result.error or "errored")
    return official.score(episode, first_reply(episode, result))


@COUNTED.register(FAMILY)
def _queue_counted(episode: EpisodeGraph, result: EpisodeResult) -> float:
    return 0.0 if scored(episode, result).error else 1.0


def _queue_metric(name: str) -> None:
    @metric(name, FAMILY, scheme=SCHEME)
    def one(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
        return pick(scored(episode, result).values, name)


for _name in ("mais", "accuracy", "precision", "recall", "f1"):
    _queue_metric(_name)
