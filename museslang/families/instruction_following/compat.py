"""`--metrics compat` for instruction following: the official evaluator's values, record by record
(museslang.metrics.compat says how replies are re-read)."""

from __future__ import annotations

from museslang.families.instruction_following import official
from museslang.families.instruction_following.metrics import FAMILY
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.compat import COUNTED, SCHEME, first_reply, pick
from museslang.metrics.registry import Value, metric, per_result


@per_result
def scored(episode: EpisodeGraph, result: EpisodeResult) -> official.InstructionScore:
    if result.status != "ok":
        return official.InstructionScore({"accuracy": 0.0}, result.error)
    return official.score(episode, first_reply(episode, result))


@COUNTED.register(FAMILY)
def _instructions_counted(episode: EpisodeGraph, result: EpisodeResult) -> float:
    return 0.0 if scored(episode, result).error else 1.0


@metric("accuracy", FAMILY, "accuracy", "num_instructions", "num_followed",
        scheme=SCHEME)  # fmt: skip
def if_accuracy(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "accuracy", "num_instructions",
                 "num_followed")  # fmt: skip


@metric("weighted_accuracy", FAMILY, scheme=SCHEME)
def if_weighted(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "weighted_accuracy")


@metric("all_passed", FAMILY, scheme=SCHEME)
def if_all_passed(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "all_passed")
