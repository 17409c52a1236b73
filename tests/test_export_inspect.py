"""`museslang export inspect RUN -o DIR`: one Inspect AI eval log per run, read back with
Inspect's own log reader when `inspect_ai` is installed (the [inspect] extra)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.run.store import load_run

runner = CliRunner()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("inspect")
    run = base / "run"
    done = runner.invoke(
        app,
        [
            "eval",
            "specs/access_control.muses",
            "--agent",
            "reference:comply",
            "--limit",
            "6",
            "--trials",
            "2",
            "--out",
            str(run),
            "--no-progress",
        ],
    )
    assert done.exit_code == 0, done.output
    out = base / "logs"
    done = runner.invoke(app, ["export", "inspect", str(run), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert "inspect: 12 samples" in done.output and "inspect view --log-dir" in done.output
    (log,) = out.iterdir()
    return run, log


def test_the_log_holds_every_episode_trial_with_its_scores_and_users(exported) -> None:
    run, path = exported
    assert path.name[:4].isdigit() and "T" in path.name and path.suffix == ".json"
    log = json.loads(path.read_text(encoding="utf-8"))
    _, results, _ = load_run(run)
    assert log["version"] == 2 and log["status"] == "success"
    assert log["eval"]["model"] == "reference:comply" and log["eval"]["config"]["epochs"] == 2
    assert [(s["id"], s["epoch"]) for s in log["samples"]] == [(r.id, r.trial + 1) for r in results]
    first = log["samples"][0]
    assert first["scores"]["privacy"]["value"] == results[0].metrics["privacy"]
    assert "reached" in first["scores"]["overall"]["explanation"]
    assert first["metadata"]["cell"] == results[0].cell and first["metadata"]["ground_truth"]
    senders = {m["metadata"]["sender"] for m in first["messages"] if m["role"] == "user"}
    assert senders == {m.sender for m in results[0].transcript if m.sender != "agent"}
    user = next(m for m in first["messages"] if m["role"] == "user")
    assert user["content"].startswith(user["metadata"]["sender"] + ": ")
    roles = [m["role"] for m in first["messages"]]
    assert roles[0] == "system" and "assistant" in roles and "tool" in roles
    names = {s["name"] for s in log["results"]["scores"]}
    assert {"privacy", "utility", "overall"} <= names


def test_inspect_reads_the_log_back(exported) -> None:
    log_module = pytest.importorskip("inspect_ai.log", reason="needs the [inspect] extra")
    _run, path = exported
    logs = log_module.list_eval_logs(str(path.parent))
    assert len(logs) == 1  # `inspect view` lists it
    log = log_module.read_eval_log(str(path))
    assert log.eval.task == "access_control" and len(log.samples) == 12
    assert log.results.total_samples == 12
    assert {s.name for s in log.results.scores} >= {"privacy", "utility", "overall"}
    sample = log.samples[0]
    assert sample.scores["overall"].value == 0.0
    assert sample.messages[1].metadata["sender"] == sample.messages[1].text.split(":")[0]


def test_export_inspect_needs_a_run_and_a_folder(exported, tmp_path: Path) -> None:
    run, _ = exported
    spec = runner.invoke(app, ["export", "inspect", "specs/meeting.muses", "-o", str(tmp_path)])
    assert spec.exit_code == 2 and "is not a run directory" in spec.output
    bare = runner.invoke(app, ["export", "inspect", str(run)])
    assert bare.exit_code == 2 and "give -o DIR" in bare.output
