"""Compiled episodes -> official records, one per episode, in its family's layout."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from museslang.interop.muses_bench.common import FAMILIES, common_losses
from museslang.ir.models import EpisodeGraph


def export_records(episodes: Iterable[EpisodeGraph]) -> list[dict[str, Any]]:
    return [FAMILIES.get(e.family).record(e) for e in episodes]


@dataclass(frozen=True)
class Loss:
    """Something a spec declares that the official records cannot hold, and the
    episodes it was dropped from."""

    what: str
    episodes: tuple[str, ...]

    def __str__(self) -> str:
        n = len(self.episodes)
        where = self.episodes[0] if n == 1 else f"{n} episodes, e.g. {self.episodes[0]}"
        return f"{self.what} [{where}]"


def losses(episodes: Iterable[EpisodeGraph]) -> list[Loss]:
    """Everything export would drop, one entry per distinct thing, in first-seen order."""
    seen: dict[str, list[str]] = {}
    for e in episodes:
        for what in common_losses(e) + FAMILIES.get(e.family).losses(e):
            seen.setdefault(what, []).append(e.id)
    return [Loss(what, tuple(ids)) for what, ids in seen.items()]


def to_jsonl(records: Iterable[dict[str, Any]]) -> str:
    """One record per line, as the official files are written (non-ASCII kept)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
