"""A guard installed from another package: found through the entry-point group
`museslang.guards`, listed with its package, stacked by `eval --guard` and recorded on the
results, with no museslang source touched; a broken one is named and the others work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "tests" / "plugins"


def install(where: Path, entries: str) -> dict[str, str]:
    """The test guard as pip would leave it: a distribution's metadata with its entry
    points on the path (the package itself is tests/plugins/museslang_stamp)."""
    info = where / "museslang_stamp-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: museslang-stamp\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[museslang.guards]\n{entries}\n")
    path = os.pathsep.join([str(where), str(PLUGINS), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def museslang(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "museslang", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return install(tmp_path_factory.mktemp("site"), "stamp = museslang_stamp:GUARD")


def test_an_installed_guard_is_listed_with_its_package(env: dict[str, str]) -> None:
    done = museslang(env, "guards", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert rows["stamp"]["origin"] == "museslang-stamp"
    assert rows["stamp"]["summary"].startswith("stamps every message")
    assert list(rows)[:3] == ["acl", "spotlight", "policy"]


def test_an_installed_guard_runs_stacked_with_acl(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = museslang(env, "eval", "specs/access_control.muses", "--agent", "reference:comply",
                     "--guard", "acl,stamp", "--limit", "2", "--out", str(out),
                     "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    for line in (out / "results.jsonl").read_text().splitlines():
        r = json.loads(line)
        assert r["cell"]["guards"] == "acl+stamp" and r["metrics"]["privacy"] == 1.0
        sent = [m for m in r["transcript"] if m["sender"] == "agent"]
        assert sent and all(m["text"].startswith("[stamped] ") for m in sent)
        assert {i["guard"] for i in r["interventions"]} == {"acl", "stamp"}
        # acl acts first: what stamp gets is already cut
        assert any("[withheld]" in m["text"] for m in sent)


def test_a_broken_guard_plug_in_is_named_and_the_others_still_work(tmp_path: Path) -> None:
    env = install(tmp_path, "stamp = museslang_stamp:GUARD\nbroken = museslang_stamp:NOT_A_GUARD\n"
                  "gone = museslang_nowhere:GUARD")  # fmt: skip
    done = museslang(env, "guards", "--json")
    assert done.returncode == 1
    assert "the guard broken (museslang_stamp:NOT_A_GUARD): not a museslang Guard" in done.stderr
    assert "the guard gone (museslang_nowhere:GUARD): ModuleNotFoundError" in done.stderr
    assert "Traceback" not in done.stderr
    assert {json.loads(line)["name"] for line in done.stdout.splitlines()} >= {"acl", "stamp"}
