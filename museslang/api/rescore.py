"""Rescoring a stored run from Python: every metric recomputed from the stored
transcripts and actions, without calling a model (but a leak judge asked again)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from museslang.api.compile import load
from museslang.api.errors import MuseslangError, RunError
from museslang.api.evaluate import judge
from museslang.api.options import RescoreOptions, scheme

if TYPE_CHECKING:
    from museslang.ir.models import CompiledSpec
    from museslang.ir.results import EpisodeResult
    from museslang.metrics.summary import RunSummary

Notice = Callable[[str], None]


@dataclass
class Rescored:
    run: Path
    summary: RunSummary
    results: list[EpisodeResult]
    changed: int  # results whose metrics, decision or status differ from the stored ones


def rescore(
    run: str | Path, options: RescoreOptions | None = None, notice: Notice | None = None
) -> Rescored:
    """Rewrite the run's results.jsonl and summary.json (each in one step) with every
    metric computed again; `notice` hears the spec's warnings if it is compiled again."""
    from museslang.run.rescore import rescore as rescore_run
    from museslang.run.store import StoreError
    from museslang.runtime.chat import ChatError
    from museslang.runtime.options import BackendError, BackendOptions

    options = options or RescoreOptions()
    folder = Path(run)
    scheme(options.metrics)
    if not folder.is_dir():
        raise MuseslangError(f"{folder} is not a run directory")

    def compiled(path: str, seed: int) -> CompiledSpec:
        file = Path(path)
        if not file.exists():
            raise MuseslangError(f"the run's spec {path} is not there; pass --spec FILE")
        done = load(file, seed=None if file.suffix == ".json" else seed)
        if done.warnings and notice is not None:
            notice(done.warnings)
        return done.spec

    backend = BackendOptions(api_key_env=options.api_key_env,
                             cache_dir=str(options.cache) if options.cache else None)  # fmt: skip
    judged = judge(options.judge, backend, options.judge_base_url, options.metrics)
    spec = str(options.spec) if options.spec else None
    try:
        done = rescore_run(folder, compiled, options.metrics, spec, judged)
    except (StoreError, OSError, ChatError, BackendError) as exc:
        raise RunError(str(exc)) from None
    return Rescored(folder, done.summary, done.results, done.changed)
