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
import json
import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from museslang import family as families
from museslang.ir.results import EpisodeResult
from museslang.metrics.guarded import BLOCKED, INTERVENTIONS, NONE, setting_of
from museslang.metrics.summary import Stat, counts, stat_of
from museslang.source import SourceError, read_bounded


def columns() -> list[tuple[str, str, str]]:
    """(heading, family, museslang metric): the paper's columns, in its order, as the
    families declare them."""
    found = [(pos, heading, f.name, metric)
             for f in (families.get(n) for n in families.names())
             for pos, heading, metric in f.paper_columns]  # fmt: skip
    return [(heading, family, metric) for _, heading, family, metric in sorted(found)]


def extra_columns(runs: list[Run]) -> list[tuple[str, str, str]]:
    """Columns after the paper's: one per family the runs cover that has none in the paper
    (a plug-in's, or one written in museslang), its success metric, headed by its name.
    Avg stays the paper's five."""
    paper = {family for _, family, _ in columns()}
    out = []
    for name in dict.fromkeys(f for run in runs for f in run.families):
        if name in paper:
            continue
        metric = families.success_metric(name)
        scored = any(metric in r.metrics for run in runs for r in run.results if r.family == name)
        if scored:
            out.append((f"{families.display(name).capitalize()} succ.", name, metric))
    return out


AVG = "Avg"
FORMATS = ("markdown", "latex", "csv")
SIM_ERR = "Sim. err."
# a guarded row's intervention rate: interventions per episode, turns blocked per episode
GUARD_COLUMNS = (("Interv. per ep.", INTERVENTIONS), ("Blocked per ep.", BLOCKED))
TRIPLE = (("benign_utility", "benign util."), ("utility_under_attack", "util. attack"),
          ("attack_success_rate", "ASR"))  # fmt: skip


def _attack_families(runs: list[Run]) -> list[str]:
    """Families with an AgentDojo triple whose runs hold attacked episodes."""
    out = []
    for name in dict.fromkeys(f for run in runs for f in run.families):
        declared = families.find(name)
        axis = declared.triple[0] if declared is not None and declared.triple else None
        if axis and any(r.family == name and str(r.cell.get(axis, "none")) != "none"
                        for run in runs for r in run.results):  # fmt: skip
            out.append(name)
    return out


def _simulated(runs: list[Run]) -> bool:
    """Whether the simulator-error column says anything: model-played users, or findings."""
    return any(
        r.users != "scripted" or (r.metrics.get("simulator_errors") or 0) > 0
        for run in runs
        for r in run.results
    )


def _triple_cells(runs: list[Run], family: str) -> dict[str, Stat | None]:
    """The triple over every attack of the runs, pooled (metrics.triple)."""
    from museslang.metrics.triple import triples

    declared = families.get(family)
    assert declared.triple is not None
    pooled: dict[str, list[float]] = {key: [] for key, _ in TRIPLE}
    for run in runs:
        mine = [r for r in run.results if r.family == family]
        for t in triples(mine, *declared.triple).values():
            for key, _ in TRIPLE:
                value = getattr(t, key)
                if value is not None:
                    pooled[key] += [value] * (t.n if key != "benign_utility" else t.benign_n)
    short = families.display(family).split()[0].capitalize()
    return {f"{short} {words}": (Stat(mean=sum(v) / len(v), n=len(v)) if v else None)
            for (key, words), v in zip(TRIPLE, pooled.values(), strict=True)}  # fmt: skip


def by_guard(run: Run) -> list[tuple[str, Run]]:
    """A run as one part per guard setting its results ran with (`eval --guard` gives
    one; a spec's `guards:` axis several): a model with a guard is another row."""
    settings = list(dict.fromkeys(setting_of(r) for r in run.results)) or [NONE]
    if len(settings) == 1:
        return [(settings[0], run)]
    return [(g, replace(run, results=[r for r in run.results if setting_of(r) == g]))
            for g in settings]  # fmt: skip


def with_guards(name: str, guards: str) -> str:
    """An agent's name with the guard setting it ran under: `model + acl`."""
    return name if guards == NONE else f"{name} + {guards}"


def _rate(runs: list[Run]) -> Stat | None:
    per_episode: dict[str, list[float | list[float]]] = {}
    for run in runs:
        for r in run.results:
            value = r.metrics.get("simulator_errors")
            if isinstance(value, int | float):
                per_episode.setdefault(f"{run.path}\x1f{r.id}", []).append(float(value > 0))
    stat = stat_of(per_episode, success=False)
    return stat if stat.n else None


@dataclass
class Run:
    """One run directory, as the table reads it."""

    path: str
    agent: str
    scheme: str  # an errored result counts under default, not under compat
    results: list[EpisodeResult]
    benchmark: str = ""  # the spec's name: runs of one agent on two specs are two rows
    spec_sha256: str = ""  # with the name, what makes two runs the same benchmark

    @property
    def families(self) -> list[str]:
        return list(dict.fromkeys(r.family for r in self.results))


@dataclass
class Row:
    agent: str
    runs: list[str]
    cells: dict[str, Stat | None] = field(default_factory=dict)  # heading -> value
    name: str = ""  # the display name (default: the agent spec)
    group: str | None = None  # e.g. "Proprietary" / "Open weights", from a names file
    benchmarks: list[str] = field(default_factory=list)  # spec names, when an agent splits
    guards: str = NONE  # the guard setting its runs ran with (`eval --guard`)
    base: str = ""  # the display name without the guard setting (what `pivot` groups by)


@dataclass(frozen=True)
class Style:
    """How cells are written: as fractions (0.812) or percentages (81.2)."""

    percent: bool = False

    def number(self, x: float) -> str:
        return f"{x * 100:.1f}" if self.percent else f"{x:.3f}"


PLAIN = Style()


def load_names(path: Path) -> dict[str, tuple[str, str | None]]:
    """Display names and groups from a small TOML or JSON file:

        ["openai:gpt-4o-mini"]
        name = "GPT-4o-mini"
        group = "Proprietary"

    Raises ValueError with a readable reason."""
    try:
        text = read_bounded(path, 1024 * 1024, "a names file").decode("utf-8")
    except (SourceError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, RecursionError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path} is not valid {'JSON' if path.suffix == '.json' else 'TOML'}: "
                         f"{exc}") from None  # fmt: skip
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a table of agents")
    out: dict[str, tuple[str, str | None]] = {}
    for agent, entry in data.items():
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("name", agent), str):
            raise ValueError(f"{path}: '{agent}' should have a name (and a group)")
        group = entry.get("group")
        if group is not None and not isinstance(group, str):
            raise ValueError(f"{path}: the group of '{agent}' should be text")
        out[str(agent)] = (entry.get("name", agent), group)
    return out


def episode_stat(
    runs: list[Run], family: str | None, name: str, success: bool = False
) -> Stat | None:
    """One metric of one family (None: of every family, as the guards' counts are) over
    runs, a value list per episode (trials pool by episode, so the standard error is
    over episodes); results the run's scheme does not count are left out. None when no
    episode has the metric."""
    per_episode: dict[str, list[float | list[float]]] = {}
    for run in runs:
        for r in run.results:
            if (family is not None and r.family != family) or not counts(r, run.scheme):
                continue
            values = per_episode.setdefault(f"{run.path}\x1f{r.id}", [])
            value = r.metrics.get(name)
            if isinstance(value, int | float):
                values.append(float(value))
    stat = stat_of(per_episode, success=success)
    return stat if stat.n else None


def _average(cells: list[Stat | None]) -> Stat | None:
    if any(c is None or not isinstance(c.mean, float) for c in cells):
        return None
    means = [c.mean for c in cells if c is not None and isinstance(c.mean, float)]
    errors = [c.stderr or 0.0 for c in cells if c is not None]
    stderr = math.sqrt(sum(e * e for e in errors)) / len(errors)
    return Stat(mean=sum(means) / len(means), stderr=stderr, n=min(c.n for c in cells if c))


def build(runs: list[Run], names: dict[str, tuple[str, str | None]] | None = None) -> list[Row]:
    """One row per agent and benchmark, in order of each agent's first run; with `names`,
    grouped in the order the groups first appear there (agents it does not name come
    last, ungrouped).

    An agent's runs on the four benchmarks make one row (a column per family). When it
    ran two different specs of one family (a custom spec beside the shipped one),
    pooling them would average two benchmarks into one number: they become separate
    rows, named `agent (spec, ...)`. Runs of the same spec pool (trials, resumed parts)."""
    by_agent: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        for guards, part in by_guard(run):
            by_agent.setdefault((run.agent, guards), []).append(part)
    rows = []
    extra = extra_columns(runs)
    attacked, simulated = _attack_families(runs), _simulated(runs)
    guarded = any(guards != NONE for _, guards in by_agent)
    for (agent, guards), mine in by_agent.items():
        plain, group = (names or {}).get(agent, (agent, None))
        name = with_guards(plain, guards)
        parts = split(mine)
        for part in parts:
            row = Row(agent, list(dict.fromkeys(r.path for _, r in part)), name=name,
                      group=group, guards=guards, base=plain)  # fmt: skip
            of: dict[str, list[Run]] = {}
            for family, run in part:
                of.setdefault(family, []).append(run)
            for heading, family, metric in columns():
                row.cells[heading] = episode_stat(of.get(family, []), family, metric)
            row.cells[AVG] = _average([row.cells[h] for h, _, _ in columns()])
            for heading, family, metric in extra:
                row.cells[heading] = episode_stat(of.get(family, []), family, metric)
            for family in attacked:
                row.cells |= _triple_cells([r for f, r in part if f == family], family)
            if simulated:
                row.cells[SIM_ERR] = _rate(list({id(r): r for _, r in part}.values()))
            for heading, metric in GUARD_COLUMNS if guarded else ():
                row.cells[heading] = episode_stat(list({id(r): r for _, r in part}.values()), None,
                                                 metric)  # fmt: skip
            if len(parts) > 1:
                row.benchmarks = list(dict.fromkeys(r.benchmark or r.path for _, r in part))
                row.name = f"{name} ({', '.join(row.benchmarks)})"
                row.base = f"{plain} ({', '.join(row.benchmarks)})"
            rows.append(row)
    if names:
        order = list(dict.fromkeys(g for _, g in names.values() if g is not None))
        rows.sort(key=lambda r: order.index(r.group) if r.group in order else len(order))
    return rows


def pivot_guards(rows: list[Row]) -> list[Row]:
    """The guard settings as columns instead of rows: one row per agent (and benchmark),
    each column once per setting, `Privacy [none]` beside `Privacy [acl]`, so a defence's
    effect reads along a row. A setting an agent did not run with is an empty cell."""
    settings = sorted(dict.fromkeys(r.guards for r in rows), key=lambda s: s != NONE)
    if all(s == NONE for s in settings):
        return rows
    columns = headings(rows)
    grouped: dict[tuple[str, str], dict[str, Row]] = {}
    for row in rows:
        grouped.setdefault((row.agent, row.base or row.name), {})[row.guards] = row
    out = []
    for (agent, base), of in grouped.items():
        first = next(iter(of.values()))
        runs = list(dict.fromkeys(p for r in of.values() for p in r.runs))
        pivoted = Row(agent, runs, name=base, group=first.group, benchmarks=first.benchmarks,
                      base=base)  # fmt: skip
        for heading in columns:
            for setting in settings:
                row = of.get(setting)
                pivoted.cells[f"{heading} [{setting}]"] = row.cells.get(heading) if row else None
        out.append(pivoted)
    return out


def _metric_of(heading: str) -> str:
    """A column's heading without the guard setting a pivot adds (`Privacy [acl]`)."""
    return heading.split(" [", 1)[0]


def split(runs: list[Run]) -> list[list[tuple[str, Run]]]:
    """An agent's runs as rows of (family, run): row k holds the k-th distinct benchmark
    that covers each family."""
    covering: dict[str, list[tuple[str, str]]] = {}
    for run in runs:
        key = (run.benchmark, run.spec_sha256)
        for family in run.families:
            keys = covering.setdefault(family, [])
            if key not in keys:
                keys.append(key)
    n = max((len(k) for k in covering.values()), default=1)
    parts: list[list[tuple[str, Run]]] = [[] for _ in range(n)]
    for run in runs:
        key = (run.benchmark, run.spec_sha256)
        for family in run.families:
            parts[covering[family].index(key)].append((family, run))
    return [p for p in parts if p] or [[]]


def split_agents(rows: list[Row]) -> list[str]:
    """Agents that have more than one row (they ran several specs of one family)."""
    count: dict[tuple[str, str], int] = {}
    for r in rows:
        count[r.agent, r.guards] = count.get((r.agent, r.guards), 0) + 1
    return list(dict.fromkeys(a for (a, _), n in count.items() if n > 1))


def headings(rows: list[Row] | None = None) -> list[str]:
    """The paper's columns and Avg, then the rows' other families' columns."""
    return list(rows[0].cells) if rows else [h for h, _, _ in columns()] + [AVG]


def ranks(rows: list[Row], heading: str, style: Style = PLAIN) -> dict[int, int]:
    """Row index -> 1 (best) or 2 (second) for a column, compared as the table shows the
    values: values that print alike are tied and share a rank, so of two rows that
    read 0.812 neither is "second"; the next lower value is. Zero is never marked."""
    shown = {
        i: float(style.number(c.mean))
        for i, r in enumerate(rows)
        if (c := r.cells[heading]) is not None and isinstance(c.mean, float)
    }
    distinct = sorted({v for v in shown.values() if v > 0}, reverse=True)
    metric = _metric_of(heading)
    lower = metric in (SIM_ERR, *(h for h, _ in GUARD_COLUMNS)) or metric.endswith(" ASR")
    if len(rows) < 2 or lower:  # lower is better (or neither)
        return {}
    return {i: distinct.index(v) + 1 for i, v in shown.items() if v in distinct[:2]}


def cell_text(cell: Stat | None, pm: str, missing: str = "–", style: Style = PLAIN) -> str:
    if cell is None or not isinstance(cell.mean, float):
        return missing
    if cell.stderr is None:
        return style.number(cell.mean)
    return f"{style.number(cell.mean)}{pm}{style.number(cell.stderr)}"


def _groups(rows: list[Row]) -> list[tuple[str | None, list[int]]]:
    """Consecutive rows of one group, with the group's name (None: no group)."""
    out: list[tuple[str | None, list[int]]] = []
    for i, row in enumerate(rows):
        if out and out[-1][0] == row.group:
            out[-1][1].append(i)
        else:
            out.append((row.group, [i]))
    return out


def markdown(rows: list[Row], style: Style = PLAIN) -> str:
    """Best in bold, second in italics (Markdown has no underline); a group's rows follow
    a row naming the group."""
    cols = headings(rows)
    marks = {h: ranks(rows, h, style) for h in cols}
    lines = ["| Agent | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for group, members in _groups(rows):
        if group is not None:
            lines.append(f"| *{group}* |" + " |" * len(cols))
        for i in members:
            row = rows[i]
            cells = []
            for h in cols:
                text = cell_text(row.cells[h], " ± ", style=style)
                place = marks[h].get(i)
                cells.append(f"**{text}**" if place == 1 else f"*{text}*" if place == 2 else text)
            lines.append(f"| {row.name or row.agent} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {c: f"\\{c}" for c in "&%$#_{}"} | {"~": r"\textasciitilde{}", "^": r"\^{}"}


def _latex_text(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text.replace("\\", r"\textbackslash{}"))


def latex(rows: list[Row], style: Style = PLAIN) -> str:
    """A booktabs tabular: best in bold, second underlined; groups as spanning rows."""
    cols = headings(rows)
    marks = {h: ranks(rows, h, style) for h in cols}
    out = [
        r"\begin{tabular}{l" + "c" * len(cols) + "}",
        r"\toprule",
        "Agent & " + " & ".join(_latex_text(h) for h in cols) + r" \\",
    ]
    for group, members in _groups(rows):
        out.append(r"\midrule")
        if group is not None:
            span = len(cols) + 1
            out += [rf"\multicolumn{{{span}}}{{l}}{{\textit{{{_latex_text(group)}}}}} \\",
                    r"\midrule"]  # fmt: skip
        for i in members:
            row = rows[i]
            cells = []
            for h in cols:
                text = cell_text(row.cells[h], r" $\pm$ ", "--", style)
                place = marks[h].get(i)
                if place == 1:
                    text = rf"\textbf{{{text}}}"
                elif place == 2:
                    text = rf"\underline{{{text}}}"
                cells.append(text)
            out.append(_latex_text(row.name or row.agent) + " & " + " & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out) + "\n"


def to_csv(rows: list[Row], style: Style = PLAIN) -> str:
    """Plain numbers: per column its mean, standard error and episode count (x100 with
    `percent`)."""
    scale = 100.0 if style.percent else 1.0
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    guarded = any(r.guards != NONE for r in rows)
    head = ["agent", "name", "group", "runs"] + (["guards"] if guarded else [])
    for h in headings(rows):
        key = h.lower().replace(" [", " ").replace("]", "")  # a pivot's `Privacy [acl]`
        key = key.replace(". ", "_").replace(".", "").replace(" ", "_")
        head += [key, f"{key}_stderr", f"{key}_n"]
    writer.writerow(head)
    for row in rows:
        line: list[object] = [row.agent, row.name or row.agent, row.group or "", ";".join(row.runs)]
        line += [row.guards] if guarded else []
        for h in headings(rows):
            cell = row.cells[h]
            if cell is None or not isinstance(cell.mean, float):
                line += ["", "", ""]
            else:
                err = "" if cell.stderr is None else repr(round(cell.stderr * scale, 6))
                line += [repr(round(cell.mean * scale, 6)), err, cell.n]
        writer.writerow(line)
    return buf.getvalue()


RENDER = {"markdown": markdown, "latex": latex, "csv": to_csv}
