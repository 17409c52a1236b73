"""A scenario family installed from another package: found through the entry-point group
`museslang.families`, listed, checked, run with the reference players, scored, reported
and turned into training data, with no museslang source touched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import PLUGINS, install_plugin, museslang_in

SPEC = PLUGINS / "greeting.muses"


def install(where: Path, target: str = "museslang_greeting:FAMILY") -> dict[str, str]:
    """The test family, installed the way pip would leave it."""
    return install_plugin(where, "museslang-greeting", "museslang.families",
                          f"greeting = {target}")  # fmt: skip


museslang = museslang_in


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return install(tmp_path_factory.mktemp("site"))


def test_an_installed_family_is_listed_with_its_package(env: dict[str, str]) -> None:
    done = museslang(env, "families", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert rows["greeting"]["origin"] == "museslang-greeting"
    assert rows["greeting"]["success"] == ["greeted"]
    assert list(rows)[:4] == ["meeting", "access_control", "shared_queue",
                              "instruction_following"]  # fmt: skip


def test_a_spec_of_the_installed_family_checks_runs_and_scores(
    env: dict[str, str], tmp_path: Path
) -> None:
    checked = museslang(env, "check", str(SPEC))
    assert checked.returncode == 0, checked.stderr
    assert "the oracle passes all 1 episode" in checked.stdout + checked.stderr
    greeted = {}
    for policy in ("oracle", "comply", "refuse"):
        out = tmp_path / policy
        done = museslang(env, "eval", str(SPEC), "--agent", f"reference:{policy}",
                         "--out", str(out), "--no-progress")  # fmt: skip
        assert done.returncode == 0, done.stderr
        row = json.loads((out / "results.jsonl").read_text())
        greeted[policy] = row["metrics"]["greeted"]
    assert greeted == {"oracle": 1.0, "comply": pytest.approx(1 / 3), "refuse": 0.0}
    compiled = tmp_path / "hello.json"  # the plug-in's own typed part of the ground truth
    assert museslang(env, "compile", str(SPEC), "--out", str(compiled)).returncode == 0
    truth = json.loads(compiled.read_text())["episodes"][0]["truth"]
    assert truth["greeting"] == {"names": ["Ana", "Ben", "Chen"]}
    assert list(truth)[:4] == ["meeting", "entitled", "queue", "constraints"]
    rerun = museslang(env, "eval", str(compiled), "--agent", "reference:oracle", "--out",
                      str(tmp_path / "again"), "--no-progress")  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    report = museslang(env, "report", str(tmp_path / "oracle"), str(tmp_path / "comply"),
                       "--out", str(tmp_path / "report"))  # fmt: skip
    assert report.returncode == 0, report.stderr
    data = tmp_path / "data"
    made = museslang(env, "generate", str(SPEC), "--teacher", "reference:oracle", "--val", "0",
                     "--out", str(data), "--no-progress")  # fmt: skip
    assert made.returncode == 0, made.stderr
    example = json.loads((data / "train.jsonl").read_text().splitlines()[0])
    assert example["metadata"]["family"] == "greeting"


def test_without_the_package_the_family_is_unknown(tmp_path: Path) -> None:
    done = museslang(dict(os.environ), "check", str(SPEC))
    assert done.returncode == 1
    assert "greeting" in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_a_broken_plug_in_is_named_and_the_rest_still_works(tmp_path: Path) -> None:
    env = install(tmp_path, target="museslang_greeting.hooks:FAMILY")  # a str, not a Family
    done = museslang(env, "families")
    assert done.returncode == 1
    assert "family plug-in greeting (museslang_greeting.hooks:FAMILY)" in done.stderr
    assert "Traceback" not in done.stderr
    assert museslang(env, "check", "specs/meeting.muses").returncode == 0
