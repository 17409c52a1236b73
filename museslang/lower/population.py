"""Drawing generated users from a pool, and their meeting slots by difficulty.

Every draw goes through one `random.Random(seed)`, so an episode's people and
slots depend only on its seed. Slots are built to realise the requested
difficulty (see `truth.meeting.classify`) and the result is verified with that
same function: a generated episode is never silently of another difficulty.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from museslang.families.access_control import truth as access
from museslang.families.meeting import truth as meeting
from museslang.prompts import PromptError, render
from museslang.semantics.model import PoolDef, PopulationDef, RoleDef
from museslang.semantics.types import Selector, SlotTime


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


def assign_meeting(
    rng: random.Random,
    people: list[Person],
    pop: PopulationDef,
    slots: list[SlotTime],
    difficulty: str,
) -> None:
    """Give each person attendance, behaviour and slots realising `difficulty`."""
    n = len(people)
    for _attempt in range(50):
        share = rng.uniform(*pop.required)
        n_req = min(max(round(n * share), 1), max(n - 1, 1))
        flags = [True] * n_req + [False] * (n - n_req)
        rng.shuffle(flags)
        for person, required in zip(people, flags, strict=True):
            person.required = required
            person.stubborn = rng.random() < pop.stubborn
            person.proactive = rng.random() < pop.proactive
        if difficulty == "partial" and all(p.required for p in people):
            continue  # partial needs someone optional to leave out
        anchor = rng.choice(slots)
        _fill(rng, people, pop, slots, anchor, difficulty)
        attendees = _attendees(people)
        if meeting.classify(slots, attendees) == difficulty:
            return
    raise GenerationError(f"could not generate a '{difficulty}' meeting for {n} users")


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


def _attendees(people: list[Person]) -> list[meeting.Attendee]:
    return [
        meeting.Attendee(p.id, p.required, frozenset(p.preferred), frozenset(p.secondary))
        for p in people
    ]


def _fill(
    rng: random.Random,
    people: list[Person],
    pop: PopulationDef,
    slots: list[SlotTime],
    anchor: SlotTime,
    difficulty: str,
) -> None:
    others = [s for s in slots if s != anchor]
    n = len(people)
    # where the anchor (the slot that makes the meeting possible) sits for each person
    place = ["preferred"] * n
    if difficulty == "negotiation":
        backups = rng.sample(range(n), rng.randint(1, n))
        for i in backups:
            place[i] = "secondary"
    elif difficulty == "partial":
        optional = [i for i, p in enumerate(people) if not p.required]
        left_out = rng.sample(optional, rng.randint(1, len(optional)))
        for i in range(n):
            if i in left_out:
                place[i] = "none"
            else:
                place[i] = rng.choice(["preferred", "secondary"])
    for person, where in zip(people, place, strict=True):
        n_pref = rng.randint(*pop.preferred)
        n_sec = rng.randint(*pop.secondary)
        picks = rng.sample(others, min(len(others), n_pref + n_sec))
        pref, sec = picks[:n_pref], picks[n_pref:]
        if where == "preferred":
            pref = [anchor, *pref[: max(n_pref - 1, 0)]]
        elif where == "secondary":
            sec = [anchor, *sec[: max(n_sec - 1, 0)]]
        person.preferred, person.secondary = sorted(pref), sorted(sec)
    if difficulty == "negotiation":
        _break_common(rng, people, lambda p: set(p.preferred), slots, anchor)
    elif difficulty == "partial":
        _break_common(
            rng,
            people,
            lambda p: set(p.preferred) | set(p.secondary),
            slots,
            anchor,
            only_optional=True,
        )


def _break_common(rng, people, accepted, slots, anchor, only_optional=False) -> None:
    """Remove slots that everyone holds (in the sense of `accepted`), from one person each."""
    common = set.intersection(*(accepted(p) for p in people)) - {anchor}
    for slot in sorted(common):
        holders = [p for p in people if (not only_optional or not p.required)]
        victim = rng.choice(holders)
        if slot in victim.preferred:
            victim.preferred.remove(slot)
        if slot in victim.secondary:
            victim.secondary.remove(slot)
        if not victim.preferred:
            free = [s for s in slots if s not in victim.secondary and s != slot and s != anchor]
            victim.preferred.append(rng.choice(free))
            victim.preferred.sort()
