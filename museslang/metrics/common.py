"""Metrics every family has."""

from __future__ import annotations

from museslang.ir.models import EpisodeGraph
from museslang.metrics.registry import Value, metric
from museslang.runtime.transcript import EpisodeResult


@metric("prefix_reuse", None)
def prefix_reuse(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Mean over the episode's requests after the first; None for single-request episodes."""
    ratios = result.prefix_reuse
    return {"prefix_reuse": sum(ratios) / len(ratios) if ratios else None}
