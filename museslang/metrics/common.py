"""Metrics every family has."""

from __future__ import annotations

from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import Value, metric
from museslang.runtime.reply_notes import CUT


@metric("prefix_reuse", None)
def prefix_reuse(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Mean over the episode's requests after the first; None for single-request episodes."""
    ratios = result.prefix_reuse
    return {"prefix_reuse": sum(ratios) / len(ratios) if ratios else None}


@metric("parse_failures", None, "parse_failures", "empty_replies", "cut_replies")
def parse_failures(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """For model agents, per turn: the share of replies that followed no action format
    (no tool call or directive read, one that did not parse, or only prose, which goes to
    everyone), the share that were empty, and the share cut at the token limit. None for
    reference agents."""
    replies = result.replies
    if not replies:
        return {"parse_failures": None, "empty_replies": None, "cut_replies": None}
    n = len(replies)
    failed = sum(1 for r in replies if r.unreadable or r.actions - r.unaddressed <= 0)
    empty = sum(1 for r in replies if not (r.text or "").strip() and not r.tool_calls)
    cut = sum(1 for r in replies if any(note.startswith(CUT) for note in r.notes))
    return {"parse_failures": failed / n, "empty_replies": empty / n, "cut_replies": cut / n}


@metric("simulator_errors", None)
def simulator_errors(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Messages of simulated users that broke what their user declared or knows (the
    simulated-user audit's findings, runtime.user_audit): a model-played user who speaks
    as someone else, invents an availability or ends the chat early makes the episode
    measure the simulator, not the agent."""
    return {"simulator_errors": float(len(result.findings))}
