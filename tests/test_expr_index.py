"""A list indexed by position (`options[0]`, `[v in users where v != u][-1]`): typed as the
list's item, counted as Python counts (0 the first, -1 the last), none past either end;
an action indexed by a user (`grant[u]`) keeps its meaning, and a local list that hides
nothing is indexed by position even when an action has the same shape of name."""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.compiler import check_path, compile_path
from museslang.expr.evaluate import CallV, evaluate
from museslang.expr.types import ExprTypeError
from tests.test_expr_defs import typed, world


def test_an_item_of_a_list_has_the_lists_item_type() -> None:
    assert typed("options[0]") == "option"
    assert typed("users[-1]") == "user"
    assert typed("[v in users where v != u: v.budget][0]") == "number"
    assert typed("options[0].price <= u.budget") == "bool"
    assert typed("let xs = options - [book.trip] in xs[0]") == "option"
    assert typed("grant[u].amount") == "number"  # an action by a user, as before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("options[u]", "a list's index must be a number, not a user"),
        ("options[1.5]", "a list's index is a whole number, not 1.5"),
        (
            "u[0]",
            "only an action \\(by a user\\) or a list \\(by position\\) is indexed, not a user",
        ),
        ("cap[0]", "only an action \\(by a user\\) or a list \\(by position\\) is indexed"),
    ],
)
def test_what_cannot_be_indexed_and_by_what(text: str, message: str) -> None:
    with pytest.raises(ExprTypeError, match=message):
        typed(text)


def test_positions_count_as_python_counts_and_none_past_the_ends() -> None:
    w = world()
    ann, bob = w.users
    assert evaluate("options[0]", w).id == "a"
    assert evaluate("options[-1]", w).id == "b"
    assert evaluate("options[1 + 0]", w).id == "b"
    assert evaluate("options[2]", w) is None
    assert evaluate("options[-3]", w) is None
    assert evaluate("users[len(users) - 1]", w) is bob
    assert evaluate("[v in users where v != u][0]", w, {"u": ann}) is bob
    assert evaluate("[v in users where v.budget > 100: v.budget][1]", w) == 900
    assert evaluate("default(options[5], options[0]).price", w) == 400


def test_an_action_indexed_by_a_user_is_still_its_last_call_to_that_user() -> None:
    ann = world().users[0]
    w = world({"grant": [CallV("grant", {"to": ann, "amount": 3}),
                         CallV("grant", {"to": ann, "amount": 7})]})  # fmt: skip
    assert evaluate("grant[u].amount", w, {"u": ann}) == 7
    assert evaluate("let gs = [v in users: v.budget] in gs[0]", w) == 500


# ---- draws that read the users drawn before (`earlier`) ----------------------------------
DESKS = """import std.people
family desks "give each person a desk" {
  brief: "Give each person the desk they want."
  fact wants { type: option  private: true  draw: "pick(options - [v in earlier: v.wants])" }
  fact same { type: option  draw: "default(earlier[0].wants, pick(options))" }
  action give "Give a person a desk." { params: { to: user  desk: option } }
  goal served { per: user  holds: "give[u].desk == u.wants" }
  success: [served]
  play oracle { calls: [{ action: give  each: "u in users"  to: "u"  desk: "u.wants" }] }
}
scenario floor {
  family: desks
  option north { }
  option south { }
  option east { }
  population { pool: office }
  sweep { users: [3]  samples: 4 }
}
"""


def _spec(tmp_path: Path, old: str = "", new: str = "") -> Path:
    path = tmp_path / "desks.muses"
    path.write_text(DESKS.replace(old, new), encoding="utf-8")
    return path


def test_a_users_draw_reads_the_users_drawn_before_it(tmp_path: Path) -> None:
    # an earlier user's fact is read whatever its place: all of it is drawn
    assert check_path(_spec(tmp_path, "earlier[0].wants", "earlier[0].same")).ok
    result = compile_path(_spec(tmp_path))
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.compiled is not None and len(result.compiled.episodes) == 4
    for episode in result.compiled.episodes:
        people = episode.participants
        wants = [p.facts["wants"] for p in people]
        assert len(set(wants)) == 3  # distinct draws: each one minus those drawn before
        # a tie on purpose: every later user's `same` is the first user's `wants`
        assert [p.facts["same"] for p in people[1:]] == [wants[0], wants[0]]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("v in earlier: v.wants", "v in earlier: u.wants", "'wants' reads 'wants' itself"),
        ("options - [v in earlier: v.wants]", "users", "a user's draw cannot read `users`"),
        ("earlier[0].wants", "earlier[0.5].wants", "a list's index is a whole number, not 0.5"),
        ('holds: "give[u].desk == u.wants"', 'holds: "give[u].desk == earlier[0].wants"',
         "unknown name 'earlier'"),
    ],
)  # fmt: skip
def test_what_earlier_cannot_do(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in DESKS
    got = [d.message for d in check_path(_spec(tmp_path, old, new)).diagnostics.errors]
    assert any(message in m for m in got), got
