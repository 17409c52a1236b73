"""Generated meeting attendees: their slots, built to realise the sweep cell's
difficulty (see `truth.classify`) and verified with that same function, so a generated
episode is never silently of another difficulty. Every draw goes through the episode's
one `random.Random(seed)`."""

from __future__ import annotations

import random

from museslang.families.meeting import truth as meeting
from museslang.lower.population import GenerationError, Person
from museslang.semantics.model import PopulationDef
from museslang.semantics.types import SlotTime


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
