"""Did the assistant act only on what the conversation had told it?

A teacher sees the ground truth; the student it trains will not. An example in which the
assistant books a slot nobody mentioned, invites someone who never said they could come,
or hands a document to someone who never asked, teaches the student to guess from
nothing, and scores perfectly while doing it. `generate` keeps an example only when this
check finds nothing. Each family registers what counts as revealed for it; a family with
no check (single-shot families, where everything is said in the opening) passes.

The agent acting on turn t has seen every user message of turns before t (openings are
turn 0) and its own system prompt (the participants, who is required).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from museslang import family as families
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, EpisodeResult, Message
from museslang.registry import Registry


@dataclass(frozen=True)
class Unrevealed:
    """One act that used a fact the conversation had not yet revealed."""

    turn: int
    what: str

    def __str__(self) -> str:
        return f"turn {self.turn}: {self.what}"


Check = Callable[[EpisodeGraph, EpisodeResult], list[Unrevealed]]
CHECKS: Registry[Check] = Registry("revealed-facts check")


def unrevealed(episode: EpisodeGraph, result: EpisodeResult) -> list[Unrevealed]:
    """Every act of the agent that used something it had not been told (empty: clean)."""
    families.load()  # each family's `revealed` hook registers its check
    if episode.family not in CHECKS:
        return []
    return CHECKS.get(episode.family)(episode, result)


def heard_before(result: EpisodeResult, turn: int) -> list[Message]:
    return [m for m in result.transcript if m.sender != AGENT and m.turn < turn]
