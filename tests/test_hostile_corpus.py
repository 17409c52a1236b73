"""Every command over the hostile corpus ends with exit 0, 1 or 2 and a message: never an
uncaught exception (`benchmarks/fuzz.py --hostile` runs the large sizes in subprocesses,
with a time and memory limit per case)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.testing.hostile import (
    copy_run,
    prepare_folder,
    record_cases,
    run_cases,
    spec_cases,
    trust_cases,
)

runner = CliRunner()


def settled(result, args: list[str]) -> None:
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), (args, repr(exc))
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output[-500:])
    assert "Traceback" not in result.output and "internal error" not in result.output, args
    if result.exit_code:
        assert result.output.strip(), (args, "failed without a message")


SPECS = spec_cases(scale=1)


@pytest.mark.parametrize("case", SPECS, ids=[c.name for c in SPECS])
def test_spec_commands(case, tmp_path: Path) -> None:
    prepare_folder(tmp_path)
    spec = str(case.make(tmp_path))
    compiled = tmp_path / "c.json"
    commands = [
        ["check", spec],
        ["check", "--no-oracle-gate", spec],
        ["fmt", "--check", spec],
        ["compile", spec, "-o", str(compiled)],
        ["graph", spec],
        ["export", "muses-bench", spec],
        ["eval", spec, "--limit", "2", "--no-progress", "--out", str(tmp_path / "run")],
    ]
    for args in commands:
        settled(runner.invoke(app, args), args)


RECORDS = record_cases(scale=1)


@pytest.mark.parametrize("case", RECORDS, ids=[c.name for c in RECORDS])
def test_import_commands(case, tmp_path: Path) -> None:
    path = str(case.make(tmp_path))
    for args in (
        ["import", "muses-bench", path, "-o", str(tmp_path / "out.muses")],
        ["import", "muses-bench", path, "--dir", str(tmp_path / "d"), "--verify"],
    ):
        settled(runner.invoke(app, args), args)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "base"
    args = ["eval", "specs/meeting.muses", "--limit", "4", "--no-progress", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    return out


RUNS = run_cases()


@pytest.mark.parametrize(("name", "damage"), RUNS, ids=[n for n, _ in RUNS])
def test_run_folder_commands(name: str, damage, finished_run: Path, tmp_path: Path) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    damage(run)
    for args in (
        ["table", str(run)],
        ["report", str(run), "-o", str(tmp_path / "report")],
        ["rescore", str(run)],
    ):
        settled(runner.invoke(app, args), args)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != ".lock"}
    resumed = ["eval", "specs/meeting.muses", "--limit", "4", "--no-progress", "--resume",
               "--out", str(run)]  # fmt: skip
    result = runner.invoke(app, resumed)
    settled(result, resumed)
    if result.exit_code != 0:  # a refused resume changed nothing
        after = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name in before}
        assert after == {k: v for k, v in before.items() if k in after}


TRUST = trust_cases()


def _in_process(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = runner.invoke(app, args, env=env)
    return result.exit_code, result.output


def _fresh(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "museslang", *args], cwd=root,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("case", TRUST, ids=[c.name for c in TRUST])
def test_no_wrong_result_and_no_leak(case, tmp_path: Path, monkeypatch) -> None:
    """Issue 28's classes: the cache folder, echoed secrets, wrong results."""
    monkeypatch.setenv("MUSESLANG_CACHE", "off")
    assert case.run(tmp_path, _fresh if case.fresh else _in_process) is None
