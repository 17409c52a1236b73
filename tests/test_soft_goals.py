"""Soft goals (`goal NAME { ... weight: 2 }`, not in `success:`): PDDL3's preferences.
Each is scored like any goal (the share of its users met); `preferences` is their
weighted share, which the oracle's search ranks after the hard goals."""

from __future__ import annotations

from pathlib import Path

from museslang.authored import outcome
from museslang.compiler import check_path, compile_path
from museslang.ir.results import ActionRecord
from tests.conftest import result_with

ROOT = Path(__file__).resolve().parent.parent


def _compiled():
    result = compile_path(ROOT / "specs" / "shift_swap.muses")
    assert result.ok and result.compiled is not None
    return result.compiled


def test_preferences_is_the_weighted_share_of_the_soft_goals_met() -> None:
    compiled = _compiled()
    (fam,) = compiled.families
    assert {m.name: m.weight for m in fam.measures if m.weight} == {"swapped": 2, "kept": 1}
    for episode in compiled.episodes:
        w = outcome.world(fam, episode)
        # everyone stays where she is: kept is met, swapped is not
        calls = [
            ActionRecord(
                turn=1, name="assign", args={"nurse": u.id, "shift": u.facts["current"].id}
            )
            for u in w.users
        ]  # fmt: skip  everyone stays: kept 1, swapped 0
        got = outcome.scores(fam, outcome.played(fam, episode, result_with(episode, *calls)))
        assert got["kept"] in (1.0, None)
        if got["swapped"] is None:  # nobody asked: only kept counts
            assert got["preferences"] == got["kept"]
        else:
            assert got["swapped"] == 0.0 and got["preferences"] == (1 / 3 if got["kept"] else 0)
    assert "preferences" in [m.name for m in compiled.episodes[0].metrics]


def _checked(tmp_path: Path, old: str, new: str) -> list[str]:
    family = (ROOT / "stdlib" / "shift_swap.muses").read_text(encoding="utf-8")
    assert old in family
    (tmp_path / "shift_swap.muses").write_text(family.replace(old, new), encoding="utf-8")
    spec = (ROOT / "specs" / "shift_swap.muses").read_text(encoding="utf-8")
    spec = spec.replace("import std.shift_swap", 'import "./shift_swap.muses"')
    (tmp_path / "s.muses").write_text(spec, encoding="utf-8")
    return [f"{d.code} {d.message}" for d in check_path(tmp_path / "s.muses").diagnostics.errors]


def test_a_success_goal_cannot_be_soft_and_preferences_is_reserved(tmp_path: Path) -> None:
    hard = _checked(tmp_path, "success: [eligible, staffed, told_outcome]",
                    "success: [eligible, staffed, told_outcome, kept]")  # fmt: skip
    assert hard == [
        "E072 goal 'kept' is in `success:` and has a weight: a success goal must hold, a "
        "weighted one is a preference"
    ]
    named = _checked(tmp_path, "metric told_first", "metric preferences")
    assert named == ["E072 'preferences' is a metric museslang computes for every family"]
    zero = _checked(tmp_path, "weight: 2", "weight: 0")
    assert zero and zero[0].startswith("E017")
