"""This family's figures in `museslang report` (museslang.report.build)."""

from __future__ import annotations

from museslang.ir.results import EpisodeResult
from museslang.report.build import FIGURES, Figure, by_users

FAMILY = "meeting"


@FIGURES.register(f"{FAMILY}:success")
def success_by_users(agents: dict[str, list[EpisodeResult]]) -> Figure:
    return by_users(agents, FAMILY, "success", "Meeting scheduling: success vs users", "success")


@FIGURES.register(f"{FAMILY}:turns")
def turns_by_users(agents: dict[str, list[EpisodeResult]]) -> Figure:
    title = "Meeting scheduling: agent turns vs users"
    return by_users(agents, FAMILY, "turns", title, "turns", unit=False)
