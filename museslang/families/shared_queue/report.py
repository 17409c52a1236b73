"""This family's figures in `museslang report` (museslang.report.build)."""

from __future__ import annotations

from museslang.ir.results import EpisodeResult
from museslang.report.build import FIGURES, Figure, by_users

FAMILY = "shared_queue"


@FIGURES.register(f"{FAMILY}:accuracy")
def accuracy_by_users(agents: dict[str, list[EpisodeResult]]) -> Figure:
    return by_users(agents, FAMILY, "accuracy", "Shared queue: accuracy vs users", "accuracy")
