"""A guard installed from another package: found through the entry-point group
`museslang.guards`, listed with its package, stacked by `eval --guard` and recorded on the
results, with no museslang source touched; a broken one is named and the others work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import install_plugin, museslang_in


def install(where: Path, entries: str) -> dict[str, str]:
    """The test guard (tests/plugins/museslang_stamp), installed the way pip would leave it."""
    return install_plugin(where, "museslang-stamp", "museslang.guards", entries)


museslang = museslang_in


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
