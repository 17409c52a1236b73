"""What a report shows, computed from run directories: the paper's table and the figures.

Runs of one agent are pooled per benchmark (as in `museslang table`), and every number is a mean
over episodes with each episode's trials averaged first. A run counts its errored
episodes as it was scored: under default scoring they count, under compat they don't.
A figure whose family no run covers says so instead of drawing an empty chart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from museslang import families
from museslang.metrics.paper_table import Row, Run, split
from museslang.metrics.paper_table import build as table_rows
from museslang.metrics.stability import stability
from museslang.metrics.summary import Stat, pass_hat_k, stat_of
from museslang.report import svg
from museslang.runtime.transcript import EpisodeResult

FAMILY_NAMES = {
    "access_control": "access control",
    "meeting": "meeting scheduling",
    "shared_queue": "shared queue",
    "instruction_following": "instruction following",
}


@dataclass
class Figure:
    title: str
    svgs: list[str]  # one chart, or one per agent
    headers: list[str]
    rows: list[list[str]]
    note: str = ""  # what was measured, or why there is nothing to show


@dataclass
class Report:
    runs: list[tuple[str, str, str, int]]  # path, agent, scoring scheme, results
    table: list[Row]
    figures: list[Figure] = field(default_factory=list)


def _counted(run: Run) -> list[EpisodeResult]:
    return run.results if run.scheme == "default" else [r for r in run.results if r.status == "ok"]


def _agents(runs: list[Run]) -> dict[str, list[EpisodeResult]]:
    """Series by agent; an agent that ran two specs of one family gets a series per
    benchmark (named as its rows in the paper's table), never one mixed series."""
    by_agent: dict[str, list[Run]] = {}
    for run in runs:
        by_agent.setdefault(run.agent, []).append(run)
    pooled: dict[str, list[EpisodeResult]] = {}
    for agent, mine in by_agent.items():
        parts = split(mine)
        for part in parts:
            key = agent
            if len(parts) > 1:
                names = dict.fromkeys(r.benchmark or r.path for _, r in part)
                key = f"{agent} ({', '.join(names)})"
            series = pooled.setdefault(key, [])
            for family, run in part:
                series.extend(r for r in _counted(run) if r.family == family)
    return pooled


def _stat(results: list[EpisodeResult], value: Callable[[EpisodeResult], float | None]) -> Stat:
    per: dict[str, list[float | list[float]]] = defaultdict(list)
    for r in results:
        v = value(r)
        if v is not None:
            per[f"{r.id}\x1f{r.agent}"].append(v)
    return stat_of(per, success=False)


def _metric(name: str) -> Callable[[EpisodeResult], float | None]:
    def get(r: EpisodeResult) -> float | None:
        v = r.metrics.get(name)
        return float(v) if isinstance(v, int | float) else None

    return get


def _fmt(stat: Stat | None) -> str:
    if stat is None or not isinstance(stat.mean, float):
        return "–"
    err = f" ± {stat.stderr:.3f}" if stat.stderr is not None else ""
    return f"{stat.mean:.3f}{err}"


def _of(results: list[EpisodeResult], family: str) -> list[EpisodeResult]:
    return [r for r in results if r.family == family]


def _missing(title: str, family: str) -> Figure:
    name = FAMILY_NAMES[family]
    return Figure(title, [], [], [], note=f"No run covers {name}.")


def privacy_vs_utility(agents: dict[str, list[EpisodeResult]]) -> Figure:
    title = "Access control: privacy vs utility"
    points, rows = {}, []
    for agent, results in agents.items():
        mine = _of(results, "access_control")
        if not mine:
            continue
        p, u = _stat(mine, _metric("privacy")), _stat(mine, _metric("utility"))
        if isinstance(p.mean, float) and isinstance(u.mean, float):
            points[agent] = (u.mean, p.mean)
        rows.append([agent, _fmt(p), _fmt(u), str(p.n)])
    if not rows:
        return _missing(title, "access_control")
    chart = svg.scatter_chart(title, points, "utility", "privacy")
    note = "Top right is best: nothing leaked and everyone entitled got what they asked for."
    return Figure(title, [chart], ["agent", "privacy", "utility", "episodes"], rows, note)


def _curve(results: list[EpisodeResult]) -> list[float]:
    curves = [c for r in results if isinstance(c := r.metrics.get("leak_by_turn"), list)]
    if not curves:
        return []
    width = max(len(c) for c in curves)
    return [
        sum(c[i] for c in curves if i < len(c)) / sum(1 for c in curves if i < len(c))
        for i in range(width)
    ]


def leaks_by_turn(agents: dict[str, list[EpisodeResult]]) -> Figure:
    title = "Access control: leak rate by turn, per attack"
    charts, rows = [], []
    for agent, results in agents.items():
        by_attack: dict[str, list[EpisodeResult]] = defaultdict(list)
        for r in _of(results, "access_control"):
            by_attack[str(r.cell.get("attack", "all"))].append(r)
        series = {}
        for attack, group in by_attack.items():
            curve = _curve(group)
            if curve:
                series[attack] = [(i + 1.0, v) for i, v in enumerate(curve)]
                rows.append([agent, attack, *(f"{v:.2f}" for v in curve)])
        if series:
            charts.append(svg.line_chart(f"{title} — {agent}", series, "agent turn", "leak rate"))
    if not rows:
        return _missing(title, "access_control")
    width = max(len(r) for r in rows) - 2
    headers = ["agent", "attack", *(f"t{i}" for i in range(1, width + 1))]
    rows = [r + [""] * (len(headers) - len(r)) for r in rows]
    note = "Share of (unauthorised user, resource) pairs leaked by the end of each agent turn."
    return Figure(title, charts, headers, rows, note)


def by_users(
    agents: dict[str, list[EpisodeResult]],
    family: str,
    metric: str,
    title: str,
    ylabel: str,
    unit: bool = True,
) -> Figure:
    series: dict[str, list[tuple[float, float]]] = {}
    table: dict[int, dict[str, str]] = defaultdict(dict)
    for agent, results in agents.items():
        by_n: dict[int, list[EpisodeResult]] = defaultdict(list)
        for r in _of(results, family):
            n = r.cell.get("users")
            n = n if isinstance(n, int) else r.team  # a spec without a users sweep
            if isinstance(n, int):
                by_n[n].append(r)
        for n in sorted(by_n):
            stat = _stat(by_n[n], _metric(metric))
            if isinstance(stat.mean, float):
                series.setdefault(agent, []).append((float(n), stat.mean))
                table[n][agent] = _fmt(stat)
    if not series:
        if any(_of(results, family) for results in agents.values()):
            note = (f"The {FAMILY_NAMES[family]} runs record no team size (written before "
                    "museslang recorded it, with no `users` sweep): run them again.")  # fmt: skip
            return Figure(title, [], [], [], note=note)
        return _missing(title, family)
    chart = svg.line_chart(title, series, "users", ylabel, unit=unit)
    names = list(series)
    rows = [[str(n), *(table[n].get(a, "–") for a in names)] for n in sorted(table)]
    return Figure(title, [chart], ["users", *names], rows)


def _mode(r: EpisodeResult) -> str:
    mode = r.cell.get("mode")
    if isinstance(mode, str):
        return mode
    return "conflict" if r.metrics.get("conflict_resolution") is not None else "aligned"


def instructions_by_mode(agents: dict[str, list[EpisodeResult]]) -> Figure:
    title = "Instruction following: accuracy, aligned vs conflict"
    modes = ["aligned", "conflict"]
    names, values, rows = [], {m: [] for m in modes}, []
    for agent, results in agents.items():
        mine = _of(results, "instruction_following")
        if not mine:
            continue
        names.append(agent)
        cells = []
        for m in modes:
            stat = _stat([r for r in mine if _mode(r) == m], _metric("accuracy"))
            values[m].append(stat.mean if isinstance(stat.mean, float) else None)
            cells.append(_fmt(stat))
        rows.append([agent, *cells])
    if not names:
        return _missing(title, "instruction_following")
    chart = svg.bar_chart(title, names, values, "accuracy")
    return Figure(
        title,
        [chart],
        ["agent", *modes],
        rows,
        "Conflict: some users' constraints contradict a higher authority's.",
    )


def priority_stability(runs: list[Run]) -> Figure:
    title = "Priority stability: same decision on reordered, renamed and re-templated variants"
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        stable = stability(_counted(run))
        family = {r.key: r.family for r in run.results}
        for key, value in stable.items():
            per[run.agent][family[key]].append(value)
    families = sorted({f for fams in per.values() for f in fams})
    if not families:
        return Figure(title, [], [], [], note="No run has metamorphic variants.")
    agents = list(per)
    series = {
        FAMILY_NAMES.get(f, f): [
            (sum(v) / len(v)) if (v := per[a].get(f)) else None for a in agents
        ]
        for f in families
    }
    chart = svg.bar_chart(title.split(":")[0], agents, series, "share stable")
    rows = [
        [
            a,
            *(
                f"{sum(v) / len(v):.3f} (n={len(v)})" if (v := per[a].get(f)) else "–"
                for f in families
            ),
        ]
        for a in agents
    ]
    return Figure(title, [chart], ["agent", *(FAMILY_NAMES.get(f, f) for f in families)], rows)


def pass_at_k(agents: dict[str, list[EpisodeResult]]) -> Figure:
    """pass^k of each family's success metric, when episodes ran several trials."""
    title = "Reliability: pass^k (success in all of k trials)"
    series: dict[str, list[tuple[float, float]]] = {}
    rows = []
    for agent, results in agents.items():
        by_family: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
        for r in results:
            for name in getattr(families.find(r.family), "success", ()):
                value = r.metrics.get(name)
                if isinstance(value, int | float):
                    by_family[r.family][r.id].append(value >= 1.0 - 1e-9)
        for family, episodes in by_family.items():
            trials = max(len(v) for v in episodes.values())
            if trials < 2:
                continue
            curve = [pass_hat_k(list(episodes.values()), k) for k in range(1, trials + 1)]
            points = [(float(k), v) for k, v in enumerate(curve, 1) if v is not None]
            series[f"{agent} · {FAMILY_NAMES.get(family, family)}"] = points
            rows.append([agent, FAMILY_NAMES.get(family, family),
                         *(f"{v:.3f}" for _, v in points)])  # fmt: skip
    if not rows:
        return Figure(title, [], [], [], note="Every episode ran once: run eval with --trials K.")
    width = max(len(r) for r in rows) - 2
    headers = ["agent", "family", *(f"k={k}" for k in range(1, width + 1))]
    rows = [r + [""] * (len(headers) - len(r)) for r in rows]
    chart = svg.line_chart(title, series, "k (trials)", "pass^k")
    note = "A falling curve: an agent that succeeds only sometimes on the same episode."
    return Figure(title, [chart], headers, rows, note)


def build(runs: list[Run]) -> Report:
    agents = _agents(runs)
    report = Report(
        runs=[(r.path, r.agent, r.scheme, len(r.results)) for r in runs],
        table=table_rows(runs),
    )
    report.figures = [
        privacy_vs_utility(agents),
        leaks_by_turn(agents),
        by_users(agents, "meeting", "success", "Meeting scheduling: success vs users", "success"),
        by_users(
            agents,
            "meeting",
            "turns",
            "Meeting scheduling: agent turns vs users",
            "turns",
            unit=False,
        ),
        by_users(agents, "shared_queue", "accuracy", "Shared queue: accuracy vs users", "accuracy"),
        instructions_by_mode(agents),
        priority_stability(runs),
        pass_at_k(agents),
    ]
    return report
