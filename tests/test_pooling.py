"""`table` and `report` pool only what belongs together (issue 28, item 9): a run folder
holding another spec's lines shows no column for them, the same run given twice (or a
copy of it) is refused, and a stored field out of range is never read as a result; each
says what it left out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    made = {}
    for name, spec in (("meeting", "specs/meeting.muses"), ("queue", "specs/shared_queue.muses")):
        out = tmp_path_factory.mktemp(name) / "run"
        done = runner.invoke(app, ["eval", spec, "--limit", "3", "--no-progress", "--out",
                                   str(out)])  # fmt: skip
        assert done.exit_code == 0, done.output
        made[name] = out
    return made


def copied(run: Path, to: Path) -> Path:
    shutil.copytree(run, to)
    return to


def test_another_specs_lines_in_a_run_folder_are_left_out(runs, tmp_path) -> None:
    mixed = copied(runs["meeting"], tmp_path / "mixed")
    with open(mixed / "results.jsonl", "a", encoding="utf-8") as fh:
        fh.write((runs["queue"] / "results.jsonl").read_text(encoding="utf-8"))
    table = tmp_path / "table.csv"
    done = runner.invoke(app, ["table", str(mixed), "--format", "csv", "-o", str(table)])
    assert done.exit_code == 0, done.output
    assert "3 results not of this run left out" in done.output
    assert "is not in this spec" in done.output
    header, row = table.read_text(encoding="utf-8").strip().splitlines()
    cells = dict(zip(header.split(","), row.split(","), strict=True))
    assert cells["queue_f1"] == "" and cells["meeting_succ"] != ""  # no Queue F1 column value
    report = runner.invoke(app, ["report", str(mixed), "--out", str(tmp_path / "rep")])
    assert report.exit_code == 0 and "not of this run left out" in report.output
    # --resume and rescore refuse the same folder
    resumed = runner.invoke(app, ["eval", "specs/meeting.muses", "--limit", "3", "--resume",
                                  "--no-progress", "--out", str(mixed)])  # fmt: skip
    assert resumed.exit_code == 2 and "not of this run" in resumed.output


@pytest.mark.parametrize("command", ["table", "report"])
def test_the_same_run_twice_is_refused(runs, tmp_path, command) -> None:
    twin = copied(runs["meeting"], tmp_path / "twin")
    for args in ([str(runs["meeting"]), str(runs["meeting"])], [str(runs["meeting"]), str(twin)]):
        extra = ["--out", str(tmp_path / "rep")] if command == "report" else []
        done = runner.invoke(app, [command, *args, *extra])
        assert done.exit_code == 2, done.output
        assert "repeats" in done.output and "count each episode twice" in done.output
    both = runner.invoke(app, ["table", str(runs["meeting"]), str(runs["queue"])])
    assert both.exit_code == 0, both.output  # two benchmarks of one agent pool as before


@pytest.mark.parametrize(
    ("key", "value"), [("trial", 10**20), ("seed", -5), ("turns", -1), ("metrics", "inf")]
)
def test_a_field_out_of_range_is_no_result(runs, tmp_path, key, value) -> None:
    damaged = copied(runs["meeting"], tmp_path / "damaged")
    rows = (damaged / "results.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(rows[0])
    if key == "metrics":
        text = json.dumps(first).replace('"success": 1.0', '"success": 1e999', 1)
        assert "1e999" in text
    else:
        first[key] = value
        text = json.dumps(first)
    (damaged / "results.jsonl").write_text("\n".join([text, *rows[1:]]) + "\n", encoding="utf-8")
    rescore = runner.invoke(app, ["rescore", str(damaged)])
    assert rescore.exit_code == 2 and "line 1" in rescore.output
    for command in (["table", str(damaged)], ["report", str(damaged), "-o", str(tmp_path / "r")]):
        done = runner.invoke(app, command)
        assert done.exit_code == 0, done.output
        assert "line 1" in done.output and "left out" in done.output
    trials = runner.invoke(app, ["eval", "specs/meeting.muses", "--trials", str(10**20)])
    assert trials.exit_code == 2 and "--trials must be from 1 to 10,000" in trials.output
