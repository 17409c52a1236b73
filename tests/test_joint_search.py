"""Joint search (`play oracle { search: assign  each: "u in users" }`): one call per
element, every set of calls scored as a whole, the bound checked at compile time; a
play's `tell:` sees its own calls (`mine`), and `told(u, option)` reads an option by its
title or id. specs/shift_swap.muses (stdlib/shift_swap.muses) is the worked example."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from typer.testing import CliRunner

from museslang.authored import outcome, plays
from museslang.authored.install import _told_by
from museslang.cli import app
from museslang.compiler import compile_path
from museslang.expr.search import joint_size, joint_space
from museslang.expr.told import find
from museslang.ir import models as ir

ROOT = Path(__file__).resolve().parent.parent
SOFT = ("preferences", "swapped", "kept")  # after the hard goals, as the search ranks them


def _assign() -> ir.ActionSpec:
    return ir.ActionSpec(
        name="assign",
        description="",
        params=[ir.ParamSpec(name="nurse", type="user"), ir.ParamSpec(name="shift", type="option")],
    )


def test_joint_space_is_every_set_of_one_call_per_element_in_product_order() -> None:
    sets = list(joint_space(_assign(), "nurse", ["A", "B"], ["A", "B"], ["x", "y", "z"]))
    assert len(sets) == 9 == joint_size(_assign(), "nurse", 2, 2, 3)
    assert sets[0] == [{"nurse": "A", "shift": "x"}, {"nurse": "B", "shift": "x"}]
    assert sets[1] == [{"nurse": "A", "shift": "x"}, {"nurse": "B", "shift": "y"}]
    shifts = [tuple(c["shift"] for c in s) for s in sets]
    assert shifts == list(itertools.product("xyz", repeat=2))
    assert all(list(c) == ["nurse", "shift"] for s in sets for c in s)  # the action's order


def _shift_swap() -> ir.CompiledSpec:
    result = compile_path(ROOT / "specs" / "shift_swap.muses")
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.compiled is not None
    return result.compiled


def _brute_force_best(fam: ir.AuthoredFamily, episode: ir.EpisodeGraph) -> tuple:
    """The best success-first key over every roster, scored one by one here."""
    w = outcome.world(fam, episode)
    best = None
    for shifts in itertools.product(w.options, repeat=len(w.users)):
        pairs = zip(w.users, shifts, strict=True)
        calls = [("assign", {"nurse": u.id, "shift": o.id}) for u, o in pairs]
        w.calls = {"assign": [outcome.call_value(w, fam, a, args) for a, args in calls]}
        w.told = {}
        got = outcome.scores(fam, w)
        key = tuple(got.get(k) or 0.0 for k in ("eligible", "staffed", *SOFT))
        best = key if best is None or key > best else best
    return best


def test_the_roster_oracle_assigns_every_nurse_once_and_finds_the_best_roster() -> None:
    compiled = _shift_swap()
    (fam,) = compiled.families
    for episode in compiled.episodes:
        ideal = episode.truth.authored.ideal
        assigned = [c.args["nurse"] for c in ideal if c.action == "assign"]
        assert sorted(assigned) == sorted(p.id for p in episode.participants)
        assert ideal[-1].action == "publish"
        scores = episode.truth.authored.ideal_scores
        assert scores["success"] == 1.0 and scores["told_outcome"] == 1.0
        best = _brute_force_best(fam, episode)
        assert tuple(scores.get(k) or 0.0 for k in ("eligible", "staffed", *SOFT)) == best


def test_the_oracle_tells_each_nurse_her_own_shift() -> None:
    compiled = _shift_swap()
    (fam,) = compiled.families
    episode = compiled.episodes[0]
    oracle = next(p for p in fam.plays if p.name == "oracle")
    w = outcome.world(fam, episode)
    calls = [(c.action, dict(c.args)) for c in episode.truth.authored.ideal]
    for user in w.users:
        context = plays.context(fam, w, user, calls)
        mine = context["mine"]["assign"]
        assert mine["nurse"]["id"] == user.id
        title = mine["shift"]["title"]
        assert any(o.title == title for o in w.options)
    told = _told_by(fam, oracle, w, calls, None)
    shift_of = {c["nurse"]: c["shift"] for _, c in calls if "nurse" in c}
    for uid, text in told.items():
        option = next(o for o in w.options if o.id == shift_of[uid])
        assert text.endswith(f"you work {option.title}.")


def test_told_reads_an_option_by_its_title_or_id() -> None:
    from museslang.expr.evaluate import OptionV

    shift = OptionV("fri_night", "Friday night shift", {})
    assert find("Next week you work Friday night shift.", shift) is not None
    assert find("You are on fri_night.", shift) is not None
    assert find("You work the Monday early shift.", shift) is None


def test_a_joint_search_over_its_bound_is_refused_at_compile_time(tmp_path: Path) -> None:
    spec = (ROOT / "specs" / "shift_swap.muses").read_text(encoding="utf-8")
    family = (ROOT / "stdlib" / "shift_swap.muses").read_text(encoding="utf-8")
    (tmp_path / "shift_swap.muses").write_text(family, encoding="utf-8")
    big = spec.replace("import std.shift_swap", 'import "./shift_swap.muses"')
    big = big.replace("users: 3..5", "users: 12")
    (tmp_path / "big.muses").write_text(big, encoding="utf-8")
    result = compile_path(tmp_path / "big.muses")
    (d,) = [d for d in result.diagnostics if d.code == "E076"]
    assert "joint search of 'assign' over 12 users would try 531,441 sets" in d.message


def test_the_shift_swap_spec_runs_and_scores_its_reference_players(tmp_path: Path) -> None:
    runner = CliRunner()
    out = {}
    for agent in ("oracle", "comply"):
        run = tmp_path / agent
        got = runner.invoke(app, ["eval", str(ROOT / "specs" / "shift_swap.muses"),
                                  "--agent", f"reference:{agent}", "--no-progress",
                                  "--out", str(run)])  # fmt: skip
        assert got.exit_code == 0, got.output
        rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
        out[agent] = sum(r["metrics"]["success"] for r in rows) / len(rows)
    assert out == {"oracle": 1.0, "comply": 0.0}
