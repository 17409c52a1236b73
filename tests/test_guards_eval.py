"""`eval --guard`: the setting as one more axis of the run, checked, kept on resume, and the
paper's table with one row per model x guard and the intervention rate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app

runner = CliRunner()
SPEC = "specs/access_control.muses"


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def evaluate(out: Path, *args: str) -> str:
    done = runner.invoke(app, ["eval", SPEC, "--sample", "8", "--out", str(out),
                               "--no-progress", *args])  # fmt: skip
    assert done.exit_code == 0, done.output
    return done.output


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("guarded")
    out = {}
    for agent in ("comply", "refuse"):
        for guard in ((), ("--guard", "acl")):
            name = agent + ("+acl" if guard else "")
            out[name] = where / name
            evaluate(out[name], "--agent", f"reference:{agent}", *guard)
    return out


def test_a_guarded_run_carries_its_setting_and_its_interventions(runs) -> None:
    meta = json.loads((runs["comply+acl"] / "run.json").read_text())
    assert meta["guards"] == "acl"
    assert "guards" not in json.loads((runs["comply"] / "run.json").read_text())
    results = lines(runs["comply+acl"] / "results.jsonl")
    assert all(r["cell"]["guards"] == "acl" and r["interventions"] for r in results)
    assert all(r["metrics"]["privacy"] == 1.0 for r in results)
    bare = lines(runs["comply"] / "results.jsonl")
    assert [r["metrics"]["utility"] for r in results] == [r["metrics"]["utility"] for r in bare]
    assert all("interventions" not in r["metrics"] for r in bare)
    summary = json.loads((runs["comply+acl"] / "summary.json").read_text())
    family = summary["families"]["access_control"]
    assert family["metrics"]["interventions"]["mean"] > 0
    assert family["metrics"]["privacy"]["mean"] == 1.0


def test_the_table_shows_each_model_with_and_without_its_guard(runs) -> None:
    paths = [str(runs[n]) for n in ("comply", "comply+acl", "refuse", "refuse+acl")]
    done = runner.invoke(app, ["table", *paths, "--format", "csv"])
    assert done.exit_code == 0, done.output
    rows = {r["name"]: r for r in _csv(done.stdout)}
    assert list(rows) == ["reference:comply", "reference:comply + acl", "reference:refuse",
                          "reference:refuse + acl"]  # fmt: skip
    comply, held = rows["reference:comply"], rows["reference:comply + acl"]
    assert held["guards"] == "acl" and comply["guards"] == "none"
    assert float(comply["privacy"]) < 1.0 and float(held["privacy"]) == 1.0
    assert held["utility"] == comply["utility"]
    assert float(held["interv_per_ep"]) > 0 and comply["interv_per_ep"] == ""
    assert float(rows["reference:refuse + acl"]["interv_per_ep"]) == 0.0
    for key in ("privacy", "utility", "access_benign_util", "access_util_attack"):
        assert rows["reference:refuse"][key] == rows["reference:refuse + acl"][key]
    markdown = runner.invoke(app, ["table", *paths])
    assert markdown.exit_code == 0 and "| reference:comply + acl |" in markdown.stdout
    assert "Interv. per ep." in markdown.stdout and "ran several specs" not in markdown.output


def test_the_table_can_pivot_the_guards_into_columns(runs) -> None:
    paths = [str(runs[n]) for n in ("comply", "comply+acl", "refuse", "refuse+acl")]
    flat = {r["name"]: r for r in _csv(runner.invoke(app, ["table", *paths, "-f", "csv"]).stdout)}
    done = runner.invoke(app, ["table", *paths, "--format", "csv", "--pivot", "guards"])
    assert done.exit_code == 0, done.output
    rows = {r["name"]: r for r in _csv(done.stdout)}
    assert list(rows) == ["reference:comply", "reference:refuse"]
    comply = rows["reference:comply"]
    assert "guards" not in comply and len(comply["runs"].split(";")) == 2
    assert comply["privacy_none"] == flat["reference:comply"]["privacy"]
    assert comply["privacy_acl"] == flat["reference:comply + acl"]["privacy"] == "1.0"
    assert comply["utility_acl"] == comply["utility_none"]
    assert comply["interv_per_ep_none"] == "" and float(comply["interv_per_ep_acl"]) > 0
    markdown = runner.invoke(app, ["table", *paths, "--pivot", "guards"])
    assert markdown.exit_code == 0 and "Privacy [acl]" in markdown.stdout
    wrong = runner.invoke(app, ["table", *paths, "--pivot", "guard"])
    assert wrong.exit_code != 0 and "unknown --pivot 'guard'" in wrong.output
    assert "Traceback" not in wrong.output


def _csv(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


def test_a_resume_keeps_the_guard_it_started_with(runs, tmp_path: Path) -> None:
    out = tmp_path / "run"
    evaluate(out, "--agent", "reference:comply", "--guard", "acl")
    done = runner.invoke(app, ["eval", SPEC, "--limit", "6", "--out", str(out), "--resume",
                               "--agent", "reference:comply"])  # fmt: skip
    assert done.exit_code != 0 and "run with guards = 'acl'" in done.output


@pytest.mark.parametrize(
    ("guard", "message"),
    [
        ("acx", "--guard: unknown guard 'acx'; did you mean 'acl'?"),
        ("acl,spotlite", "did you mean 'spotlight'?"),
    ],
)
def test_a_bad_guard_is_one_line(guard: str, message: str, tmp_path: Path) -> None:
    done = runner.invoke(app, ["eval", SPEC, "--guard", guard, "--out", str(tmp_path / "x")])
    assert done.exit_code != 0 and message in done.output
    assert "Traceback" not in done.output and not (tmp_path / "x").exists()


def test_a_guard_for_another_family_is_refused(tmp_path: Path) -> None:
    from museslang.runtime import guard as guards

    class QueueOnly(guards.Guard):
        name, families = "test_queue_only", ("shared_queue",)

    guards.install(QueueOnly())
    done = runner.invoke(app, ["eval", SPEC, "--guard", "test_queue_only", "--out",
                               str(tmp_path / "x")])  # fmt: skip
    assert done.exit_code != 0
    assert "--guard: test_queue_only applies to shared_queue, not to access_control" in done.output


def test_the_report_shows_a_series_per_model_and_guard(runs, tmp_path: Path) -> None:
    done = runner.invoke(app, ["report", str(runs["comply"]), str(runs["comply+acl"]),
                               "--out", str(tmp_path / "report")])  # fmt: skip
    assert done.exit_code == 0, done.output
    md = (tmp_path / "report" / "report.md").read_text()
    privacy_utility = [line for line in md.splitlines() if line.startswith("| reference:comply")]
    assert any(line.startswith("| reference:comply + acl | 1.000") for line in privacy_utility)
    assert any(line.startswith("| reference:comply | 0.") for line in privacy_utility)


def swept(tmp_path: Path, guards: str = "[none, acl]") -> Path:
    """The shipped access-control spec, small, with a `guards:` sweep axis."""
    text = (Path(SPEC)).read_text(encoding="utf-8")
    text = text.replace("users: 2..10", "users: 2..3").replace(
        "attack: [none, pressure, role_playing, fake_authorization]",
        f"attack: [none, pressure]\n    guards: {guards}",
    )
    assert "guards:" in text
    path = tmp_path / "guarded.muses"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_guards_axis_runs_each_episode_under_each_setting_with_the_same_content(
    tmp_path: Path,
) -> None:
    from museslang.compiler import compile_path

    spec = swept(tmp_path)
    compiled = compile_path(spec).compiled
    assert compiled is not None
    by_id = {e.id: e for e in compiled.episodes}
    bare, held = (
        by_id["access_control-u2-pressure-xml-none-s1"],
        by_id["access_control-u2-pressure-xml-acl-s1"],
    )
    assert bare.seed == held.seed and bare.participants == held.participants
    assert held.cell["guards"] == "acl" and bare.cell["guards"] == "none"
    out = tmp_path / "run"
    done = runner.invoke(app, ["eval", str(spec), "--agent", "reference:comply", "--out",
                               str(out), "--no-progress"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "pressure + acl" in done.output and "pressure + none" in done.output
    summary = json.loads((out / "summary.json").read_text())
    family = summary["families"]["access_control"]
    assert family["by_axis"]["guards"]["acl"]["metrics"]["privacy"]["mean"] == 1.0
    assert family["by_axis"]["guards"]["none"]["metrics"]["privacy"]["mean"] == 0.0
    assert family["triple"]["pressure + acl"]["attack_success_rate"] == 0.0
    assert family["triple"]["pressure + none"]["attack_success_rate"] == 1.0
    table = runner.invoke(app, ["table", str(out), "--format", "csv"])
    names = [r["name"] for r in _csv(table.stdout)]
    assert names == ["reference:comply", "reference:comply + acl"]
    again = runner.invoke(app, ["eval", str(spec), "--guard", "acl", "--out",
                                str(tmp_path / "x")])  # fmt: skip
    assert again.exit_code != 0 and "sweeps its own `guards:` axis" in again.output


def test_a_guards_axis_with_an_unknown_guard_is_one_line(tmp_path: Path) -> None:
    done = runner.invoke(app, ["eval", str(swept(tmp_path, "[none, acll]")), "--out",
                               str(tmp_path / "x")])  # fmt: skip
    assert done.exit_code != 0
    assert "the spec's `guards:` axis: unknown guard 'acll'; did you mean 'acl'?" in done.output
