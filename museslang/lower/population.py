"""Drawing generated users from a pool; each family then shapes them (its `lower` hook).

Every draw goes through one `random.Random(seed)`, so an episode's people depend only on
its seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from museslang.prompts import PromptError, render
from museslang.semantics.model import PoolDef, RoleDef
from museslang.semantics.types import SlotTime


class GenerationError(Exception):
    """The population cannot produce what the sweep asks for."""


@dataclass
class Person:
    id: str
    role: str
    age: int
    traits: list[str]
    persona: str | None
    required: bool = True
    stubborn: bool = False
    proactive: bool = True
    preferred: list[SlotTime] = field(default_factory=list)
    secondary: list[SlotTime] = field(default_factory=list)
    authority: int | None = None
    role_name: str | None = None
    entitled: bool = False


def draw_people(rng: random.Random, pool: PoolDef, n: int, taken: set[str]) -> list[Person]:
    names = [name for name in pool.names if name not in taken]
    if len(names) < n:
        raise GenerationError(f"pool has {len(names)} unused names, {n} needed")
    people = []
    for name in rng.sample(names, n):
        role = rng.choice(pool.roles) if pool.roles else "team member"
        age = rng.randint(*pool.ages)
        traits = rng.sample(pool.traits, min(2, len(pool.traits)))
        persona = None
        if pool.persona:
            try:
                persona = render(
                    pool.persona, {"name": name, "role": role, "age": age, "traits": traits}
                )
            except PromptError as exc:
                raise GenerationError(f"the pool's persona template failed: {exc}") from None
        people.append(Person(name, role, age, traits, persona))
    return people


def repersona(pool: PoolDef | None, person: Person) -> None:
    """Render the persona again once the person's role is final (roles come after the draw)."""
    if pool is None or not pool.persona:
        return
    values = {"name": person.id, "role": person.role, "age": person.age, "traits": person.traits}
    try:
        person.persona = render(pool.persona, values)
    except PromptError as exc:
        raise GenerationError(f"the pool's persona template failed: {exc}") from None


def assign_roles(rng: random.Random, people: list[Person], roles: list[RoleDef]) -> None:
    """A role per person, drawn uniformly: its title, declaration name and authority."""
    if not roles:
        raise GenerationError("the population needs `roles:` to give users an authority")
    for person in people:
        role = rng.choice(roles)
        person.role, person.role_name = role.title or role.name or "?", role.name
        person.authority = role.authority or 0
