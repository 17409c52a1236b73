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


def _fmt(group: Group, name: str, error: bool = False) -> str:
    stat = group.metrics.get(name)
    if stat is None or stat.mean is None:
        return "–"
    if isinstance(stat.mean, list):
        return "curve"
    text = f"{stat.mean:.2f}" if abs(stat.mean) < 100 else f"{stat.mean:.0f}"
    if error and stat.stderr is not None and abs(stat.mean) < 100:
        text += f"±{stat.stderr:.2f}"
    return text


def _pass_k(family: FamilySummary) -> str:
    """`pass^k success: 0.80 0.71 0.65` for k = 1..K, when trials were run."""
    parts = []
    for name, stat in family.metrics.items():
        if stat.pass_k and stat.trials > 1:
            curve = " ".join(f"{v:.2f}" for v in stat.pass_k.values())
            parts.append(f"pass^1..{stat.trials} {name}: {curve}")
    return " · ".join(parts)


def _scalar_names(family: FamilySummary) -> list[str]:
    return [n for n, s in family.metrics.items() if not isinstance(s.mean, list)]


def tables(summary: RunSummary) -> list[Table]:
    out = []
    for name, family in summary.families.items():
        metrics = _scalar_names(family)
        trials = f", {summary.trials} trials" if summary.trials > 1 else ""
        table = Table(
            title=f"{name} — {summary.agent} with {summary.users} users{trials}",
            box=box.SIMPLE_HEAD,
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
                *(_fmt(group, m, error=label == "all") for m in metrics),
                style=style,
            )
        official = [
            f"{paper} {stat.mean:.2f}"
            for paper, stat in family.official.items()
            if isinstance(stat.mean, float)
        ]
        captions = []
        if official:
            captions.append("MUSES Bench names: " + " · ".join(official))
        if passes := _pass_k(family):
            captions.append(passes)
        if summary.metrics != "default":
            captions.append(f"scored with --metrics {summary.metrics}")
        if captions:
            table.caption = "\n".join(captions)
        out.append(table)
    return out
