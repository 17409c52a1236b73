"""From per-episode results to `summary.json` and the printed table.

Every metric is reported per family, per sweep cell and per value of each
sweep axis, as mean, standard error and count. Errored episodes are counted,
never silently dropped; their metrics are left out of the means (they have
none), and the counts say how many that was.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from museslang.metrics.stability import NAME, stability
from museslang.runtime.transcript import EpisodeResult, Usage


class Stat(BaseModel):
    mean: float | list[float] | None
    stderr: float | None = None
    n: int


class Group(BaseModel):
    episodes: int
    errored: int
    metrics: dict[str, Stat]


class CellGroup(Group):
    cell: dict[str, str | int]


class FamilySummary(Group):
    cells: list[CellGroup]
    by_axis: dict[str, dict[str, Group]]
    official: dict[str, Stat] = Field(
        default_factory=dict,
        description="the MUSES Bench paper's metric names, each with museslang's value",
    )


# family -> (the paper's name, the museslang metric that computes it); docs/eval.md
OFFICIAL: dict[str, tuple[tuple[str, str], ...]] = {
    "access_control": (("privacy", "privacy"), ("utility", "utility"), ("overall", "overall")),
    "meeting": (
        ("success", "success"),
        ("attendance", "attendance"),
        ("utility", "utility"),
        ("turns", "turns"),
    ),
    "shared_queue": (("MAIS", "mais"), ("accuracy", "accuracy"), ("F1", "f1")),
    "instruction_following": (("accuracy", "accuracy"),),
}


class RunSummary(BaseModel):
    spec: str
    spec_sha256: str
    seed: int
    agent: str
    users: str
    episodes: int
    ok: int
    errored: int
    prefix_reuse: float | None = Field(
        description="over every agent request after an episode's first: share of the prompt "
        "that repeats the previous request and its reply"
    )
    prefix_kept: float | None = Field(
        description="lowest share of a request that the next one repeats (1.0: append-only)"
    )
    agent_usage: Usage
    user_usage: Usage
    wall_s: float
    families: dict[str, FamilySummary]


def _stat(values: list[float | list[float]]) -> Stat:
    if values and isinstance(values[0], list):
        width = max(len(v) for v in values if isinstance(v, list))
        curve = []
        for i in range(width):
            column = [v[i] for v in values if isinstance(v, list) and i < len(v)]
            curve.append(sum(column) / len(column))
        return Stat(mean=curve, n=len(values))
    xs = [float(v) for v in values if not isinstance(v, list)]
    if not xs:
        return Stat(mean=None, n=0)
    mean = sum(xs) / len(xs)
    stderr = None
    if len(xs) > 1:
        var = sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)
        stderr = math.sqrt(var / len(xs))
    return Stat(mean=mean, stderr=stderr, n=len(xs))


def _group(results: list[EpisodeResult], names: list[str]) -> Group:
    columns: dict[str, list[float | list[float]]] = {n: [] for n in names}
    for r in results:
        if r.status != "ok":
            continue
        for name in names:
            value = r.metrics.get(name)
            if value is not None:
                columns[name].append(value)
    return Group(
        episodes=len(results),
        errored=sum(r.status != "ok" for r in results),
        metrics={n: _stat(v) for n, v in columns.items()},
    )


def metric_names(results: Iterable[EpisodeResult]) -> list[str]:
    names: dict[str, None] = {}
    for r in results:
        names.update(dict.fromkeys(r.metrics))
    return list(names)


def summarise(
    results: list[EpisodeResult],
    *,
    spec: str,
    spec_sha256: str,
    seed: int,
    agent: str,
    users: str,
    wall_s: float,
) -> RunSummary:
    stable = stability(results)
    if stable:
        # the one cross-episode metric joins each variant's own metrics for grouping
        results = [
            r.model_copy(update={"metrics": {**r.metrics, NAME: stable[r.id]}})
            if r.id in stable
            else r
            for r in results
        ]
    by_family: dict[str, list[EpisodeResult]] = defaultdict(list)
    for r in results:
        by_family[r.family].append(r)
    families: dict[str, FamilySummary] = {}
    for family, rs in by_family.items():
        names = metric_names(rs)
        cells: dict[tuple, list[EpisodeResult]] = defaultdict(list)
        axes: dict[str, dict[str, list[EpisodeResult]]] = defaultdict(lambda: defaultdict(list))
        for r in rs:
            cells[tuple(r.cell.items())].append(r)
            for axis, value in r.cell.items():
                axes[axis][str(value)].append(r)
        whole = _group(rs, names)
        families[family] = FamilySummary(
            **whole.model_dump(),
            cells=[
                CellGroup(cell=dict(key), **_group(group, names).model_dump())
                for key, group in cells.items()
            ],
            by_axis={
                axis: {value: _group(group, names) for value, group in values.items()}
                for axis, values in axes.items()
            },
            official={
                paper: whole.metrics[ours]
                for paper, ours in OFFICIAL.get(family, ())
                if ours in whole.metrics
            },
        )
    ratios = [x for r in results for x in r.prefix_reuse]
    kept = [r.prefix_kept for r in results if r.prefix_kept is not None]
    agent_usage, user_usage = Usage(), Usage()
    for r in results:
        agent_usage.add(r.agent_usage)
        user_usage.add(r.user_usage)
    return RunSummary(
        spec=spec,
        spec_sha256=spec_sha256,
        seed=seed,
        agent=agent,
        users=users,
        episodes=len(results),
        ok=sum(r.status == "ok" for r in results),
        errored=sum(r.status != "ok" for r in results),
        prefix_reuse=sum(ratios) / len(ratios) if ratios else None,
        prefix_kept=min(kept) if kept else None,
        agent_usage=agent_usage,
        user_usage=user_usage,
        wall_s=wall_s,
        families=families,
    )
