"""Compiled output: golden JSON, byte-level determinism, seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.compiler import compile_path, to_json
from tests.conftest import GOLDEN, ROOT, check_golden

CASES = sorted((GOLDEN / "compiled").glob("*.muses"))


def compiled_json(path: Path, seed: int | None = None) -> str:
    result = compile_path(path, seed)
    assert result.ok, [d.message for d in result.diagnostics.errors]
    assert result.compiled is not None
    return to_json(result.compiled)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_compiled(path: Path) -> None:
    check_golden(path.with_suffix(".json"), compiled_json(path))


def test_compiling_twice_gives_identical_bytes() -> None:
    spec = ROOT / "specs" / "meeting.muses"
    assert compiled_json(spec) == compiled_json(spec)


def test_output_does_not_depend_on_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ROOT / "tests" / "golden" / "compiled" / "small_sweep.muses"
    here = compiled_json(spec)
    monkeypatch.chdir(spec.parent)
    assert compiled_json(Path(spec.name)) == here


def test_seed_changes_content_but_not_shape() -> None:
    spec = GOLDEN / "compiled" / "small_sweep.muses"
    a, b = compile_path(spec, 1).compiled, compile_path(spec, 2).compiled
    assert a is not None and b is not None
    assert [e.id for e in a.episodes] == [e.id for e in b.episodes]
    assert [e.seed for e in a.episodes] != [e.seed for e in b.episodes]


def test_meeting_spec_expands_the_full_sweep() -> None:
    result = compile_path(ROOT / "specs" / "meeting.muses")
    assert result.compiled is not None
    eps = result.compiled.episodes
    assert len(eps) == 9 * 3 * 2 * 4
    assert len({e.id for e in eps}) == len(eps)
    assert {len(e.participants) for e in eps} == set(range(2, 11))
    for e in eps:
        assert e.truth.meeting is not None
        assert e.truth.meeting.difficulty == e.cell["difficulty"]
        assert e.truth.meeting.best_slots, e.id
        assert e.agent_prompt.startswith("You coordinate a meeting")


def test_disclosure_variants_share_people_and_slots() -> None:
    result = compile_path(ROOT / "specs" / "meeting.muses")
    assert result.compiled is not None
    by_id = {e.id: e for e in result.compiled.episodes}
    full = by_id["meeting-u5-partial-full-s3"]
    partial = by_id["meeting-u5-partial-partial-s3"]
    strip = {"disclosure"}
    assert [p.model_dump(exclude=strip) for p in full.participants] == [
        p.model_dump(exclude=strip) for p in partial.participants
    ]
    assert {p.disclosure for p in partial.participants} == {"partial"}
