"""This family's figures in `museslang report` (museslang.report.build)."""

from __future__ import annotations

from collections import defaultdict

from museslang.ir.results import EpisodeResult
from museslang.report import leaks, svg
from museslang.report.build import FIGURES, Figure, fmt, metric_of, missing, of_family, stat_for

FAMILY = "access_control"


def privacy_vs_utility(agents: dict[str, list[EpisodeResult]]) -> Figure:
    title = "Access control: privacy vs utility"
    points, rows = {}, []
    for agent, results in agents.items():
        mine = of_family(results, FAMILY)
        if not mine:
            continue
        p, u = stat_for(mine, metric_of("privacy")), stat_for(mine, metric_of("utility"))
        if isinstance(p.mean, float) and isinstance(u.mean, float):
            points[agent] = (u.mean, p.mean)
        rows.append([agent, fmt(p), fmt(u), str(p.n)])
    if not rows:
        return missing(title, FAMILY)
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
        for r in of_family(results, FAMILY):
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
        return missing(title, FAMILY)
    width = max(len(r) for r in rows) - 2
    headers = ["agent", "attack", *(f"t{i}" for i in range(1, width + 1))]
    rows = [r + [""] * (len(headers) - len(r)) for r in rows]
    note = "Share of (unauthorised user, resource) pairs leaked by the end of each agent turn."
    return Figure(title, charts, headers, rows, note)


FIGURES.register(f"{FAMILY}:privacy_vs_utility")(privacy_vs_utility)
FIGURES.register(f"{FAMILY}:leaks_by_turn")(leaks_by_turn)
# the leak figures read every family's leak records (a family written in museslang too);
# shown once, with the family that museslang always has and whose secrets they began with
FIGURES.register(f"{FAMILY}:leak_channels")(leaks.channels)
FIGURES.register(f"{FAMILY}:leak_records")(leaks.records)
