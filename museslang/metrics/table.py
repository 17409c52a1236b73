"""The table `museslang eval` prints: one per family, a row per value of the first sweep axis.

Tables fit the terminal (80 columns when output is not one): a family with more metrics
than fit is printed as several tables, each repeating the row labels, never with a
number or a heading cut short.
"""

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
    "parse_failures": "unread",
    "empty_replies": "empty",
    "cut_replies": "cut",
    "weighted_accuracy": "w.acc",
    "capacity_violations": "cap.viol",
    "conflict_resolution": "conflict",
    "simulator_errors": "sim.err",
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
    hidden = {"counted"}  # compat's per-record flag: the caption says how many were left out
    return [
        n for n, s in family.metrics.items() if not isinstance(s.mean, list) and n not in hidden
    ]


def _chunks(widths: list[int], room: int) -> list[list[int]]:
    """Column indexes split into runs whose widths (plus padding) fit `room`."""
    out: list[list[int]] = [[]]
    used = 0
    for i, w in enumerate(widths):
        if out[-1] and used + w + 2 > room:
            out.append([])
            used = 0
        out[-1].append(i)
        used += w + 2
    return out


def tables(summary: RunSummary, width: int = 80) -> list[Table]:
    out = []
    for name, family in summary.families.items():
        metrics = _scalar_names(family)
        trials = f", {summary.trials} trials" if summary.trials > 1 else ""
        axis = next(iter(family.by_axis), None)
        rows: list[tuple[str, Group]] = []
        if axis is not None:
            rows += list(family.by_axis[axis].items())
        rows.append(("all", family))
        heads = [SHORT.get(m, m.replace("_", " ")) for m in metrics]
        cells = [[_fmt(g, m, error=label == "all") for m in metrics] for label, g in rows]
        label_width = max(len(axis or ""), *(len(label) for label, _ in rows))
        n_width = max(len("n"), *(len(str(g.episodes)) for _, g in rows))
        err_width = max(len("err"), *(len(str(g.errored)) for _, g in rows))
        fixed = label_width + n_width + err_width + 3 * 2 + 6  # padding, and the edges
        widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(heads)]
        parts = _chunks(widths, max(width - fixed, 20))
        for k, columns in enumerate(parts):
            more = f" ({k + 1}/{len(parts)})" if len(parts) > 1 else ""
            table = Table(
                title=f"{name} — {summary.agent} with {summary.users} users{trials}{more}",
                box=box.SIMPLE_HEAD,
            )
            table.add_column(axis or "", justify="right", no_wrap=True, min_width=label_width)
            table.add_column("n", justify="right", no_wrap=True, min_width=n_width)
            table.add_column("err", justify="right", no_wrap=True, min_width=err_width)
            for i in columns:
                table.add_column(heads[i], justify="right", no_wrap=True, min_width=widths[i])
            for (label, group), row in zip(rows, cells, strict=True):
                style = "bold" if label == "all" else None
                table.add_row(label, str(group.episodes), str(group.errored),
                              *(row[i] for i in columns), style=style)  # fmt: skip
            out.append(table)
        table = out[-1]
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
        if family.simulator_error_rate is not None:
            captions.append(f"users flagged in {family.simulator_error_rate:.0%} of results")
        if family.redraws:
            captions.append(f"{family.redraws} redraws: {family.kept:.0%} of draws kept")
        if summary.metrics != "default":
            left = f"; {family.excluded} left out of the means" if family.excluded else ""
            captions.append(f"scored with --metrics {summary.metrics}{left}")
        if captions:
            table.caption = "\n".join(captions)
        if family.triple:
            out.append(_triple_table(name, family))
    return out


def _triple_table(name: str, family: FamilySummary) -> Table:
    """AgentDojo's triple per attack: utility without it, utility under it, its success."""
    table = Table(title=f"{name} — attacks (benign utility, utility under attack, attack "
                  "success rate)", box=box.SIMPLE_HEAD)  # fmt: skip
    for head in ("attack", "n", "benign util.", "util. attack", "ASR"):
        table.add_column(head, justify="right", no_wrap=True)
    for attack, t in family.triple.items():
        cells = [t.benign_utility, t.utility_under_attack, t.attack_success_rate]
        table.add_row(attack, str(t.n), *("–" if v is None else f"{v:.2f}" for v in cells))
    return table
