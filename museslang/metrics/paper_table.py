"""The MUSES Bench paper's results table, from any number of eval run directories.

One row per agent; its runs (one per spec or file) are pooled, so the access
control column of a model evaluated on two access-control files is the mean
over both files' episodes, as the paper pools records over files. Each cell
is mean ± standard error over episodes (an episode's trials averaged first).
Avg is the mean of the five columns, its error the five errors combined as
independent: sqrt(sum se^2) / 5.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from museslang.metrics.summary import Stat, stat_of
from museslang.runtime.transcript import EpisodeResult

# (heading, family, museslang metric): the paper's five columns, in its order
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Queue F1", "shared_queue", "f1"),
    ("Instr. acc.", "instruction_following", "accuracy"),
    ("Privacy", "access_control", "privacy"),
    ("Utility", "access_control", "utility"),
    ("Meeting succ.", "meeting", "success"),
)
AVG = "Avg"
FORMATS = ("markdown", "latex", "csv")


@dataclass
class Run:
    """One run directory, as the table reads it."""

    path: str
    agent: str
    scheme: str  # an errored result counts under default, not under compat
    results: list[EpisodeResult]


@dataclass
class Row:
    agent: str
    runs: list[str]
    cells: dict[str, Stat | None] = field(default_factory=dict)  # heading -> value


def _cell(runs: list[Run], family: str, name: str) -> Stat | None:
    per_episode: dict[str, list[float | list[float]]] = {}
    for run in runs:
        for r in run.results:
            if r.family != family or (run.scheme != "default" and r.status != "ok"):
                continue
            values = per_episode.setdefault(f"{run.path}\x1f{r.id}", [])
            value = r.metrics.get(name)
            if isinstance(value, int | float):
                values.append(float(value))
    stat = stat_of(per_episode, success=False)
    return stat if stat.n else None


def _average(cells: list[Stat | None]) -> Stat | None:
    if any(c is None or not isinstance(c.mean, float) for c in cells):
        return None
    means = [c.mean for c in cells if c is not None and isinstance(c.mean, float)]
    errors = [c.stderr or 0.0 for c in cells if c is not None]
    stderr = math.sqrt(sum(e * e for e in errors)) / len(errors)
    return Stat(mean=sum(means) / len(means), stderr=stderr, n=min(c.n for c in cells if c))


def build(runs: list[Run]) -> list[Row]:
    """Rows in order of each agent's first run."""
    by_agent: dict[str, list[Run]] = {}
    for run in runs:
        by_agent.setdefault(run.agent, []).append(run)
    rows = []
    for agent, mine in by_agent.items():
        row = Row(agent, [r.path for r in mine])
        for heading, family, name in COLUMNS:
            row.cells[heading] = _cell(mine, family, name)
        row.cells[AVG] = _average([row.cells[h] for h, _, _ in COLUMNS])
        rows.append(row)
    return rows


def headings() -> list[str]:
    return [h for h, _, _ in COLUMNS] + [AVG]


def ranks(rows: list[Row], heading: str) -> dict[int, int]:
    """Row index -> 1 (best) or 2 (second) for a column; ties share a rank."""
    means = sorted(
        {round(c.mean, 9) for r in rows if (c := r.cells[heading]) and isinstance(c.mean, float)},
        reverse=True,
    )
    out = {}
    for i, row in enumerate(rows):
        cell = row.cells[heading]
        if cell is not None and isinstance(cell.mean, float):
            place = means.index(round(cell.mean, 9)) + 1
            if place <= 2 and len(rows) > 1:
                out[i] = place
    return out


def cell_text(cell: Stat | None, pm: str, missing: str = "–") -> str:
    if cell is None or not isinstance(cell.mean, float):
        return missing
    if cell.stderr is None:
        return f"{cell.mean:.3f}"
    return f"{cell.mean:.3f}{pm}{cell.stderr:.3f}"


def markdown(rows: list[Row]) -> str:
    """Best in bold, second in italics (Markdown has no underline)."""
    cols = headings()
    marks = {h: ranks(rows, h) for h in cols}
    lines = ["| Agent | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for i, row in enumerate(rows):
        cells = []
        for h in cols:
            text = cell_text(row.cells[h], " ± ")
            place = marks[h].get(i)
            cells.append(f"**{text}**" if place == 1 else f"*{text}*" if place == 2 else text)
        lines.append(f"| {row.agent} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {c: f"\\{c}" for c in "&%$#_{}"} | {"~": r"\textasciitilde{}", "^": r"\^{}"}


def _latex_text(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text.replace("\\", r"\textbackslash{}"))


def latex(rows: list[Row]) -> str:
    """A booktabs tabular: best in bold, second underlined."""
    cols = headings()
    marks = {h: ranks(rows, h) for h in cols}
    out = [
        r"\begin{tabular}{l" + "c" * len(cols) + "}",
        r"\toprule",
        "Agent & " + " & ".join(_latex_text(h) for h in cols) + r" \\",
        r"\midrule",
    ]
    for i, row in enumerate(rows):
        cells = []
        for h in cols:
            text = cell_text(row.cells[h], r" $\pm$ ", "--")
            place = marks[h].get(i)
            if place == 1:
                text = rf"\textbf{{{text}}}"
            elif place == 2:
                text = rf"\underline{{{text}}}"
            cells.append(text)
        out.append(_latex_text(row.agent) + " & " + " & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out) + "\n"


def to_csv(rows: list[Row]) -> str:
    """Plain numbers: per column its mean, standard error and episode count."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    head = ["agent", "runs"]
    for h in headings():
        key = h.lower().replace(". ", "_").replace(".", "").replace(" ", "_")
        head += [key, f"{key}_stderr", f"{key}_n"]
    writer.writerow(head)
    for row in rows:
        line: list[object] = [row.agent, ";".join(row.runs)]
        for h in headings():
            cell = row.cells[h]
            if cell is None or not isinstance(cell.mean, float):
                line += ["", "", ""]
            else:
                err = "" if cell.stderr is None else repr(round(cell.stderr, 6))
                line += [repr(round(cell.mean, 6)), err, cell.n]
        writer.writerow(line)
    return buf.getvalue()


RENDER = {"markdown": markdown, "latex": latex, "csv": to_csv}
