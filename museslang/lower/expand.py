"""Sweep expansion: the grid of cells, and one seed per (cell, sample)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from museslang.lower import mixtures
from museslang.lower.mixtures import mixed_axes
from museslang.lower.seeds import derive_seed
from museslang.semantics.model import SWEEP_AXES, ScenarioDef


@dataclass(frozen=True)
class Cell:
    values: tuple[tuple[str, Any], ...]  # (axis, value) in SWEEP_AXES order

    def get(self, axis: str, default: Any = None) -> Any:
        return dict(self.values).get(axis, default)

    def label(self, axis: str, value: Any) -> str:
        if axis == "users":
            return f"u{value}"
        return getattr(value, "name", None) or str(value)

    @property
    def slug(self) -> str:
        return "-".join(self.label(a, v) for a, v in self.values)

    def plain(self) -> dict[str, str | int]:
        return {a: (v if isinstance(v, int) else self.label(a, v)) for a, v in self.values}


@dataclass(frozen=True)
class Planned:
    cell: Cell
    sample: int
    seed: int
    episode_id: str
    variant: str | None = None  # a metamorphic variant of `base`, with the same seed
    base: str | None = None


def cells(sc: ScenarioDef) -> list[Cell]:
    """The sweep's cells, row-major: the product of its axes; with `examples`, each row
    crossed with the product of the axes written as fields (the rows' own axes vary only
    row by row)."""
    sw = sc.sweep
    if sw is None:
        return [Cell(())]
    rows = sw.examples or [{}]
    apart = {*sw.example_axes, *mixed_axes(sw)}  # given by the rows, or drawn by weight
    axes = [(a, getattr(sw, a)) for a in SWEEP_AXES if getattr(sw, a) and a not in apart]
    out = []
    for row in rows:
        for combo in itertools.product(*[values for _, values in axes]):
            given = {**row, **dict(zip([a for a, _ in axes], combo, strict=True))}
            out.append(Cell(tuple((a, given[a]) for a in SWEEP_AXES if a in given)))
    return out


def plan(sc: ScenarioDef, base_seed: int | None) -> list[Planned]:
    """Every episode of a scenario, in a fixed order: cells row-major, then samples."""
    sw = sc.sweep
    seed = base_seed if base_seed is not None else (sw.seed if sw else 0)
    samples = sw.samples if sw else 1
    # a guard never changes what an episode is, only the defence it runs under
    shared = {*(sw.same_seed if sw else ()), "guards"}
    out: list[Planned] = []
    bases = [(cell, sample) for cell in cells(sc) for sample in range(1, samples + 1)]
    for (cell, sample), drawn in zip(bases, mixtures.draw(sc, len(bases), seed), strict=True):
        # axes in `same_seed` do not enter the seed: their variants share content (nor
        # do those drawn by weight: the draw is the one difference)
        seeded = [(a, cell.label(a, v)) for a, v in cell.values if a not in shared]
        ep_seed = derive_seed(seed, sc.name, seeded, sample)
        if drawn:
            given = {**dict(cell.values), **drawn}
            cell = Cell(tuple((a, given[a]) for a in SWEEP_AXES if a in given))
        parts = [sc.name or "scenario"]
        if cell.values:
            parts.append(cell.slug)
        if samples > 1 or cell.values:
            parts.append(f"s{sample}")
        episode_id = "-".join(parts)
        out.append(Planned(cell, sample, ep_seed, episode_id))
        for variant in sw.variants if sw else []:
            out.append(
                Planned(cell, sample, ep_seed, f"{episode_id}~{variant}", variant, episode_id)
            )
    return out
