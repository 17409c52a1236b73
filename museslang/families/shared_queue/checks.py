"""Checks of shared-queue scenarios: reference ids, conflicts nothing ranks, a worker for
generated orders (museslang.semantics.rules)."""

from __future__ import annotations

from collections import Counter

from museslang.diagnostics import Diagnostics, Label
from museslang.families.shared_queue import truth as queue
from museslang.semantics.model import OrderDef, ScenarioDef, UserDef


def _orders(sc: ScenarioDef, diags: Diagnostics) -> None:
    if not sc.orders:
        return
    refs = Counter(o.ref for o in sc.orders if o.ref)
    first: dict[str, OrderDef] = {}
    for o in sc.orders:
        if o.ref and refs[o.ref] > 1 and o.ref in first:
            # official records do this (sq_Peggy_Eve_Sybil_484c2bcd): they run as scored there
            diags.warning(
                "W007",
                f"reference id '{o.ref}' is used by two orders: an answer that names it by "
                "number means the one listed last in the ground truth (as the official "
                "mapping reads it), and only the order ids tell them apart",
                o.at("ref"),
                hint="give each order its own reference id",
                labels=[Label(first[o.ref].at("ref"), "also used here")],
            )
        if o.ref:
            first.setdefault(o.ref, o)
        if o.conflicts is not None and o.conflicts.name == o.name:
            diags.error("E033", f"order {o.name} conflicts with itself", o.at("conflicts"),
                        hint="point `conflicts:` at the other order it contradicts")  # fmt: skip
    items = []
    for o in sc.orders:
        by = o.by.entity if o.by is not None else None
        rank = by.rank if isinstance(by, UserDef) else None
        conflicts = (o.conflicts.name,) if o.conflicts is not None else ()
        items.append(
            queue.QueueOrder(
                o.name or "?",
                o.by.name if o.by else "?",
                float(rank or 0),
                conflicts,
                o.harmful,
                o.priority,
            )
        )
    _, ties = queue.decide(items)
    spans = {o.name: o for o in sc.orders}
    for a, b in ties:
        if a == b:
            continue  # an order that conflicts with itself is reported above, once
        diags.error(
            "E033",
            f"orders {a} and {b} conflict, and neither authority nor priority ranks them",
            spans[a].head,
            labels=[Label(spans[b].head, f"order {b}")],
            hint="give one of them a higher `priority`, or issue them from users of different "
            "authority",
        )


def _worker(sc: ScenarioDef, diags: Diagnostics) -> None:
    if sc.population is not None and not any(r.jobs for r in sc.resources):
        diags.error(
            "E043",
            "generated orders need a worker: no resource lists `jobs:`",
            sc.population.head,
            hint='add `jobs: ["bug fix", ...]` to a worker resource',
        )


# what `Family.checks` hands the checker: (stage, check), run in this order at each stage
CHECKS = (("fields", _orders), ("population", _worker))
