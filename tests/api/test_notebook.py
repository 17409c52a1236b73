"""An evaluation run from a notebook: `museslang.api` from plain code, from inside a
running event loop (as a Jupyter cell runs), and awaited; then rescored and reported.
Nothing is printed: a notebook's output is the caller's."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from museslang import api

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "golden" / "compiled" / "small_sweep.muses"  # meeting, 4 episodes


def _passed(done: api.Evaluation) -> None:
    assert done.summary.ok == 4 and done.summary.errored == 0
    assert len(done.results) == 4
    meeting = done.summary.families["meeting"]
    assert meeting.metrics["success"].mean == 1.0


def test_a_notebook_evaluates_rescores_and_reports(tmp_path: Path, capsys) -> None:
    compiled = api.compile(SPEC)
    assert len(compiled.episodes) == 4
    run = tmp_path / "r"
    done = api.evaluate(compiled, "reference:oracle",
                        api.EvalOptions(limit=4, out=run, report=False))  # fmt: skip
    _passed(done)
    assert done.report is None and (run / "results.jsonl").is_file()

    async def cell() -> api.Evaluation:  # a Jupyter cell: its event loop is running
        options = api.EvalOptions(limit=4, out=tmp_path / "cell", report=False)
        return api.evaluate(SPEC, "reference:oracle", options)

    _passed(asyncio.run(cell()))

    async def awaited() -> api.Evaluation:
        return await api.evaluate_async(
            compiled, "reference:oracle", api.EvalOptions(limit=4, out=tmp_path / "a")
        )

    with_report = asyncio.run(awaited())
    _passed(with_report)
    assert with_report.report is not None and with_report.report.is_file()

    rescored = api.rescore(run)
    assert rescored.changed == 0 and rescored.summary.ok == 4
    made = api.report([run])
    assert made.html.is_file() and made.markdown.is_file()
    assert "<html" in made.html.read_text(encoding="utf-8").lower()
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_a_bad_option_or_a_bad_spec_is_an_exception_not_an_exit(tmp_path: Path) -> None:
    with pytest.raises(api.OptionError) as bad:
        api.evaluate(SPEC, "reference:oracle", api.EvalOptions(concurrency=0, out=tmp_path / "x"))
    assert bad.value.field == "concurrency"
    with pytest.raises(api.OptionError) as bad:
        api.evaluate(SPEC, model=api.ModelOptions(top_p=2.0),
                     options=api.EvalOptions(out=tmp_path / "y"))  # fmt: skip
    assert bad.value.field == "top_p" and str(bad.value) == "top_p must be above 0 and at most 1"
    broken = tmp_path / "broken.muses"
    broken.write_text("scenario s {\n  family: meting\n}\n", encoding="utf-8")
    with pytest.raises(api.SpecError) as spec:
        api.compile(broken, cache=False)
    assert "E013" in spec.value.rendered and "broken.muses:2:" in spec.value.rendered
    with pytest.raises(api.MuseslangError, match="no such file"):
        api.compile(tmp_path / "absent.muses")
