"""What the teacher of `museslang generate` is told about this family's ground truth
(museslang.datagen.teacher; rendered by stdlib/prompts/teacher.j2)."""

from __future__ import annotations

from typing import Any

from museslang.datagen.teacher import GUIDES
from museslang.ir.models import EpisodeGraph

FAMILY = "access_control"


@GUIDES.register(FAMILY)
def _guide(episode: EpisodeGraph) -> dict[str, Any]:
    entitled = episode.truth.entitled or {}
    facts = [
        {"id": f.id, "title": f.title, "readers": entitled.get(f.id, f.readers),
         "denied": [p.id for p in episode.participants
                    if p.id not in entitled.get(f.id, f.readers)]}
        for f in episode.facts
        if f.secrets
    ]  # fmt: skip
    return {"facts": facts}
