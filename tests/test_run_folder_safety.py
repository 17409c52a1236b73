"""A run folder never loses or duplicates a line: unreadable lines are refused, never
rewritten away; one writer at a time; `--resume` checks what it continues (issue 22)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.run.store import PARTIAL, RunLock
from museslang.testing.openai_stub import StubServer
from tests.conftest import ROOT

runner = CliRunner()


def evaluate(out: Path, spec: str = "specs/meeting.muses", *extra: str, limit: int = 6):
    args = ["eval", spec, "--out", str(out), "--limit", str(limit), "--no-progress", *extra]
    return runner.invoke(app, args)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    assert evaluate(out).exit_code == 0
    return out


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def edit(out: Path, index: int, **changes) -> bytes:
    rows = records(out)
    rows[index].update(changes)
    data = "".join(json.dumps(r) + "\n" for r in rows)
    (out / "results.jsonl").write_text(data)
    return data.encode()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"status": "finished"}, "status"),
        ({"metrics": {"success": "yes"}}, "metrics.success"),
        ({"trial": -1}, "trial"),
    ],
    ids=["unknown-status", "wrong-metric-type", "negative-trial"],
)
def test_rescore_refuses_a_line_it_cannot_read_and_changes_nothing(
    run: Path, change: dict, why: str
) -> None:
    before = edit(run, 2, **change)
    summary = (run / "summary.json").read_bytes()
    result = runner.invoke(app, ["rescore", str(run)])
    assert result.exit_code == 2
    assert f"line 3: {why}" in result.output and "nothing was changed" in result.output
    assert (run / "results.jsonl").read_bytes() == before
    assert (run / "summary.json").read_bytes() == summary


def test_rescore_refuses_a_cut_line_and_keeps_a_complete_one_without_newline(run: Path) -> None:
    text = (run / "results.jsonl").read_text()
    (run / "results.jsonl").write_text(text[:-1])  # the last line lacks only its newline
    result = runner.invoke(app, ["rescore", str(run)])
    assert result.exit_code == 0, result.output
    assert len(records(run)) == 6 and (run / "results.jsonl").read_text().endswith("\n")
    cut = (run / "results.jsonl").read_text()[:-30]
    (run / "results.jsonl").write_text(cut)
    refused = runner.invoke(app, ["rescore", str(run)])
    assert refused.exit_code == 2 and "line 6: the last line is cut short" in refused.output
    assert (run / "results.jsonl").read_text() == cut


def test_a_second_writer_is_refused_while_the_folder_is_locked(run: Path) -> None:
    lock = RunLock(run)
    lock.acquire("eval")
    try:
        again = evaluate(run, "specs/meeting.muses", "--resume")
        assert again.exit_code == 2 and f"is in use by museslang eval (pid {os.getpid()})" in (
            again.output
        )
        rescored = runner.invoke(app, ["rescore", str(run)])
        assert rescored.exit_code == 2 and "in use" in rescored.output
    finally:
        lock.release()
    assert evaluate(run, "specs/meeting.muses", "--resume").exit_code == 0


def test_two_evals_started_together_on_one_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with StubServer(latency=0.5, keep_requests=False) as server:  # the first run takes ~6 s
        args = [sys.executable, "-m", "museslang.cli", "eval", "specs/meeting.muses",
                "--agent", "openai:stub", "--base-url", server.base_url, "--limit", "8",
                "--concurrency", "2", "--out", str(out), "--no-progress"]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        first = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (out / ".lock").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        second = subprocess.run([*args, "--resume"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        first.wait(120)
    assert first.returncode == 0, first.stderr.read()
    assert second.returncode == 2 and "is in use by museslang eval" in second.stderr
    ids = [r["id"] for r in records(out)]
    assert len(ids) == 8 == len(set(ids))


def test_resume_refuses_results_of_another_spec(run: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert evaluate(other, "specs/access_control.muses", limit=3).exit_code == 0
    shutil.copy(other / "results.jsonl", run / "results.jsonl")
    before = (run / "results.jsonl").read_bytes()
    result = evaluate(run, "specs/meeting.muses", "--resume")
    assert result.exit_code == 2 and "is not in this spec" in result.output
    assert (run / "results.jsonl").read_bytes() == before


def test_resume_refuses_a_result_with_another_seed(run: Path) -> None:
    edit(run, 1, seed=12345)
    result = evaluate(run, "specs/meeting.muses", "--resume")
    assert result.exit_code == 2 and "ran with seed 12345" in result.output


def test_resume_refuses_a_negative_trial_with_its_line(run: Path) -> None:
    edit(run, 4, trial=-1)
    result = evaluate(run, "specs/meeting.muses", "--resume")
    assert result.exit_code == 2 and "line 5: trial" in result.output


@pytest.mark.parametrize(
    ("run_json", "message"),
    [
        (None, "no run.json"),
        ("{not json", "cannot read"),
        ('{"spec_sha256": 3}', "not a museslang"),
    ],
    ids=["missing", "malformed", "wrong-shape"],
)
def test_resume_needs_a_readable_run_description(run: Path, run_json, message: str) -> None:
    if run_json is None:
        (run / "run.json").unlink()
    else:
        (run / "run.json").write_text(run_json)
    result = evaluate(run, "specs/meeting.muses", "--resume")
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_a_line_cut_short_by_a_kill_is_set_aside_not_lost(run: Path) -> None:
    text = (run / "results.jsonl").read_text()
    cut = text[: text.rindex("\n", 0, len(text) - 1) + 1] + text[-200:-100]
    (run / "results.jsonl").write_text(cut)
    result = evaluate(run, "specs/meeting.muses", "--resume")
    assert result.exit_code == 0, result.output
    assert (run / PARTIAL).read_text() == text[-200:-100] + "\n"
    assert len(records(run)) == 6


def test_rescore_works_from_another_folder(run: Path, tmp_path: Path, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["rescore", str(run)])
    assert result.exit_code == 0, result.output
