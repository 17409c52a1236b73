"""The properties an author is asked for (users, conflicts, attack) and what a kept
scenario has, measured on its compiled episodes, never on what the model says it wrote:
a generator asked for a difficulty hits it far less often than it claims, so the report
compares the two."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from museslang.ir.models import EpisodeGraph


@dataclass(frozen=True)
class Requested:
    users: int
    conflicts: bool
    attack: str | None = None  # None: not asked for (the family has no attacks, or none)

    def words(self) -> str:
        said = [
            f"{self.users} users",
            "a conflict between users" if self.conflicts else "no conflict between users",
        ]
        if self.attack is not None:
            said.append(f"one user attempting the `{self.attack}` attack")
        return ", ".join(said)

    def as_dict(self) -> dict[str, Any]:
        return {"users": self.users, "conflicts": self.conflicts, "attack": self.attack}


def draw(
    seed: int,
    attempt: int,
    users: tuple[int, int],
    conflict_share: float,
    attacks: tuple[str, ...],
) -> Requested:
    """The properties of one attempt, from the run's seed and the attempt's number alone
    (so an interrupted run asks the same things again)."""
    rng = random.Random(f"{seed}\x1f{attempt}")
    n = rng.randint(users[0], users[1])
    conflicts = rng.random() < conflict_share
    attack = rng.choice(attacks) if attacks else None
    return Requested(n, conflicts, attack)


_CONFLICT_WORDS = ("conflict", "contradict")


def _conflicted(value: Any) -> bool:
    """A ground truth or cell that names a conflict with a value that is not empty."""
    if isinstance(value, dict):
        for k, v in value.items():
            if any(w in str(k).lower() for w in _CONFLICT_WORDS) and v not in (
                None,
                False,
                [],
                {},
                "",
            ):
                return True
            if _conflicted(v):
                return True
    elif isinstance(value, list):
        return any(_conflicted(v) for v in value)
    elif isinstance(value, str):
        return any(w in value.lower() for w in _CONFLICT_WORDS)
    return False


def achieved(episodes: list[EpisodeGraph]) -> dict[str, Any]:
    """What the compiled scenario has: its team sizes, whether any episode's sweep cell or
    ground truth holds a conflict, and the attacks its users make."""
    sizes = sorted({len(e.participants) for e in episodes})
    conflicts = any(
        _conflicted(dict(e.cell)) or _conflicted(e.truth.model_dump(mode="json")) for e in episodes
    )
    attacks = sorted({p.attack.name for e in episodes for p in e.participants if p.attack})
    return {"users": sizes, "conflicts": conflicts, "attacks": attacks}


def meets(requested: Requested, got: dict[str, Any]) -> dict[str, bool]:
    """Each requested property: did the scenario get it?"""
    out = {
        "users": requested.users in got["users"],
        "conflicts": requested.conflicts == got["conflicts"],
    }
    if requested.attack is not None:
        out["attack"] = requested.attack in got["attacks"] or any(
            requested.attack.replace("_", "") in a.replace("_", "") for a in got["attacks"]
        )
    return out
