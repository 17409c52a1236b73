"""The loop's before/after figures: the paper's table with one row per compared agent, and
per family the success metric, parse failures and cut replies (mean ± standard error
over episodes, pass^k when there are several trials), beside the training cost.

Written as `table.md` (the paper's table, as `museslang table` writes it), `results.md`
(everything) and `results.json` in the table stage's folder, and the HTML report beside
them. The rows are the plan's agent labels (`base`, `trained`, ...), since a base model and
its adapter are the same agent spec to `museslang eval`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from museslang import family as families
from museslang.metrics import paper_table
from museslang.metrics.summary import Stat

COLUMNS = ("success", "parse_failures", "cut_replies")


def _cell(stat: Stat | None) -> str:
    if stat is None or not isinstance(stat.mean, float):
        return "–"
    if stat.stderr is None:
        return f"{stat.mean:.3f}"
    return f"{stat.mean:.3f} ± {stat.stderr:.3f}"


def figures(loaded: dict[str, list[paper_table.Run]]) -> dict[str, dict[str, dict[str, Any]]]:
    """label -> family -> {metric name, n, and each column's Stat as a dict}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for label, runs in loaded.items():
        fams = list(dict.fromkeys(f for run in runs for f in run.families))
        mine: dict[str, dict[str, Any]] = {}
        for family in fams:
            name = families.success_metric(family)
            success = paper_table.episode_stat(runs, family, name, True)
            row: dict[str, Any] = {"metric": name, "benchmarks": sorted(
                {run.benchmark for run in runs if family in run.families})}  # fmt: skip
            row["success"] = success.model_dump() if success else None
            for column in COLUMNS[1:]:
                stat = paper_table.episode_stat(runs, family, column)
                row[column] = stat.model_dump() if stat else None
            mine[family] = row
        out[label] = mine
    return out


def write_results(folder: Path, loaded: dict[str, list[paper_table.Run]],
                  train: dict[str, Any] | None, held_out: set[str],
                  write_report: Callable[..., Any]) -> dict[str, Any]:  # fmt: skip
    relabelled = {label: [dataclasses.replace(run, agent=label) for run in runs]
                  for label, runs in loaded.items()}  # fmt: skip
    everything = [run for runs in relabelled.values() for run in runs]
    rows = paper_table.build(everything)
    table = paper_table.RENDER["markdown"](rows, paper_table.Style())
    (folder / "table.md").write_text(table, encoding="utf-8")
    figs = figures(relabelled)
    lines = ["# Before and after", "", "## The paper's table", "", table.rstrip(), "",
             "## Per family (mean ± standard error over episodes)", "",
             "| family | agent | metric | success | pass^k | parse failures | cut replies | n |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    all_families = list(dict.fromkeys(f for fam in figs.values() for f in fam))
    for family in all_families:
        for label, fam in figs.items():
            if family not in fam:
                continue
            row = fam[family]
            held = any(b in held_out for b in row["benchmarks"])
            stats = {c: Stat(**row[c]) if row[c] else None for c in COLUMNS}
            success = stats["success"]
            passk = ", ".join(f"{k}: {v:.3f}" for k, v in (success.pass_k or {}).items()
                              if k != "1") if success and success.trials > 1 else ""  # fmt: skip
            n = success.n if success else 0
            name = family.replace("_", " ") + (" (held-out spec)" if held else "")
            lines.append(f"| {name} | {label} | {row['metric']} | {_cell(success)} | "
                         f"{passk or '–'} | {_cell(stats['parse_failures'])} | "
                         f"{_cell(stats['cut_replies'])} | {n} |")  # fmt: skip
    if train:
        lines += ["", "## Training cost", "",
                  f"{_number(train.get('steps'))} steps, {_number(train.get('examples'))} "
                  f"examples, {_number(train.get('tokens'))} tokens seen, "
                  f"{_number(train.get('minutes'), '.1f')} min; training loss "
                  f"{_number(train.get('train_loss'), '.3f')}, validation loss "
                  f"{_number(train.get('eval_loss'), '.3f')}"]  # fmt: skip
    (folder / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    body = {"figures": figs, "train": train, "held_out": sorted(held_out)}
    (folder / "results.json").write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    write_report(everything, folder)
    return {"table": str(folder / "table.md"), "results": str(folder / "results.md")}


def _number(value: Any, spec: str = ",.0f") -> str:
    """A training figure as people read it (225,276 tokens, loss 0.904), or – when the
    trainer did not report it."""
    return format(value, spec) if isinstance(value, int | float) else "–"
