"""The conversation family's metrics: the quality filter's counts, and `clean`, its
success (1 when no count is above 0)."""

from __future__ import annotations

from museslang.datagen.generate import COUNTED
from museslang.families.conversation.quality import quality
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import Value, metric

FAMILY = "conversation"
COUNTED.register(FAMILY)(("empty_turns", "unknown_targets", "private_public"))


@metric("clean", FAMILY)
def clean(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """1 when no agent turn was empty, no message went to an unknown user and no private
    detail reached anyone but its owner."""
    return {"clean": 1.0 if quality(episode, result).clean else 0.0}


@metric("answered", FAMILY)
def answered(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """The share of users who wrote and were written back to."""
    return {"answered": quality(episode, result).answered}


@metric("empty_turns", FAMILY)
def empty_turns(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Agent turns that delivered no text (and did not end the conversation)."""
    return {"empty_turns": float(quality(episode, result).empty_turns)}


@metric("unknown_targets", FAMILY)
def unknown_targets(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Messages addressed to someone who is not in the conversation."""
    return {"unknown_targets": float(quality(episode, result).unknown_targets)}


@metric("private_public", FAMILY)
def private_public(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Messages that carried a participant's private detail to anyone else."""
    return {"private_public": float(quality(episode, result).private_public)}
