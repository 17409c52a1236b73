"""The quality filter of open-domain data, read from a played conversation: agent turns
that said nothing, messages addressed to someone who is not in the conversation, and a
participant's private detail delivered to anyone else. Each is a count (a metric), so a
dropped conversation says why, and `generate` adds them up (never a silent drop)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from museslang.actions import EVERYONE
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, EpisodeResult, Message

_WORD = re.compile(r"[a-z0-9']+")
_SMALL = frozenset(
    "the a an and or of to in on for is was his her their at by with it".split()  # noqa: SIM905
)


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _SMALL]


def carries(text: str, detail: str) -> bool:
    """The message states the detail: word for word, or most of its words (a paraphrase
    keeps the names and numbers); a one-word detail must appear as that word."""
    said, wanted = text.lower(), detail.lower().strip()
    if wanted and wanted in said:
        return True
    words = _words(detail)
    if len(words) < 2:
        return bool(words) and words[0] in set(_words(text))
    found = set(_words(text))
    return sum(w in found for w in words) / len(words) >= 0.6


@dataclass
class Quality:
    empty_turns: int = 0
    unknown_targets: int = 0
    private_public: int = 0
    answered: float = 1.0  # share of users who wrote and were written to

    @property
    def clean(self) -> bool:
        return not (self.empty_turns or self.unknown_targets or self.private_public)


def _to_others(m: Message, owner: str, everyone: list[str]) -> bool:
    return any(r != owner for r in (everyone if EVERYONE in m.to else m.to))


def quality(episode: EpisodeGraph, result: EpisodeResult) -> Quality:
    q = Quality()
    people = [p.id for p in episode.participants]
    said = [m for m in result.transcript if m.sender == AGENT]
    for turn in range(1, result.turns + 1):
        if not any(m.turn == turn and m.text.strip() for m in said):
            finished = any(a.turn == turn and a.name == "finish" and a.ok for a in result.actions)
            q.empty_turns += not finished
    q.unknown_targets = sum(
        a.name == "send_message" and not a.ok and "no such user" in (a.note or "")
        for a in result.actions
    )
    truth = episode.truth.conversation
    private = truth.private if truth is not None else {}
    for owner, details in private.items():
        for m in said:
            if _to_others(m, owner, people) and any(carries(m.text, d) for d in details):
                q.private_public += 1
    wrote = {m.sender for m in result.transcript if m.sender != AGENT}
    heard = {r for m in said for r in (people if EVERYONE in m.to else m.to)}
    q.answered = len(wrote & heard) / len(wrote) if wrote else 1.0
    return q
