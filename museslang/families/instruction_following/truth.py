"""Instruction-following ground truth: which constraints must hold in the answer.

Every user's constraints must hold, except where two users' constraints
contradict each other (`instructions.conflicts`): then the constraint of the
user with higher authority wins and the other is overridden. Contradictions
between equal authorities, or within one user's own list, have no answer;
the checker reports them and the generator never builds them. A scenario's
`binding:` rule can choose MUSES Bench's own rules instead (see `settle`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from museslang.instructions.conflicts import Rule, conflict


@dataclass(frozen=True)
class Stated:
    user: str
    authority: float
    index: int  # position in the user's list
    rule: Rule


@dataclass(frozen=True)
class Verdict:
    stated: Stated
    overridden_by: Stated | None
    outranked: bool = False  # `binding: top`: a lower-ranked user's constraint

    @property
    def binds(self) -> bool:
        return self.overridden_by is None and not self.outranked


def settle(
    stated: Sequence[Stated], policy: str = "authority", *, per_user: bool = False
) -> tuple[list[Verdict], list[tuple[Stated, Stated]]]:
    """A verdict per constraint, and the contradicting pairs authority cannot settle.

    With `per_user` answers (each user gets a part of their own) two users' constraints
    never meet in one text, so only a user's own constraints can contradict each other;
    `top` still scores only the highest-ranked users' constraints.

    `policy` is the scenario's `binding:` rule. `authority`: a constraint binds
    unless a contradicting one of higher authority overrides it. `all` (MUSES
    Bench's aligned mode): every constraint binds, contradictions included, so
    nothing is unsettled. `top` (its conflict mode): only the highest-ranked
    users' constraints bind.
    """
    if policy == "all":
        return [Verdict(s, None) for s in stated], []
    losers: dict[Stated, Stated] = {}
    unsettled: list[tuple[Stated, Stated]] = []
    for i, a in enumerate(stated):
        for b in stated[i + 1 :]:
            if (per_user and a.user != b.user) or not conflict(a.rule, b.rule):
                continue
            if a.user == b.user or a.authority == b.authority:
                unsettled.append((a, b))
            elif a.authority > b.authority:
                losers.setdefault(b, a)
            else:
                losers.setdefault(a, b)
    if policy == "top" and stated:
        top = max(s.authority for s in stated)
        unsettled = [(a, b) for a, b in unsettled if a.authority == top]
        return [Verdict(s, losers.get(s), s.authority < top) for s in stated], unsettled
    return [Verdict(s, losers.get(s)) for s in stated], unsettled


def first_conflict(
    stated: Sequence[Stated], *, per_user: bool = False
) -> tuple[Stated, Stated] | None:
    """The first pair of these constraints that no answer can meet together (with
    per-user answers: no one user's part)."""
    for i, a in enumerate(stated):
        for b in stated[i + 1 :]:
            if (not per_user or a.user == b.user) and conflict(a.rule, b.rule):
                return a, b
    return None


def recency_first(stated: Sequence[Stated]) -> list[Stated]:
    """What an agent that ignores authority keeps: of two contradicting constraints,
    the one stated later (the latest speaker's) wins."""
    dropped = {a for i, a in enumerate(stated) for b in stated[i + 1 :] if conflict(a.rule, b.rule)}
    return [s for s in stated if s not in dropped]
