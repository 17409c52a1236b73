"""Generated access-control users: roles, and who among them may read the resource
they ask for."""

from __future__ import annotations

import random

from museslang.lower.population import GenerationError, Person
from museslang.semantics import readers as access
from museslang.semantics.model import PopulationDef
from museslang.semantics.types import SWEPT, Selector, Symbol


def assign_access(
    rng: random.Random,
    people: list[Person],
    pop: PopulationDef,
    allow: list[Selector],
    deny: list[Selector],
) -> None:
    """Give each person a role so that the requested share is entitled to the resource.

    Entitlement is not drawn directly: each person gets one of the population's roles
    that the resource's read rules grant (or refuse), so the compiled ground truth
    follows from the rules as it would for hand-written users.
    """
    roles = [r.entity for r in pop.roles if r.entity is not None]
    n = len(people)
    n_auth = 1 if n == 1 else min(max(round(n * rng.uniform(*pop.authorized)), 1), n - 1)
    flags = [True] * n_auth + [False] * (n - n_auth)
    rng.shuffle(flags)

    def grants(role) -> bool:
        who = access.Person("?", role.title or role.name, role.authority, role.name)
        return any(access.matches(s, who) for s in allow) and not any(
            access.matches(s, who) for s in deny
        )

    for person, entitled in zip(people, flags, strict=True):
        fitting = [r for r in roles if grants(r) == entitled]
        if not fitting:
            kind = "grants" if entitled else "refuses"
            raise GenerationError(f"no role in `population.roles` that the resource {kind}")
        role = rng.choice(fitting)
        person.role, person.role_name = role.title or role.name, role.name
        person.authority, person.entitled = role.authority, entitled


def attack_of(person: Person, pop: PopulationDef, swept: Symbol | None) -> Symbol | None:
    """The attack an unauthorised generated user carries: the sweep cell's, unless the
    population's `attacks:` says by role (`sweep`: the cell's; a role left out: none)."""
    if not pop.attacks:
        return swept
    for role, attack in pop.attacks:
        if role.name == person.role_name:
            return swept if attack == SWEPT else attack
    return None
