"""What a run keeps of its results: small shared records that summarise and report exactly
as the full results do."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from museslang.compiler import compile_path
from museslang.metrics.paper_table import Run
from museslang.report.build import build as build_report
from museslang.run.kept import Keeper, Kept, Scores
from museslang.run.runner import RunOutcome, RunPlan, run_all
from museslang.run.store import ResultsStore
from museslang.runtime.agents import make_agent
from museslang.runtime.options import BackendOptions
from museslang.runtime.users import make_users

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp: Path, *, keep_conversation: bool) -> RunOutcome:
    compiled = compile_path(ROOT / "specs" / "shared_queue.muses").compiled
    assert compiled is not None
    episodes = compiled.episodes[:60]
    assert any(e.base for e in episodes), "the slice must hold metamorphic variants"
    agent = make_agent("reference:comply", BackendOptions())
    users = make_users("scripted", BackendOptions())
    store = ResultsStore(tmp)
    store.prepare({"spec_sha256": compiled.spec_sha256}, resume=False)
    try:
        plan = RunPlan(compiled, episodes, store, 8, trials=2, keep_conversation=keep_conversation)
        return asyncio.run(run_all(plan, agent, users))
    finally:
        store.close()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunOutcome, RunOutcome]:
    full = _run(tmp_path_factory.mktemp("full"), keep_conversation=True)
    kept = _run(tmp_path_factory.mktemp("kept"), keep_conversation=False)
    return full, kept


def test_kept_records_summarise_as_the_full_results(both) -> None:
    full, kept = both
    assert all(isinstance(r, Kept) for r in kept.results)
    assert [r.key for r in full.results] == [r.key for r in kept.results]
    a = full.summary.model_dump(exclude={"wall_s"})
    b = kept.summary.model_dump(exclude={"wall_s"})
    assert a == b
    # the stability metric compared variants with their originals in both
    stable = a["families"]["shared_queue"]["metrics"]["priority_stability"]
    assert stable["n"] > 0


def test_kept_records_report_as_the_full_results(both) -> None:
    full, kept = both
    a = build_report([Run("a", "reference:comply", "default", full.results)])  # type: ignore[arg-type]
    b = build_report([Run("a", "reference:comply", "default", kept.results)])  # type: ignore[arg-type]
    assert [(f.title, f.rows, f.note) for f in a.figures] == [
        (f.title, f.rows, f.note) for f in b.figures
    ]
    assert a.table == b.table


def test_repeated_parts_are_shared_and_decisions_kept_only_where_compared(both) -> None:
    full, _ = both
    variant = next(r for r in full.results if r.base)
    plain = next(r for r in full.results if not r.base and r.id != variant.base)
    keeper = Keeper({variant.id, variant.base})  # type: ignore[arg-type]
    one, two = keeper(plain), keeper(plain.model_copy())
    assert one.metrics == dict(plain.metrics)
    assert one.cell is two.cell
    assert one.metrics._names is two.metrics._names  # type: ignore[attr-defined]
    assert one.metrics._values is two.metrics._values  # type: ignore[attr-defined]
    assert one.agent_usage is two.agent_usage
    assert one.decision is None  # nothing compares this episode
    assert keeper(variant).decision == variant.decision is not None
    assert Keeper(None)(plain).decision == plain.decision


def test_scores_read_like_a_dict() -> None:
    keeper = Keeper()
    scores = keeper.scores({"a": 1, "b": None, "curve": [0.5, 1.0]})
    assert isinstance(scores, Scores)
    assert scores["a"] == 1.0 and scores.get("b") is None and scores.get("z", 2.0) == 2.0
    assert scores["curve"] == [0.5, 1.0] and isinstance(scores["curve"], list)
    assert list(scores) == ["a", "b", "curve"] and len(scores) == 3
    assert {**scores, "c": 0.0} == {"a": 1, "b": None, "curve": [0.5, 1.0], "c": 0.0}
    with pytest.raises(KeyError):
        scores["z"]
