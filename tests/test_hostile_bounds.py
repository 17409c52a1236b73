"""The issue-29 sections of the hostile corpus (museslang.testing.hostile) at CI sizes:
families written in museslang, huge specs, damaged compiled files and run files that are
not files. Every command ends with exit 0, 1 or 2 and a message, never an internal error
(benchmarks/hostile.py runs them at 10x, each in its own process under a time and memory
limit; the language server's frames and HTTP replies have their own tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.testing.hostile import (
    authored_spec_cases,
    compiled_cases,
    copy_run,
    damaged_run_files,
    huge_spec_cases,
)
from tests.test_hostile_corpus import settled

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


AUTHORED = authored_spec_cases(scale=1)


@pytest.mark.parametrize("case", AUTHORED, ids=[c.name for c in AUTHORED])
def test_families_written_in_museslang(case, tmp_path: Path) -> None:
    spec = str(case.make(tmp_path))
    for args in (
        ["check", spec],
        ["eval", spec, "--limit", "2", "--no-progress", "--out", str(tmp_path / "run")],
    ):
        done = runner.invoke(app, args)
        settled(done, args)
        assert done.exit_code == 1, (case.name, done.output[-300:])  # each is refused


HUGE = huge_spec_cases(scale=1)


@pytest.mark.parametrize("case", HUGE, ids=[c.name for c in HUGE])
def test_huge_specs_are_refused_or_handled(case, tmp_path: Path) -> None:
    spec = str(case.make(tmp_path))
    args = ["check", "--no-oracle-gate", spec]
    settled(runner.invoke(app, args), args)


@pytest.fixture(scope="module")
def budget_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("compiled") / "b.json"
    done = runner.invoke(app, ["compile", str(ROOT / "specs" / "budget.muses"), "-o", str(out)])
    assert done.exit_code == 0, done.output
    return json.loads(out.read_text(encoding="utf-8"))


COMPILED = compiled_cases()


@pytest.mark.parametrize(("name", "damage", "says"), COMPILED, ids=[c[0] for c in COMPILED])
def test_damaged_compiled_families(
    name: str, damage, says: str, budget_json: dict, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = json.loads(json.dumps(budget_json))
    damage(data)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    for args in (
        ["eval", str(path), "--limit", "2", "--no-progress", "--out", str(tmp_path / "run")],
        ["graph", str(path)],
    ):
        done = runner.invoke(app, args)
        settled(done, args)
        if says:  # refused when loaded; otherwise (a fact of 10^400) it runs, bounded
            assert done.exit_code == 2 and says in done.output, done.output[-300:]
    assert not (tmp_path / "PWNED").exists()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "base"
    args = ["eval", "specs/meeting.muses", "--limit", "3", "--no-progress", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    return out


RUNS = damaged_run_files()


@pytest.mark.parametrize(("name", "damage"), RUNS, ids=[n for n, _ in RUNS])
def test_run_files_are_read_with_bounds(
    name: str, damage, finished_run, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr("museslang.run.store.MAX_LINE_BYTES", 1024 * 1024)  # CI-sized
    run = copy_run(finished_run, tmp_path / "run")
    damage(run)
    for args in (
        ["table", str(run)],
        ["report", str(run), "-o", str(tmp_path / "report")],
        ["rescore", str(run)],
        ["eval", "specs/meeting.muses", "--limit", "3", "--no-progress", "--resume", "--out",
         str(run)],
    ):  # fmt: skip
        settled(runner.invoke(app, args), args)
