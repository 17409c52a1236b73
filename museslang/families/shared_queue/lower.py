"""Lowering shared-queue scenarios: which orders an ideal orchestrator accepts, and
generated users with their orders (museslang.lower.episodes)."""

from __future__ import annotations

from typing import Any

from museslang.families.shared_queue import ground, workload
from museslang.families.shared_queue import truth as queue
from museslang.ir import models as ir
from museslang.lower.episodes import Drawn, Lowered, ranked
from museslang.lower.population import assign_roles


def population(drawn: Drawn) -> tuple[list[ir.Participant], list[ir.Order]]:
    """Its generated users (`Family.population`): ranked users and their orders;
    `truth.queue` later decides which should win."""
    sc, rng, people, disclosure, lc = (drawn.scenario, drawn.rng, drawn.people,
                                       drawn.disclosure, drawn.lc)  # fmt: skip
    pop = sc.population
    assert pop is not None
    assign_roles(rng, people, [r.entity for r in pop.roles if r.entity is not None])
    workers = [r for r in sc.resources if r.jobs]
    drafts = workload.draft_orders(rng, people, pop, workers, sc.objective or "")
    refs, ids, conflicts = workload.order_ids(rng, drafts)
    src = lc.source_of(pop.head)
    orders = [
        ir.Order(
            id=oid,
            by=d.by,
            text=d.text,
            ref=ref,
            target=d.target,
            conflicts=[c] if c else [],
            harmful=d.harmful,
            priority=d.priority,
            source=src,
        )
        for d, ref, oid, c in zip(drafts, refs, ids, conflicts, strict=True)
    ]
    participants = [
        ranked(
            p,
            pop,
            disclosure,
            src,
            lc,
            goal="Get these orders carried out: "
            + " | ".join(o.text for o in orders if o.by == p.id),
        )
        for p in people
    ]
    return participants, orders


def _truth_of(
    participants: list[ir.Participant], facts: list[ir.Fact], orders: list[ir.Order]
) -> ground.QueueTruth:
    ranks = {p.id: p.authority or 0 for p in participants}
    decisions, _ = queue.decide(
        [
            queue.QueueOrder(
                o.id,
                o.by,
                float(ranks.get(o.by, 0)),
                tuple(o.conflicts),
                o.harmful,
                o.priority,
                o.target,
            )
            for o in orders
        ],
        {f.id: f.capacity for f in facts},
    )
    return ground.QueueTruth(
        accepted=[d.id for d in decisions if d.accept],
        rejected=[
            ground.QueueDecision(id=d.id, reason=d.reason or "") for d in decisions if not d.accept
        ],
    )


def truth(lowered: Lowered) -> dict[str, Any]:
    """Its ground truth (`Family.truth`): which orders should win, and why."""
    return {"queue": _truth_of(lowered.participants, lowered.facts, lowered.orders)}
