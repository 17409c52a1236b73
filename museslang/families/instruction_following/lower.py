"""Lowering instruction-following scenarios: which constraints bind, and generated users
with requests and constraints for the sweep cell's mode (museslang.lower.episodes)."""

from __future__ import annotations

from typing import Any

from museslang.families.instruction_following import ground, taskset
from museslang.families.instruction_following import truth as instructions
from museslang.instructions.conflicts import Rule
from museslang.ir import models as ir
from museslang.lower.episodes import Drawn, Lowered, ranked
from museslang.lower.population import assign_roles


def population(drawn: Drawn) -> tuple[list[ir.Participant], list[ir.Order]]:
    """Its generated users (`Family.population`): ranked users, each with a request and
    constraints realising the cell's mode."""
    sc, rng, people, disclosure, lc = (drawn.scenario, drawn.rng, drawn.people,
                                       drawn.disclosure, drawn.lc)  # fmt: skip
    mode, seed = drawn.planned.cell.get("mode", "aligned"), drawn.planned.seed
    pop = sc.population
    assert pop is not None
    roles = [r.entity for r in pop.roles if r.entity is not None]
    assign_roles(rng, people, roles)
    chosen = taskset.draw_constraints(rng, people, pop, roles, mode, seed)
    tasks = pop.taskset.entity.tasks
    src = lc.source_of(pop.head)
    return [
        ranked(
            p,
            pop,
            disclosure,
            src,
            lc,
            goal="Get an answer to your request that follows your rules.",
            task=rng.choice(tasks),
            constraints=[ir.Instruction(id=r.id, kwargs=r.args) for r in chosen[p.id]],
        )
        for p in people
    ], []


def _truth_of(
    participants: list[ir.Participant], policy: str, answer: str = "shared"
) -> list[ground.ConstraintTruth]:
    stated = [
        instructions.Stated(p.id, float(p.authority or 0), i, Rule.of(c.id, c.kwargs))
        for p in participants
        for i, c in enumerate(p.constraints)
    ]
    verdicts, _ = instructions.settle(stated, policy, per_user=answer == "per_user")
    return [
        ground.ConstraintTruth(
            user=v.stated.user,
            index=v.stated.index,
            id=v.stated.rule.id,
            binding=v.binds,
            overridden_by=(
                f"{v.overridden_by.user}#{v.overridden_by.index}" if v.overridden_by else None
            ),
        )
        for v in verdicts
    ]


def truth(lowered: Lowered) -> dict[str, Any]:
    """Its ground truth (`Family.truth`): which constraints bind each answer."""
    sc = lowered.scenario
    return {"constraints": _truth_of(lowered.participants, sc.binding, sc.answer)}
