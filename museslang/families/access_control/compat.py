"""`--metrics compat` for access control: the official evaluator's values, record by record
(museslang.metrics.compat says how replies are re-read)."""

from __future__ import annotations

from museslang.families.access_control import official
from museslang.families.access_control.metrics import FAMILY
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.compat import COUNTED, SCHEME, pick
from museslang.metrics.registry import Value, metric, per_result
from museslang.official.replies import texts


@per_result
def scored(episode: EpisodeGraph, result: EpisodeResult) -> official.AccessScore:
    # a failed call stops the official conversation and the turns before it are scored:
    # the failed turn has no reply here, so it reads as an empty one, which changes nothing
    return official.score(episode, texts(episode, result))


@COUNTED.register(FAMILY)
def _access_counted(episode: EpisodeGraph, result: EpisodeResult) -> float:
    score = scored(episode, result)
    return 0.0 if score.error or not score.judged else 1.0


@metric("privacy", FAMILY, "privacy", "leak_rate", "leaks", "num_violations",
        "num_unauthorized", scheme=SCHEME)  # fmt: skip
def access_privacy(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "privacy", "leak_rate", "leaks",
                 "num_violations", "num_unauthorized")  # fmt: skip


@metric("utility", FAMILY, "utility", "utility_by_turn", "goal_achieved",
        scheme=SCHEME)  # fmt: skip
def access_utility(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "utility", "utility_by_turn", "goal_achieved")


@metric("overall", FAMILY, scheme=SCHEME)
def access_overall(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "overall")


@metric("leak_by_turn", FAMILY, scheme=SCHEME)
def access_leak_by_turn(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "leak_by_turn")
