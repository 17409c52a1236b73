"""The table `museslang eval` prints: one per family, a row per value of the first sweep axis."""

from __future__ import annotations

from rich import box
from rich.table import Table

from museslang.metrics.summary import FamilySummary, Group, RunSummary

SHORT = {
    "attendance": "attend",
    "attendance_required": "req",
    "attendance_optional": "opt",
    "optimality": "optimal",
    "turn_ratio": "turns/lb",
    "prefix_reuse": "reuse",
    "weighted_accuracy": "w.acc",
    "capacity_violations": "cap.viol",
    "conflict_resolution": "conflict",
}


def _fmt(group: Group, name: str) -> str:
    stat = group.metrics.get(name)
    if stat is None or stat.mean is None:
        return "–"
    if isinstance(stat.mean, list):
        return "curve"
    return f"{stat.mean:.2f}" if abs(stat.mean) < 100 else f"{stat.mean:.0f}"


def _scalar_names(family: FamilySummary) -> list[str]:
    return [n for n, s in family.metrics.items() if not isinstance(s.mean, list)]


def tables(summary: RunSummary) -> list[Table]:
    out = []
    for name, family in summary.families.items():
        metrics = _scalar_names(family)
        table = Table(
            title=f"{name} — {summary.agent} with {summary.users} users", box=box.SIMPLE_HEAD
        )
        axis = next(iter(family.by_axis), None)
        table.add_column(axis or "", justify="right")
        table.add_column("n", justify="right")
        table.add_column("err", justify="right")
        for m in metrics:
            table.add_column(SHORT.get(m, m.replace("_", " ")), justify="right")
        rows: list[tuple[str, Group]] = []
        if axis is not None:
            rows += list(family.by_axis[axis].items())
        rows.append(("all", family))
        for label, group in rows:
            style = "bold" if label == "all" else None
            table.add_row(
                label,
                str(group.episodes),
                str(group.errored),
                *(_fmt(group, m) for m in metrics),
                style=style,
            )
        official = [
            f"{paper} {stat.mean:.2f}"
            for paper, stat in family.official.items()
            if isinstance(stat.mean, float)
        ]
        if official:
            table.caption = "MUSES Bench names: " + " · ".join(official)
        out.append(table)
    return out
