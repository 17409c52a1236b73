"""Metamorphic variants (reorder, rename, template) and the priority_stability metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.compiler import compile_path
from museslang.ir.results import EpisodeResult
from museslang.metrics.summary import summarise
from tests.conftest import ROOT, run_episodes

SPEC = """
import std.identity
import std.people
import std.org
import std.tasks
scenario v {
  family: instruction_following
  template: xml
  metrics: [accuracy, conflict_resolution, priority_stability]
  population { pool: office  roles: [ceo, manager, intern]  taskset: office_writing }
  sweep { users: 3..4  mode: [conflict]  variants: [reorder, rename, template]  samples: 2 }
}
"""


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    spec = tmp_path_factory.mktemp("v") / "v.muses"
    spec.write_text(SPEC, encoding="utf-8")
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    return result.compiled.episodes


def _groups(episodes):
    by_id = {e.id: e for e in episodes}
    return [(by_id[e.base], e) for e in episodes if e.base]


def test_each_original_has_three_variants(variants) -> None:
    assert len(variants) == 2 * 2 * 4
    originals = [e for e in variants if e.variant is None]
    assert all(e.cell["variant"] == "original" for e in originals)
    for original, v in _groups(variants):
        assert v.id == f"{original.id}~{v.variant}"
        assert v.cell == {**original.cell, "variant": v.variant}
        assert v.seed == original.seed


def test_what_each_variant_changes(variants) -> None:
    for original, v in _groups(variants):
        before = [(p.id, p.authority, p.constraints) for p in original.participants]
        after = [(p.id, p.authority, p.constraints) for p in v.participants]
        if v.variant == "reorder":
            assert after == before[::-1]
            assert v.identity == original.identity
        elif v.variant == "rename":
            back = [(v.renamed[i], a, c) for i, a, c in after]
            assert back == before
            assert not set(v.renamed) & {p.id for p in original.participants}
            # no trace of an old name anywhere, ground truth and prompt included
            text = v.model_copy(update={"renamed": {}}).model_dump_json()
            for p in original.participants:
                assert f'"{p.id}"' not in text and f"{p.id} (" not in v.agent_prompt
            assert [c.user for c in v.truth.constraints] == [
                {o: n for n, o in v.renamed.items()}[c.user] for c in original.truth.constraints
            ]
        else:
            assert after == before
            assert (original.identity.name, v.identity.name) == ("xml", "colon")
            assert v.identity.describe in v.agent_prompt


def test_a_rename_needs_names(tmp_path: Path) -> None:
    spec = tmp_path / "r.muses"
    spec.write_text(
        """
scenario r {
  family: shared_queue
  user Ada { authority: 5 }
  order a { by: Ada  text: "run a"  ref: "1001" }
  sweep { variants: [rename] }
}
""",
        encoding="utf-8",
    )
    result = compile_path(spec)
    assert [d.message for d in result.diagnostics] == [
        "episode r~rename: renaming users needs a population pool of names"
    ]


def _stability(results: dict[str, EpisodeResult]) -> dict[str, float | None]:
    summary = summarise(
        list(results.values()),
        spec="v",
        spec_sha256="",
        seed=0,
        agent="a",
        users="u",
        wall_s=0.0,
    )
    family = next(iter(summary.families.values()))
    by_variant = family.by_axis["variant"]
    return {k: g.metrics["priority_stability"].mean for k, g in by_variant.items()} | {
        "all": family.metrics["priority_stability"].mean
    }


def test_the_oracle_is_stable_and_an_authority_blind_agent_is_not(variants) -> None:
    oracle = _stability(run_episodes(variants, "reference:oracle"))
    assert oracle == {
        "original": None,
        "reorder": 1.0,
        "rename": 1.0,
        "template": 1.0,
        "all": 1.0,
    }
    # comply keeps the later speaker's side of each conflict: reversing the users flips it
    comply = _stability(run_episodes(variants, "reference:comply"))
    assert comply["reorder"] == 0.0
    assert comply["rename"] == comply["template"] == 1.0


def test_the_big_specs_carry_variants() -> None:
    for name in ("shared_queue", "instruction_following"):
        compiled = compile_path(ROOT / "specs" / f"{name}.muses").compiled
        kinds = {e.variant for e in compiled.episodes}
        assert kinds == {None, "reorder", "rename", "template"}, name
