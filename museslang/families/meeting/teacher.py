"""What the teacher of `museslang generate` is told about this family's ground truth
(museslang.datagen.teacher; rendered by stdlib/prompts/teacher.j2)."""

from __future__ import annotations

from typing import Any

from museslang.datagen.teacher import GUIDES
from museslang.ir.models import EpisodeGraph

FAMILY = "meeting"


@GUIDES.register(FAMILY)
def _guide(episode: EpisodeGraph) -> dict[str, Any]:
    truth = episode.truth.meeting
    if truth is None:
        return {}
    best = truth.best_slots[0] if truth.best_slots else None
    people = episode.participants
    attendees = [p.id for p in people if best in p.preferred or best in p.secondary]
    return {"best_slot": best, "attendees": attendees}
