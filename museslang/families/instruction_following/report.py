"""This family's figures in `museslang report` (museslang.report.build)."""

from __future__ import annotations

from museslang.ir.results import EpisodeResult
from museslang.report import svg
from museslang.report.build import FIGURES, Figure, fmt, metric_of, missing, of_family, stat_for

FAMILY = "instruction_following"


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
        mine = of_family(results, FAMILY)
        if not mine:
            continue
        names.append(agent)
        cells = []
        for m in modes:
            stat = stat_for([r for r in mine if _mode(r) == m], metric_of("accuracy"))
            values[m].append(stat.mean if isinstance(stat.mean, float) else None)
            cells.append(fmt(stat))
        rows.append([agent, *cells])
    if not names:
        return missing(title, FAMILY)
    chart = svg.bar_chart(title, names, values, "accuracy")
    return Figure(
        title,
        [chart],
        ["agent", *modes],
        rows,
        "Conflict: some users' constraints contradict a higher authority's.",
    )


FIGURES.register(f"{FAMILY}:instructions_by_mode")(instructions_by_mode)
