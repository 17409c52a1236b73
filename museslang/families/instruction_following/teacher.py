"""What the teacher of `museslang generate` is told about this family's ground truth
(museslang.datagen.teacher; rendered by stdlib/prompts/teacher.j2)."""

from __future__ import annotations

from typing import Any

from museslang.datagen.teacher import GUIDES
from museslang.ir.models import EpisodeGraph

FAMILY = "instruction_following"


@GUIDES.register(FAMILY)
def _guide(episode: EpisodeGraph) -> dict[str, Any]:
    constraints = episode.truth.constraints or []
    return {
        "binding": [{"user": c.user, "id": c.id} for c in constraints if c.binding],
        "overridden": [{"user": c.user, "id": c.id} for c in constraints if c.overridden_by],
    }
