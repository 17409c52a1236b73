"""`museslang eval` end to end: outputs, table, resume after SIGKILL, bad arguments."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.testing.openai_stub import StubServer
from tests.conftest import ROOT

runner = CliRunner()


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_default_eval_runs_the_meeting_benchmark_offline(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["eval", "specs/meeting.muses", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "agent: reference:oracle (the default" in result.output
    assert "216/216 episodes ok, 0 errored" in result.output
    records = lines(out / "results.jsonl")
    assert len(records) == 216 and len({r["id"] for r in records}) == 216
    summary = json.loads((out / "summary.json").read_text())
    meeting = summary["families"]["meeting"]
    assert meeting["metrics"]["success"]["mean"] == 1.0
    assert meeting["metrics"]["success"]["n"] == 216
    assert len(meeting["cells"]) == 54
    assert set(meeting["by_axis"]) == {"users", "difficulty", "disclosure"}
    assert summary["prefix_kept"] == 1.0
    run = json.loads((out / "run.json").read_text())
    assert run["agent"] == "reference:oracle" and run["spec_sha256"] == summary["spec_sha256"]
    # the table: one row per team size and a total
    assert "success" in result.output and "  all  " in result.output


def test_compiled_json_can_be_evaluated(tmp_path: Path) -> None:
    compiled = tmp_path / "m.json"
    assert (
        runner.invoke(app, ["compile", "specs/meeting.muses", "-o", str(compiled)]).exit_code == 0
    )
    result = runner.invoke(
        app, ["eval", str(compiled), "--limit", "5", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    assert len(lines(tmp_path / "r" / "results.jsonl")) == 5


def test_an_existing_run_is_never_overwritten(tmp_path: Path) -> None:
    out = str(tmp_path / "run")
    assert (
        runner.invoke(app, ["eval", "specs/meeting.muses", "--limit", "3", "--out", out]).exit_code
        == 0
    )
    again = runner.invoke(app, ["eval", "specs/meeting.muses", "--limit", "3", "--out", out])
    assert again.exit_code == 2 and "already holds results" in again.output
    other = runner.invoke(
        app,
        ["eval", "specs/meeting.muses", "--agent", "reference:refuse", "--out", out, "--resume"],
    )
    assert other.exit_code == 2 and "cannot resume" in other.output and "agent" in other.output


def test_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    cases = [
        (["--agent", "reference:orcale"], "unknown reference policy 'orcale'"),
        (["--agent", "gpt4"], "unknown agent backend 'gpt4'"),
        (["--agent", "openai:"], "nothing after ':'"),
        (["--users", "scriptd"], "did you mean 'scripted'"),
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--agent", "openai:m", "--tool-mode", "json"], "--tool-mode must be tools or text"),
    ]
    for args, message in cases:
        result = runner.invoke(
            app, ["eval", "specs/meeting.muses", "--out", str(tmp_path / "x"), *args]
        )
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    no_out = runner.invoke(app, ["eval", "specs/meeting.muses", "--resume"])
    assert no_out.exit_code == 2 and "--resume needs --out" in no_out.output
    missing = runner.invoke(app, ["eval", "nope.muses"])
    assert missing.exit_code == 2 and "no such file" in missing.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"episodes": 3}')
    bad = runner.invoke(app, ["eval", str(broken)])
    assert bad.exit_code == 2 and "is not compiled museslang output" in bad.output


def test_spec_errors_stop_eval_with_diagnostics() -> None:
    result = runner.invoke(app, ["eval", "tests/fixtures/bad/four_mistakes.muses"])
    assert result.exit_code == 1 and "error[E013]" in result.output


def test_resume_after_sigkill_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with StubServer(latency=0.02, keep_requests=False) as server:
        args = [sys.executable, "-m", "museslang.cli", "eval", "specs/meeting.muses",
                "--agent", "openai:stub", "--base-url", server.base_url, "--limit", "40",
                "--concurrency", "2", "--out", str(out), "--no-progress"]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        results = out / "results.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if results.exists() and results.read_text().count("\n") >= 6:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = results.read_text().count("\n")
        assert 6 <= before < 40
        resumed = runner.invoke(
            app,
            ["eval", "specs/meeting.muses", "--agent", "openai:stub", "--base-url", server.base_url,
             "--limit", "40", "--out", str(out), "--resume", "--no-progress"],
        )  # fmt: skip
    assert resumed.exit_code == 0, resumed.output
    ids = [r["id"] for r in lines(results)]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert "resumed" in resumed.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 40


def test_resume_reruns_errored_episodes_and_repairs_a_cut_line(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        runner.invoke(
            app, ["eval", "specs/meeting.muses", "--limit", "6", "--out", str(out)]
        ).exit_code
        == 0
    )
    results = out / "results.jsonl"
    records = lines(results)
    records[0]["status"], records[0]["error"], records[0]["metrics"] = "errored", "boom", {}
    text = "".join(json.dumps(r) + "\n" for r in records[:5]) + json.dumps(records[5])[:40]
    results.write_text(text)  # one errored episode, one line cut short by a kill
    result = runner.invoke(
        app, ["eval", "specs/meeting.muses", "--limit", "6", "--out", str(out), "--resume"]
    )
    assert result.exit_code == 0, result.output
    fixed = lines(results)
    assert sorted(r["id"] for r in fixed) == sorted(r["id"] for r in records)
    assert all(r["status"] == "ok" for r in fixed)
    assert "(2 run now, 4 resumed)" in result.output


def test_the_summary_carries_the_papers_metric_names() -> None:
    from conftest import result_with

    from museslang.compiler import compile_path
    from museslang.metrics.scoring import score
    from museslang.metrics.summary import summarise

    episode = compile_path(ROOT / "specs" / "shared_queue.muses").compiled.episodes[0]
    result = result_with(episode)
    result.metrics = score(episode, result)
    summary = summarise(
        [result], spec="s", spec_sha256="h", seed=0, agent="a", users="u", wall_s=0.0
    )
    family = summary.families["shared_queue"]
    assert list(family.official) == ["MAIS", "accuracy", "F1", "precision", "recall"]
    assert family.official["MAIS"] == family.metrics["mais"]
    assert family.official["F1"] == family.metrics["f1"]


def test_sample_draws_across_the_sweep_and_repeats(tmp_path: Path) -> None:
    """--limit N is the first N episodes (two-user meetings only); --sample N draws N
    across every cell, by the seed, the same each time."""
    runner = CliRunner()
    ids = []
    for name in ("a", "b"):
        out = tmp_path / name
        done = runner.invoke(app, ["eval", "specs/meeting.muses", "--sample", "12", "--out",
                                   str(out), "--no-progress"])  # fmt: skip
        assert done.exit_code == 0, done.output
        rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        ids.append(sorted(r["id"] for r in rows))
    assert ids[0] == ids[1] and len(ids[0]) == 12
    assert len({i.split("-")[1] for i in ids[0]}) > 3  # many team sizes, not only u2
    bad = runner.invoke(app, ["eval", "specs/meeting.muses", "--sample", "0"])
    assert bad.exit_code == 2 and "--sample must be at least 1" in bad.output
