"""Weighted sweep axes (`attack: { pressure: 2, fake_authorization: 1 }`): drawn per
episode in the proportions given, instead of crossed with the other axes.

The draw is stratified, not independent: the scenario's episodes are split between the
values by the largest-remainder rule (12 episodes at 2:1 give exactly 8 and 4, never 9
and 3 by chance), and which episode gets which value is a shuffle seeded by the base seed,
the scenario and the axis. So the shares are as close to the weights as whole episodes
allow, the same on every machine, and `check` and `compile` print them
(`lines`) next to the weights they were drawn for; every episode drawn so carries its
mixture (`mixed` in the compiled JSON). The episode's own seed does not depend on the
drawn value: two episodes of a cell and sample that drew different attacks have the
same people, as `same_seed` would give them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from museslang.lower.seeds import derive_seed
from museslang.semantics.model import SWEEP_AXES, ScenarioDef, SweepDef
from museslang.semantics.types import Weighted


def mixed_axes(sw: SweepDef | None) -> list[str]:
    """The sweep's axes given as weights, in SWEEP_AXES order."""
    return [a for a in SWEEP_AXES if sw is not None and isinstance(getattr(sw, a), Weighted)]


def apportion(weights: list[float], n: int) -> list[int]:
    """`n` split in proportion to `weights`, by largest remainder (ties: the value written
    first); the counts add up to `n`."""
    total = sum(weights)
    exact = [w / total * n for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def draw(sc: ScenarioDef, n: int, seed: int) -> list[dict[str, Any]]:
    """For each of the scenario's `n` episodes (in plan order), the value of each weighted
    axis it draws."""
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    sw = sc.sweep
    for axis in mixed_axes(sw):
        values: Weighted = getattr(sw, axis)
        pool = [v for v, k in zip(values, apportion(values.weights, n), strict=True)
                for _ in range(k)]  # fmt: skip
        random.Random(derive_seed(seed, sc.name, "mixture", axis)).shuffle(pool)
        for drawn, value in zip(out, pool, strict=True):
            drawn[axis] = value
    return out


def weights(sw: SweepDef | None) -> dict[str, dict[str, float]]:
    """axis -> {value: weight} of each weighted axis, as the compiled episode records it."""
    out = {}
    for axis in mixed_axes(sw):
        values: Weighted = getattr(sw, axis)
        names = [getattr(v, "name", None) or str(v) for v in values]
        out[axis] = dict(zip(names, values.weights, strict=True))
    return out


def lines(episodes: Iterable) -> list[str]:
    """What `check` and `compile` print: per scenario and weighted axis, the share each
    value was drawn against its weight's (`pressure 8/12 67% (weight 67%)`)."""
    drawn: dict[tuple[str, str], Counter[str]] = {}
    mixes: dict[tuple[str, str], dict[str, float]] = {}
    for e in episodes:
        if e.base is not None:
            continue  # a variant is a copy of its base, not a draw
        for axis, mix in e.mixed.items():
            drawn.setdefault((e.scenario, axis), Counter())[str(e.cell[axis])] += 1
            mixes[(e.scenario, axis)] = mix
    out = []
    for (scenario, axis), counts in drawn.items():
        mix, n = mixes[(scenario, axis)], sum(counts.values())
        total = sum(mix.values())
        parts = ", ".join(f"{v} {counts[v]}/{n} {counts[v] / n:.0%} (weight {w / total:.0%})"
                          for v, w in mix.items())  # fmt: skip
        out.append(f"  {scenario}: {axis} drawn by weight over {n} episodes: {parts}")
    return out
