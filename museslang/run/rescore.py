"""Score a finished run again from its stored transcripts and actions; no model is called.

After a metric fix, or to read the same run under `--metrics compat`. The
episodes come from compiling the run's spec again, which is byte-identical for
the same source and seed; the spec hash in `run.json` proves it is the same
spec, so a result is never scored against an episode it did not run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from museslang.files import write_atomic
from museslang.ir.models import CompiledSpec
from museslang.ir.results import EpisodeResult
from museslang.metrics.summary import RunSummary, summarise
from museslang.run.runner import Judged, score_result
from museslang.run.store import (
    RUN,
    SUMMARY,
    ResultsStore,
    StoreError,
    read_results,
    read_run,
)
from museslang.runtime.trials import for_trial
from museslang.source import SourceError, read_bounded


@dataclass
class Rescored:
    results: list[EpisodeResult]
    summary: RunSummary
    changed: int  # results whose metrics, decision or status differ from the stored ones


def _wall(out: Path) -> float:
    try:
        return float(json.loads(read_bounded(out / SUMMARY, 64 * 1024 * 1024, SUMMARY))["wall_s"])
    except (SourceError, ValueError, KeyError, TypeError, RecursionError):
        return 0.0


async def _judged(stored: list[EpisodeResult], by_id: dict, judge: Judged) -> list[EpisodeResult]:
    """Every stored result judged again (the judge bounds its own requests in flight), in
    one event loop from the judge's preflight to its close."""
    await judge.preflight()
    try:
        return list(
            await asyncio.gather(
                *(judge(for_trial(by_id[r.id], r.trial), r.model_copy(deep=True)) for r in stored)
            )
        )
    finally:
        await judge.aclose()


def rescore(
    out: Path,
    load: Callable[[str, int], CompiledSpec],
    scheme: str,
    spec: str | None = None,
    judge: Judged | None = None,
) -> Rescored:
    """Rescore the run in `out`; `load(path, seed)` compiles the spec as the run did. With
    `judge`, every result is judged again first (its cached replies cost nothing)."""
    meta = read_run(out)
    store = ResultsStore(out)
    if not store.results_path.exists():
        raise StoreError(f"{out} holds no {store.results_path.name}")
    store.lock("rescore")
    try:
        return _rescore(out, store, meta, load, scheme, spec, judge)
    finally:
        store.close()


def _rescore(
    out: Path,
    store: ResultsStore,
    meta: dict,
    load: Callable[[str, int], CompiledSpec],
    scheme: str,
    spec: str | None,
    judge: Judged | None = None,
) -> Rescored:
    # read everything before compiling or writing: a line this version cannot read is
    # refused, never rewritten away (a format change must not wipe a run)
    loaded = read_results(store.results_path)
    if loaded.problems or loaded.cut_short is not None:
        if loaded.cut_short is not None:
            loaded.problems.append((loaded.cut_short_line, "the last line is cut short"))
        raise StoreError(f"cannot rescore: {loaded.describe(store.results_path)}; nothing "
                         "was changed")  # fmt: skip
    compiled = load(spec or str(meta.get("spec", "")), int(meta.get("seed", 0)))
    if compiled.spec_sha256 != meta["spec_sha256"]:
        raise StoreError(
            f"the spec changed since this run (run: {meta['spec_sha256'][:12]}, now: "
            f"{compiled.spec_sha256[:12]}); rescoring needs the episodes that ran"
        )
    order = {e.id: i for i, e in enumerate(compiled.episodes)}
    by_id = {e.id: e for e in compiled.episodes}
    stored = loaded.results
    missing = sorted({r.id for r in stored} - by_id.keys())
    if missing:
        raise StoreError(f"results name episodes the spec does not have: {', '.join(missing[:3])}")
    results: list[EpisodeResult] = []
    changed = 0
    judged = asyncio.run(_judged(stored, by_id, judge)) if judge is not None else None
    for i, old in enumerate(stored):
        copy = judged[i] if judged is not None else old.model_copy(deep=True)
        new = score_result(for_trial(by_id[old.id], old.trial), copy, scheme)
        changed += (new.metrics, new.decision, new.status, new.leaks) != (
            old.metrics,
            old.decision,
            old.status,
            old.leaks,
        )
        results.append(new)
    ordered = sorted(results, key=lambda r: (order[r.id], r.trial))
    summary = summarise(
        ordered,
        spec=compiled.spec,
        spec_sha256=compiled.spec_sha256,
        seed=compiled.seed,
        agent=str(meta.get("agent")),
        users=str(meta.get("users")),
        wall_s=_wall(out),
        scheme=scheme,
    )
    store.rewrite(results)
    store.write_summary(summary.model_dump_json(indent=2) + "\n")
    write_atomic(out / RUN, json.dumps({**meta, "metrics": scheme}, indent=2) + "\n")
    return Rescored(results, summary, changed)
