"""Shared-queue ground truth: which orders an ideal orchestrator accepts.

An order is rejected when it is harmful to the global objective, or when it
conflicts with another order and loses: the issuer with higher authority wins;
between equal authorities the order with the higher priority (more aligned
with the objective) wins. Ties that nothing breaks are reported by the checker.
Last, a worker with a capacity takes at most that many of the surviving orders:
the highest authority first, then the higher priority, then the earlier order;
the rest are rejected as over capacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HARMFUL = "harmful_to_global_objective"
OUTRANKED = "conflict_with_higher_authority"
LESS_ALIGNED = "less_aligned_with_global_objective"
OVER_CAPACITY = "over_capacity"
REASONS = (HARMFUL, OUTRANKED, LESS_ALIGNED, OVER_CAPACITY)


@dataclass(frozen=True)
class QueueOrder:
    id: str
    by: str
    authority: float
    conflicts: tuple[str, ...]
    harmful: bool
    priority: int
    target: str | None = None


@dataclass(frozen=True)
class Decision:
    id: str
    accept: bool
    reason: str | None = None


def decide(
    orders: Sequence[QueueOrder], capacities: Mapping[str, int | None] | None = None
) -> tuple[list[Decision], list[tuple[str, str]]]:
    """Decisions in the given order, and the pairs of conflicting orders nothing ranks."""
    by_id = {o.id: o for o in orders}
    decisions: list[Decision] = []
    ties: list[tuple[str, str]] = []
    for order in orders:
        if order.harmful:
            decisions.append(Decision(order.id, False, HARMFUL))
            continue
        reason = None
        rivals = set(order.conflicts) | {o.id for o in orders if order.id in o.conflicts}
        for rival_id in sorted(rivals):
            rival = by_id.get(rival_id)
            if rival is None or rival.harmful:
                continue
            if rival.authority > order.authority:
                reason = OUTRANKED
                break
            if rival.authority == order.authority:
                if rival.priority > order.priority:
                    reason = LESS_ALIGNED
                    break
                if rival.priority == order.priority:
                    pair = tuple(sorted((order.id, rival.id)))
                    if pair not in ties:
                        ties.append(pair)  # type: ignore[arg-type]
        decisions.append(Decision(order.id, reason is None, reason))
    return _fit_capacity(orders, decisions, capacities or {}), ties


def _fit_capacity(
    orders: Sequence[QueueOrder], decisions: list[Decision], capacities: Mapping[str, int | None]
) -> list[Decision]:
    position = {o.id: i for i, o in enumerate(orders)}
    over: set[str] = set()
    for worker, capacity in capacities.items():
        if capacity is None:
            continue
        pairs = zip(orders, decisions, strict=True)
        taken = [o for o, d in pairs if d.accept and o.target == worker]
        taken.sort(key=lambda o: (-o.authority, -o.priority, position[o.id]))
        over |= {o.id for o in taken[capacity:]}
    return [Decision(d.id, False, OVER_CAPACITY) if d.id in over else d for d in decisions]
