"""What the teacher of `museslang generate` is told about this family's ground truth
(museslang.datagen.teacher; rendered by stdlib/prompts/teacher.j2)."""

from __future__ import annotations

from typing import Any

from museslang.datagen.teacher import GUIDES
from museslang.ir.models import EpisodeGraph

FAMILY = "shared_queue"


@GUIDES.register(FAMILY)
def _guide(episode: EpisodeGraph) -> dict[str, Any]:
    truth = episode.truth.queue
    if truth is None:
        return {}
    return {"accept": list(truth.accepted),
            "reject": [{"id": r.id, "reason": r.reason} for r in truth.rejected]}  # fmt: skip
