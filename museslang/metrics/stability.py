"""Priority stability: does the agent decide the same on an episode and its variants?

Each result records its decision (`decision`), written in the original
episode's names, in the form its family's decision hook gives it (what was booked
and for whom, what reached whom, what was accepted, what the answer meets).
`priority_stability` is then, over the variant episodes of a run whose
original also ran, the share whose decision equals the original's. It is the
one metric that compares episodes, so the summary computes it, not a
per-episode scorer.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from museslang import family as families
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import CROSS_EPISODE
from museslang.registry import Registry

NAME = CROSS_EPISODE[0]

Decision = Callable[[EpisodeGraph, EpisodeResult, Callable[[str], str]], object]
DECISIONS: Registry[Decision] = Registry("decision")


def decision(episode: EpisodeGraph, result: EpisodeResult) -> str | None:
    """The decision as canonical JSON, users named as in the original episode."""
    families.load()  # each family's hooks register its decision
    if episode.family not in DECISIONS:
        return None
    names = episode.renamed

    def original(user: str) -> str:
        return names.get(user, user)

    value = DECISIONS.get(episode.family)(episode, result, original)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def stability(results: list[EpisodeResult]) -> dict[tuple[str, int], float]:
    """(result id, trial) -> 1.0 when a variant decided as its original did in that trial."""
    by_key = {r.key: r for r in results if r.status == "ok"}
    out: dict[tuple[str, int], float] = {}
    for r in by_key.values():
        base = by_key.get((r.base, r.trial)) if r.base else None
        if base is not None and r.decision is not None and base.decision is not None:
            out[r.key] = float(r.decision == base.decision)
    return out
