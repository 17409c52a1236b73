"""A museslang run written as the official runner's results, for the official scripts.

`museslang export muses-bench RUNDIR -o OUT` writes, per family the run holds,
`OUT/<scenario>/<dataset>/<model>/results.jsonl` (one line per record, in the official
runner's layout: the per-record detail file its LaTeX table script reads) and `eva.json`
(the runner's summary), with `<scenario>` the folder names the script looks under. The
values are the official ones (`--metrics compat`, computed from the stored replies
whatever scheme the run used), so the official aggregation run over `OUT` gives the
paper's table of this run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from museslang import family as families
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.registry import Registry


@dataclass(frozen=True)
class ResultWriter:
    """How one family's results are written in the official runner's layout."""

    folder: str  # the folder the official LaTeX script reads the family from
    record: Callable[[EpisodeGraph, EpisodeResult], dict[str, Any]]  # one per-record result
    # eva.json from the records, the fields every family has, the dataset, max turns
    eva: Callable[[list[dict], dict, str, int], dict]


# family -> its writer; each family's `muses_bench_results` hook registers one
RESULTS: Registry[ResultWriter] = Registry("official result writer")


@dataclass
class Written:
    family: str
    folder: Path
    records: int


def model_dir(agent: str) -> str:
    """The runner's folder name for a model: `openai:gpt-4o-mini` -> `openai-gpt-4o-mini`."""
    return agent.replace(":", "-").replace("/", "-")


def mean(values: list[Any]) -> float:
    nums = [float(x) for x in values]
    return sum(nums) / len(nums) if nums else 0


def write_run(
    episodes: dict[str, EpisodeGraph],
    results: list[EpisodeResult],
    agent: str,
    dataset: str,
    out: Path,
) -> list[Written]:
    """Write the run's trial-0 results per family; returns what was written where."""
    families.load("muses_bench_results")
    by_family: dict[str, list[dict]] = defaultdict(list)
    turns: dict[str, int] = {}
    for r in results:
        if r.trial != 0 or r.family not in RESULTS or r.id not in episodes:
            continue
        ep = episodes[r.id]
        by_family[r.family].append(RESULTS.get(r.family).record(ep, r))
        turns[r.family] = max(turns.get(r.family, 0), ep.protocol.max_turns)
    written = []
    model = model_dir(agent)
    for family, records in by_family.items():
        writer = RESULTS.get(family)
        folder = out / writer.folder / dataset / model
        folder.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records)
        (folder / "results.jsonl").write_text(lines, encoding="utf-8")
        base = {"total_scenarios": len(records), "model": model, "provider": "museslang"}
        eva = writer.eva(records, base, dataset, turns.get(family, 0))
        (folder / "eva.json").write_text(json.dumps(eva, indent=2) + "\n", encoding="utf-8")
        written.append(Written(family, folder, len(records)))
    return written
