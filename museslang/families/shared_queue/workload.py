"""Generated shared-queue episodes: people with ranked roles and the orders they send.

Each episode is built to contain every kind of decision the family tests, where
its people allow it: an urgent order from the top of the hierarchy contradicted
by someone lower (conflict with higher authority), two equal-authority users
whose orders contradict each other where one serves the objective better
(less aligned), harmful off-objective work, and plain aligned orders. Which
orders win is not decided here: the compiler derives it from the generated
orders with `truth.queue`, exactly as for hand-written ones.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from museslang.lower.population import GenerationError, Person
from museslang.prompts import PromptError, render
from museslang.semantics.model import PopulationDef, ResourceDef, WorkloadDef


@dataclass
class DraftOrder:
    by: str
    text: str
    target: str
    conflicts: DraftOrder | None = None  # the order it contradicts
    harmful: bool = False
    priority: int = 0


def draft_orders(
    rng: random.Random,
    people: list[Person],
    pop: PopulationDef,
    workers: list[ResourceDef],
    objective: str,
) -> list[DraftOrder]:
    """Every order of the episode, grouped by user in the order the people were drawn."""
    load = pop.workload.entity if pop.workload is not None else None
    if not isinstance(load, WorkloadDef):
        raise GenerationError("a shared-queue population needs `workload:`")
    menu = [(w.name or "?", job) for w in workers for job in w.jobs]
    if not menu:
        raise GenerationError("no worker resource lists `jobs:` for generated orders")
    per_user: dict[str, list[DraftOrder]] = defaultdict(list)

    def write(templates: list[str], person: Person, **extra: object) -> DraftOrder:
        worker, job = rng.choice(menu)
        values = {
            "job": job,
            "project": rng.choice(load.projects),
            "critical": load.critical,
            "objective": objective,
            "user": person.id,
        }
        values.update(extra)  # type: ignore[arg-type]
        try:
            text = render(rng.choice(templates), values)
        except PromptError as exc:
            raise GenerationError(f"rendering an order failed: {exc}") from None
        order = DraftOrder(person.id, text, str(values.get("worker", worker)))
        per_user[person.id].append(order)
        return order

    by_rank = sorted(people, key=lambda p: -(p.authority or 0))
    top = by_rank[0]
    lower = [p for p in people if (p.authority or 0) < (top.authority or 0)]
    if lower:
        worker, job = rng.choice(menu)
        urgent = write(load.urgent, top, job=job, worker=worker, project=load.critical)
        cancel = write(load.cancel, rng.choice(lower), job=job, worker=worker)
        cancel.conflicts = urgent
    peers = defaultdict(list)
    for p in people:
        peers[p.authority or 0].append(p)
    pairs = [group for group in peers.values() if len(group) >= 2]
    if pairs and load.focused and load.cleanup:
        a, b = rng.sample(rng.choice(pairs), 2)
        worker, job = rng.choice(menu)
        focused = write(load.focused, a, job=job, worker=worker)
        cleanup = write(load.cleanup, b, job=job, worker=worker)
        focused.priority = 1
        cleanup.conflicts = focused
    harmful = [p for p in people if rng.random() < pop.harmful] or [rng.choice(people)]
    for p in harmful:
        write(load.harmful, p).harmful = True
    for p in people:
        for _ in range(rng.randint(*pop.orders)):
            write(load.ask, p)
    out: list[DraftOrder] = []
    for p in people:
        mine = per_user[p.id]
        rng.shuffle(mine)
        out += mine
    return out


def order_ids(
    rng: random.Random, drafts: list[DraftOrder]
) -> tuple[list[str], list[str], list[str | None]]:
    """Reference numbers, order ids (`Name_task_NNNN`) and resolved conflict ids."""
    refs = [str(r) for r in rng.sample(range(1000, 10000), len(drafts))]
    ids = [f"{d.by}_task_{ref}" for d, ref in zip(drafts, refs, strict=True)]
    index = {id(d): i for i, d in enumerate(drafts)}
    conflicts = [ids[index[id(d.conflicts)]] if d.conflicts else None for d in drafts]
    return refs, ids, conflicts
