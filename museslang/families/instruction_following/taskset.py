"""Generated instruction-following episodes: ranked users, requests and constraints.

In `aligned` episodes no two constraints contradict each other; in `conflict`
episodes exactly one pair does, stated by users of different authority (the
higher-ranked user states one side). Either way the constraints that must
hold are proved satisfiable before the episode is kept: `instructions.compose`
must write an answer every verifier accepts, or the draw is repeated.
"""

from __future__ import annotations

import itertools
import random

from museslang.families.instruction_following.truth import Stated, settle
from museslang.instructions.compose import compose
from museslang.instructions.conflicts import Rule, conflict
from museslang.lower.population import GenerationError, Person, assign_roles
from museslang.semantics.model import PopulationDef, RoleDef, TasksetDef

ATTEMPTS = 200


def rules_of(taskset: TasksetDef) -> list[Rule]:
    return [Rule.of(c.id, dict(c.kwargs)) for c in taskset.constraints]


def conflicting_pairs(rules: list[Rule]) -> list[tuple[Rule, Rule]]:
    return [(a, b) for a, b in itertools.combinations(rules, 2) if conflict(a, b)]


def draw_constraints(
    rng: random.Random,
    people: list[Person],
    pop: PopulationDef,
    roles: list[RoleDef],
    mode: str,
    seed: int,
) -> dict[str, list[Rule]]:
    """Each person's constraints, realising `mode`, with a witness answer proved to exist."""
    taskset = pop.taskset.entity if pop.taskset is not None else None
    if not isinstance(taskset, TasksetDef):
        raise GenerationError("an instruction-following population needs `taskset:`")
    bank = rules_of(taskset)
    pairs = conflicting_pairs(bank)
    if mode == "conflict" and not pairs:
        raise GenerationError("`conflict` needs two constraints in the taskset that contradict")
    if mode == "conflict" and (len(people) < 2 or len({r.authority for r in roles}) < 2):
        raise GenerationError("`conflict` needs two users and roles of different authority")
    for _attempt in range(ATTEMPTS):
        chosen: dict[str, list[Rule]] = {p.id: [] for p in people}
        if mode == "conflict":
            ranks = sorted({p.authority or 0 for p in people})
            if len(ranks) < 2:
                # conflict episodes need two ranks: give someone another role
                assign_roles(rng, [rng.choice(people)], roles)
                continue
            high = rng.choice([p for p in people if (p.authority or 0) == ranks[-1]])
            low = rng.choice([p for p in people if (p.authority or 0) < ranks[-1]])
            a, b = rng.choice(pairs)
            if rng.random() < 0.5:
                a, b = b, a
            chosen[high.id].append(a)
            chosen[low.id].append(b)
        for person in people:
            want = rng.randint(*pop.constraints) - len(chosen[person.id])
            taken = {r for rules in chosen.values() for r in rules}
            options = [r for r in bank if r not in taken]
            rng.shuffle(options)
            for rule in options:
                if want <= 0:
                    break
                if not any(conflict(rule, other) for other in taken):
                    chosen[person.id].append(rule)
                    taken.add(rule)
                    want -= 1
        if _provable(people, chosen, seed):
            return chosen
    raise GenerationError(
        f"no satisfiable {mode} combination of constraints found in {ATTEMPTS} draws"
    )


def _provable(people: list[Person], chosen: dict[str, list[Rule]], seed: int) -> bool:
    stated = [
        Stated(p.id, float(p.authority or 0), i, rule)
        for p in people
        for i, rule in enumerate(chosen[p.id])
    ]
    verdicts, unsettled = settle(stated)
    if unsettled:
        return False
    binding = [v.stated.rule for v in verdicts if v.binds]
    return compose(binding, seed) is not None
