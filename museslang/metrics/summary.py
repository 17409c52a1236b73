"""From per-episode results to `summary.json` and the printed table.

Every metric is reported per family, per sweep cell and per value of each
sweep axis (and per scenario, when a spec has several), as mean, standard error and
count. With several trials, an
episode's trials are averaged first and the standard error is taken over
episodes: trials of one episode are not independent samples, and counting
them as such would shrink the error bars K-fold. Success-type metrics also
get pass^k, the chance that an episode succeeds in all of k trials.

Errored episodes are counted, never silently dropped. By default they are
scored on what they did before the error. Under `--metrics compat` a result enters the
means only when the official aggregation would take its record (`counted`, see
metrics.compat), and `excluded` says how many did not.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from museslang.family import find as find_family
from museslang.ir.results import EpisodeResult, Usage
from museslang.metrics.stability import NAME, stability
from museslang.metrics.triple import Triple, triples


class Stat(BaseModel):
    mean: float | list[float] | None
    stderr: float | None = Field(
        default=None, description="standard error of the mean over episodes (None for n < 2)"
    )
    n: int = Field(description="episodes with a value")
    trials: int = Field(default=1, description="most trials any of those episodes ran")
    pass_k: dict[str, float] | None = Field(
        default=None,
        description="success-type metrics: k -> share of episodes that pass in all k of k "
        "trials (unbiased estimate from each episode's c passes in n trials: C(c,k)/C(n,k))",
    )


class Group(BaseModel):
    episodes: int
    errored: int = Field(description="errored results (episode trials)")
    redraws: int = Field(
        default=0,
        description="draws the compiler rejected before these episodes (the reference oracle "
        "could not pass them), counted once per episode",
    )
    kept: float = Field(
        default=1.0, description="share of the draws kept: episodes / (episodes + redraws)"
    )
    simulator_error_rate: float | None = Field(
        default=None,
        description="share of results in which the simulated-user audit flagged a message "
        "(metric simulator_errors above 0): those measure the simulator as much as the agent",
    )
    excluded: int = Field(
        default=0,
        description="compat: results the official aggregation leaves out of the means",
    )
    trials: int = 1
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
    triple: dict[str, Triple] = Field(
        default_factory=dict,
        description="an attack family: per attack, benign utility, utility under attack and "
        "attack success rate (AgentDojo's triple, metrics.triple)",
        exclude_if=lambda v: not v,
    )


class ActorRate(BaseModel):
    """A --ray run: what one actor did."""

    actor: int
    node: str
    results: int
    per_s: float = Field(description="results per second of the run's wall time")


class RunSummary(BaseModel):
    spec: str
    spec_sha256: str
    seed: int
    agent: str
    users: str
    metrics: str = Field(default="default", description="the scoring scheme: default or compat")
    episodes: int = Field(description="distinct episodes")
    trials: int = Field(default=1, description="trials per episode (K)")
    results: int = Field(description="episode trials with a result")
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
    actors: list[ActorRate] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="a --ray run: each actor's node, results and results per second",
    )


def pass_hat_k(passes: list[list[bool]], k: int) -> float | None:
    """Mean over episodes with at least k trials of C(c, k) / C(n, k)."""
    terms = [math.comb(sum(p), k) / math.comb(len(p), k) for p in passes if len(p) >= k]
    return sum(terms) / len(terms) if terms else None


def _curve(values: list[list[float]]) -> list[float]:
    width = max(len(v) for v in values)
    out = []
    for i in range(width):
        column = [v[i] for v in values if i < len(v)]
        out.append(sum(column) / len(column))
    return out


def stat_of(per_episode: dict[str, list[float | list[float]]], success: bool) -> Stat:
    """One metric from each episode's values, one per trial that has one."""
    runs = [v for v in per_episode.values() if v]
    trials = max((len(v) for v in runs), default=1)
    if runs and isinstance(runs[0][0], list):
        curves = [c for v in runs for c in v if isinstance(c, list)]
        return Stat(mean=_curve(curves), n=len(runs), trials=trials)
    scalars = [[float(x) for x in v if not isinstance(x, list)] for v in runs]
    if not scalars:
        return Stat(mean=None, n=0, trials=trials)
    xs = [sum(v) / len(v) for v in scalars]
    mean = sum(xs) / len(xs)
    stderr = None
    if len(xs) > 1:
        var = sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)
        stderr = math.sqrt(var / len(xs))
    pass_k = None
    if success:
        passes = [[x >= 1.0 - 1e-9 for x in v] for v in scalars]
        pass_k = {
            str(k): p for k in range(1, trials + 1) if (p := pass_hat_k(passes, k)) is not None
        }
    return Stat(mean=mean, stderr=stderr, n=len(xs), trials=trials, pass_k=pass_k)


def counts(result: EpisodeResult, scheme: str) -> bool:
    """Whether a result enters the means: always by default; under compat, when the
    official aggregation takes its record."""
    if scheme == "default":
        return True
    return result.metrics.get("counted", 1.0 if result.status == "ok" else 0.0) != 0.0


def _group(
    results: list[EpisodeResult], names: list[str], success: Iterable[str], scheme: str
) -> Group:
    counted = [r for r in results if counts(r, scheme)]
    columns: dict[str, dict[str, list[float | list[float]]]] = {n: {} for n in names}
    for r in counted:
        for name in names:
            value = r.metrics.get(name)
            column = columns[name].setdefault(r.id, [])
            if value is not None:
                column.append(value)
    winners = set(success)
    drawn = {r.id: r.redraws for r in results if r.variant in (None, "original")}
    redraws = sum(drawn.values())
    audited = [
        v for r in results if isinstance(v := r.metrics.get("simulator_errors"), float | int)
    ]
    return Group(
        simulator_error_rate=sum(v > 0 for v in audited) / len(audited) if audited else None,
        episodes=len({r.id for r in results}),
        redraws=redraws,
        kept=len(drawn) / (len(drawn) + redraws) if drawn else 1.0,
        errored=sum(r.status != "ok" for r in results),
        excluded=len(results) - len(counted),
        trials=max((r.trial + 1 for r in results), default=1),
        metrics={n: stat_of(v, n in winners) for n, v in columns.items()},
    )


def _triple_of(family: str) -> tuple[str, str, str] | None:
    found = find_family(family)
    return found.triple if found is not None else None


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
    scheme: str = "default",
) -> RunSummary:
    stable = stability(results)
    if stable:
        # the one cross-episode metric joins each variant's own metrics for grouping
        results = [
            r.model_copy(update={"metrics": {**r.metrics, NAME: stable[r.key]}})
            if r.key in stable
            else r
            for r in results
        ]
    by_family: dict[str, list[EpisodeResult]] = defaultdict(list)
    for r in results:
        by_family[r.family].append(r)
    families: dict[str, FamilySummary] = {}
    for family, rs in by_family.items():
        names = metric_names(rs)
        success = getattr(find_family(family), "success", ())
        cells: dict[tuple, list[EpisodeResult]] = defaultdict(list)
        axes: dict[str, dict[str, list[EpisodeResult]]] = defaultdict(lambda: defaultdict(list))
        # two scenarios of one family are never pooled: the scenario is an axis of its own
        several = len({r.scenario for r in rs}) > 1
        for r in rs:
            cell = {"scenario": r.scenario, **r.cell} if several else r.cell
            cells[tuple(cell.items())].append(r)
            for axis, value in cell.items():
                axes[axis][str(value)].append(r)
        whole = _group(rs, names, success, scheme)
        families[family] = FamilySummary(
            **whole.model_dump(),
            cells=[
                CellGroup(cell=dict(key), **_group(group, names, success, scheme).model_dump())
                for key, group in cells.items()
            ],
            by_axis={
                axis: {
                    value: _group(group, names, success, scheme) for value, group in values.items()
                }
                for axis, values in axes.items()
            },
            official={
                paper: whole.metrics[ours]
                for paper, ours in getattr(find_family(family), "official", ())
                if ours in whole.metrics
            },
            triple=triples(rs, *declared) if (declared := _triple_of(family)) else {},
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
        metrics=scheme,
        episodes=len({r.id for r in results}),
        trials=max((r.trial + 1 for r in results), default=1),
        results=len(results),
        ok=sum(r.status == "ok" for r in results),
        errored=sum(r.status != "ok" for r in results),
        prefix_reuse=sum(ratios) / len(ratios) if ratios else None,
        prefix_kept=min(kept) if kept else None,
        agent_usage=agent_usage,
        user_usage=user_usage,
        wall_s=wall_s,
        families=families,
    )
