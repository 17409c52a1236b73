"""Per-conversation choices of `generate`, each drawn from the seed and the episode's id
alone (so a resumed run draws the same): how many agent turns a conversation gets (the
official turn-length mix: one turn 20%, 2-5 turns 40%, 6-10 turns 40%), and which of
several teachers plays it."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from museslang.ir.models import EpisodeGraph

OFFICIAL_TURNS = "1:20,2-5:40,6-10:40"


class MixError(ValueError):
    """A turn mix that cannot be read; the message says how to write one."""


@dataclass(frozen=True)
class TurnMix:
    parts: tuple[tuple[int, int, float], ...]  # (fewest, most, weight)

    @classmethod
    def parse(cls, text: str) -> TurnMix:
        """`official`, or `LOW[-HIGH]:WEIGHT,...` (weights need not add up to 100)."""
        text = OFFICIAL_TURNS if text.strip() == "official" else text
        parts = []
        for item in text.split(","):
            m = re.fullmatch(r"\s*(\d+)(?:-(\d+))?\s*:\s*(\d+(?:\.\d+)?)\s*", item)
            if not m:
                raise MixError(f"--turn-mix {text!r}: write LOW[-HIGH]:WEIGHT,... "
                               f"(the official mix is {OFFICIAL_TURNS}) or 'official'")  # fmt: skip
            low, high, weight = int(m[1]), int(m[2] or m[1]), float(m[3])
            if not 1 <= low <= high or weight <= 0:
                raise MixError(f"--turn-mix: {item.strip()!r} needs 1 <= LOW <= HIGH and a "
                               "positive weight")  # fmt: skip
            parts.append((low, high, weight))
        return cls(tuple(parts))

    def turns(self, seed: int, episode_id: str) -> int:
        rng = random.Random(f"turns\x1f{seed}\x1f{episode_id}")
        low, high, _ = rng.choices(self.parts, weights=[w for *_, w in self.parts])[0]
        return rng.randint(low, high)

    def apply(self, episodes: list[EpisodeGraph], seed: int) -> list[EpisodeGraph]:
        """Each episode with its drawn number of agent turns as its turn limit."""
        out = []
        for e in episodes:
            protocol = e.protocol.model_copy(update={"max_turns": self.turns(seed, e.id)})
            out.append(e.model_copy(update={"protocol": protocol}))
        return out


def choose_teacher(teachers: list[str], seed: int, episode_id: str) -> int:
    """The index of the teacher that plays this conversation."""
    if len(teachers) == 1:
        return 0
    return random.Random(f"teacher\x1f{seed}\x1f{episode_id}").randrange(len(teachers))
