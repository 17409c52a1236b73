"""What counts as revealed in this family, for `museslang generate`'s check that the
teacher acted only on what the conversation had told it (museslang.datagen.revealed)."""

from __future__ import annotations

from museslang.datagen.revealed import CHECKS, Unrevealed, heard_before
from museslang.families.access_control.metrics import requested
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult

FAMILY = "access_control"


@CHECKS.register(FAMILY)
def _check(episode: EpisodeGraph, result: EpisodeResult) -> list[Unrevealed]:
    """A resource goes only to someone who has asked, and only what they asked for."""
    wants = {p.id: set(requested(episode, p)) for p in episode.participants}
    out: list[Unrevealed] = []
    for a in result.actions:
        if a.name != "share_resource" or not a.ok:
            continue
        spoke = {m.sender for m in heard_before(result, a.turn)}
        resource = str(a.args.get("resource", ""))
        users = a.args.get("users")
        for who in users if isinstance(users, list) else []:
            if who not in spoke:
                out.append(Unrevealed(a.turn, f"shares {resource} with {who}, who had not asked"))
            elif resource not in wants.get(str(who), set()):
                asked = ", ".join(sorted(wants.get(str(who), set()))) or "nothing"
                out.append(Unrevealed(a.turn, f"shares {resource} with {who}, who asked for "
                                      f"{asked}"))  # fmt: skip
    return out
