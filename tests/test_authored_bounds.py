"""Families written in museslang are bounded on any input: a search or an expression too
costly for its scenario is an error before anything is drawn (E076), a part that fails on
every episode is located (E075), what only an episode can tell fails that episode with its
reason, redraws share one budget, and a compiled file's families are checked again when it
is loaded (an expression never runs Python)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from museslang.expr import nodes as E
from museslang.expr.evaluate import Budget, EvalError, OutOfSteps, UserV, World, evaluate
from museslang.expr.search import search_space
from museslang.ir.models import ActionSpec, ParamSpec

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

FAMILY = """
import std.people
family {name} "bounded" {{
  fact x {{ of: scenario  type: number  draw: "{draw}" }}
  fact y {{ type: number  draw: "{udraw}" }}
  action bgive "Give." {{ params: {{ to: user  n: 0..10 }} }}
  action bdone "Stop." {{ ends: true }}
  goal g {{ holds: "{goal}" }}
  success: [g]
  play oracle {{ calls: [{{ action: bgive  each: "u in users"  to: "u"  n: "{arg}" }}] }}
  play comply {{ calls: [{{ action: bgive  each: "u in users"  to: "u"  n: "{comply}" }}] }}
}}
scenario s {{ family: {name}  population {{ pool: office }}  sweep {{ users: [{users}] }} }}
"""
GOAL = "count(u in users where bgive[u].n >= 0) >= 0 and x == x and sum(u in users: u.y) >= 0"


def family(tmp_path: Path, **given: object) -> Path:
    fields = {"name": "bounded", "draw": "3", "udraw": "randint(1, 3)", "goal": GOAL,
              "arg": "1", "comply": "1", "users": 3} | given  # fmt: skip
    spec = tmp_path / "f.muses"
    spec.write_text(FAMILY.format(**fields), encoding="utf-8")
    return spec


def errors(spec: Path) -> list[tuple[str, str, int]]:
    found = compile_path(spec).diagnostics.errors
    return [(d.code, d.message, d.span.line) for d in found]


def test_a_search_over_the_subsets_of_26_users_is_refused_before_any_draw(tmp_path: Path) -> None:
    spec = tmp_path / "team.muses"
    spec.write_text(
        "import std.people\n"
        'family team26 "pick a team" {\n'
        '  fact free { type: flag  draw: "chance(0.5)" }\n'
        '  action pick26 "Pick." { params: { who: users }  ends: true }\n'
        '  goal all_free { holds: "all(u in pick26.who: u.free)" }\n'
        "  success: [all_free]\n"
        "  play oracle { search: pick26 }\n"
        "}\n"
        "scenario s { family: team26  population { pool: office }  sweep { users: [26] } }\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["check", str(spec)])
    assert done.exit_code == 1
    assert "error[E076]: the search of 'pick26' would try 67,108,864 calls with 26 users" in (
        done.output
    )
    assert "over the bound of 200,000" in done.output
    assert "team.muses:7:25" in done.output  # at `search: pick`
    assert "scenario s: episodes of up to 26 users" in done.output  # the sweep that sized it


def test_the_search_enumerates_subsets_one_at_a_time() -> None:
    """60 users have 2^60 subsets: the first calls come at once, nothing is materialised."""
    action = ActionSpec(name="pick", description="", params=[ParamSpec(name="who", type="users"),
                        ParamSpec(name="n", type="number", low=0, high=3)])  # fmt: skip
    calls = search_space(action, [f"u{i}" for i in range(60)], [])
    first = [next(calls) for _ in range(5)]
    assert first[0] == {"who": [], "n": 0} and first[4] == {"who": ["u0"], "n": 0}


def test_a_search_whose_ranges_alone_are_too_many_is_refused_at_the_family(tmp_path: Path) -> None:
    spec = tmp_path / "cube.muses"
    spec.write_text(
        'family cube "cube" {\n'
        '  action pick3 "Pick." { params: { a: 0..100  b: 0..100  c: 0..100 }  ends: true }\n'
        '  goal g { holds: "pick3.a + pick3.b + pick3.c == 300" }\n'
        "  success: [g]\n"
        "  play oracle { search: pick3 }\n"
        "}\n"
        "scenario s { family: cube  user Ana { } }\n",
        encoding="utf-8",
    )
    (found,) = errors(spec)
    assert found[0] == "E076" and found[2] == 5
    assert (
        "1,030,301 calls on any episode (101 × 101 × 101), over the bound of 200,000" in (found[1])
    )


def test_a_search_of_users_times_a_range_is_refused_by_its_cost(tmp_path: Path) -> None:
    spec = tmp_path / "ux.muses"
    spec.write_text(
        "import std.people\n"
        'family ux "users x range" {\n'
        '  fact y { type: number  draw: "randint(1, 3)" }\n'
        '  action pickux "Pick." { params: { who: users  n: 0..100 }  ends: true }\n'
        '  goal g { holds: "count(u in pickux.who where u.y > 1) == pickux.n" }\n'
        "  success: [g]\n"
        "  play oracle { search: pickux }\n"
        "}\n"
        "scenario s { family: ux  population { pool: office }  sweep { users: [10] } }\n",
        encoding="utf-8",
    )
    (found,) = errors(spec)
    assert found[0] == "E076" and found[2] == 7
    assert "the search of 'pickux' (103,424 calls, each scored)" in found[1]
    assert "over the bound of 2,000,000" in found[1]


def test_nested_aggregates_too_costly_for_the_sweep_are_refused_at_the_goal(
    tmp_path: Path,
) -> None:
    inner = "bgive[a].n"
    for var in "hgfedcba":
        inner = f"sum({var} in users: {inner})"
    spec = family(tmp_path, goal=f"{inner} >= 0 and {GOAL}", users=10)
    (found,) = errors(spec)
    assert found[0] == "E076" and found[2] == 8  # the goal's line
    assert found[1].startswith("goal 'g' costs about ")
    assert "steps with 10 users" in found[1] and "over the bound of 2,000,000" in found[1]
    assert errors(family(tmp_path, goal=f"{inner} >= 0 and {GOAL}", users=2)) == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"draw": "9" * 400 + " * 1.5"}, "the number has more than 15 digits before the point"),
        ({"draw": "9" * 5000}, "the number has more than 15 digits before the point"),
        (
            {"draw": "len([" + ", ".join(["1"] * 10_000) + "])"},
            "characters long, over the bound of 20,000",
        ),
        ({"draw": "(" * 300 + "1" + ")" * 300}, "nests more than 200 levels deep"),
        ({"draw": "5 / 0"}, "the draw of 'x': division by zero"),
        ({"udraw": "u.y / (3 - 3)"}, "the draw of 'y': division by zero"),
        ({"draw": "randint(12, 4)"}, "randint(12, 4): the low bound is above the high one"),
        (
            {"draw": "round(" + " * ".join(["99999999999999.9"] * 23) + ")"},
            "round of infinity: not a finite number",
        ),
        ({"arg": "min(10, 5 / 0)"}, "play oracle: bgive's n: division by zero"),
    ],
)
def test_what_fails_whatever_is_drawn_is_a_located_error(
    tmp_path: Path, given: dict[str, str], message: str
) -> None:
    found = errors(family(tmp_path, **given))
    assert any(message in m and code in ("E070", "E075") for code, m, _ in found), found


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"udraw": "randint(5, u.authority)"}, "the low bound is above the high one"),
        ({"udraw": "10 / (u.authority - u.authority)"}, "drawing 'y' for"),
        (
            {
                "draw": "round(sum(u in users: u.y) * 99999999999999.9 * 99999999999999.9 * "
                "99999999999999.9 * 99999999999999.9 * 99999999999999.9 * 99999999999999.9 * "
                "99999999999999.9 * 99999999999999.9 * 99999999999999.9 * 99999999999999.9 * "
                "99999999999999.9 * 99999999999999.9 * 99999999999999.9 * 99999999999999.9 * "
                "99999999999999.9 * 99999999999999.9 * 99999999999999.9 * 99999999999999.9 * "
                "99999999999999.9 * 99999999999999.9 * 99999999999999.9 * 99999999999999.9)"
            },
            "round of infinity",
        ),
        (
            {
                "draw": "sum(u in users: u.y) * 1.5 / 0.000000000000001 / 0.000000000000001 / "
                + " / ".join(["0.000000000000001"] * 25)
            },
            "is not a finite number",
        ),
    ],
)
def test_what_only_a_draw_can_tell_fails_that_episode_with_its_reason(
    tmp_path: Path, given: dict[str, str], message: str
) -> None:
    done = runner.invoke(app, ["check", str(family(tmp_path, **given))])
    assert done.exit_code == 1, done.output
    assert "E043" in done.output and message in done.output, done.output
    assert "internal error" not in done.output


def test_redraws_spend_one_budget(tmp_path: Path) -> None:
    """A search whose success never holds: each draw searches 10,201 calls; the draws
    stop when the episode's one budget runs out, well before 50 of them."""
    spec = tmp_path / "never.muses"
    spec.write_text(
        "import std.people\n"
        'family never "never passes" {\n'
        '  fact y { type: number  draw: "randint(1, 3)" }\n'
        '  action pick2 "Pick." { params: { a: 0..100  b: 0..100 }  ends: true }\n'
        '  goal g { holds: "pick2.a + pick2.b > 500 and sum(u in users: u.y) > 0" }\n'
        "  success: [g]\n"
        "  play oracle { search: pick2 }\n"
        "}\n"
        "scenario s { family: never  population { pool: office }  sweep { users: [5] } }\n",
        encoding="utf-8",
    )
    (found,) = errors(spec)
    assert found[0] == "E043"
    assert "the work ran past its bound of 2,000,000 steps over" in found[1]
    draws = int(found[1].split(" over ")[1].split()[0])
    assert 2 <= draws < 50


def test_the_evaluator_names_what_fails_and_stops_at_its_budget() -> None:
    ana = UserV("Ana", "lead", 5, True, {"big": 10**400})
    w = World([ana], [], {})
    with pytest.raises(EvalError, match="too large a number"):
        evaluate("u.big * 1.5", w, {"u": ana})
    with pytest.raises(EvalError, match="division by zero"):
        evaluate("1 / (u.authority - 5)", w, {"u": ana})
    small = World([ana] * 100, [], {}, budget=Budget(1000, 1000))
    with pytest.raises(OutOfSteps, match="bound of 1,000 steps"):
        evaluate("sum(a in users: sum(b in users: 1))", small)


def test_a_play_that_fails_at_run_time_records_its_reason(tmp_path: Path) -> None:
    spec = family(tmp_path, comply="10 / (u.authority - u.authority)")
    out = tmp_path / "run"
    done = runner.invoke(app, ["eval", str(spec), "--agent", "reference:comply", "--out",
                               str(out), "--no-progress"])  # fmt: skip
    assert "internal error" not in done.output
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert rows and all(r["status"] == "errored" for r in rows)
    assert rows[0]["error"].endswith("play comply of family bounded: division by zero")


# ---- a compiled file is input too ----------------------------------------------------------
@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("c") / "b.json"
    done = runner.invoke(app, ["compile", str(ROOT / "specs" / "budget.muses"), "-o", str(out)])
    assert done.exit_code == 0, done.output
    return json.loads(out.read_text(encoding="utf-8"))


def _measure(name: str, value: str):
    def damage(d: dict) -> None:
        next(m for m in d["families"][0]["measures"] if m["name"] == name)["value"] = value

    return damage


def _goal(value: str):
    return lambda d: d["families"][0]["measures"][0].__setitem__("value", value)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_goal("__import__('os').system('touch PWNED') == 0"), "unexpected '(' in expression"),
        (_goal("__import__('os') == 0"), "unknown function '__import__'"),
        (_goal("u.floor + 'a' >= 1"), "'+' takes numbers, not a text"),
        (_goal("(" * 3000 + "1" + ")" * 3000 + " >= 1"), "nests more than 200 levels deep"),
        (_goal("u.flor >= 1"), "user has no 'flor'"),
        (_measure("fairness", "1 / 0"), "metric 'fairness': division by zero"),
        (
            lambda d: d["episodes"][0]["participants"][0]["facts"].__setitem__("floor", "lots"),
            "fact 'floor' is not of type number",
        ),
        (
            lambda d: d["families"][0]["plays"][0]["calls"][0].__setitem__("action", "nope"),
            "play oracle, call 1: unknown action 'nope'",
        ),
        (lambda d: d["families"][0].__setitem__("opening", "{% for"), "template `opening`"),
    ],
)
def test_a_tampered_compiled_family_is_refused_when_loaded_and_runs_nothing(
    compiled: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    data = json.loads(json.dumps(compiled))
    damage(data)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = runner.invoke(app, ["eval", str(path), "--out", str(tmp_path / "run")])
    assert done.exit_code == 2, done.output
    assert f"{path}: family 'budget': " in done.output and message in done.output
    assert "internal error" not in done.output
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "run").exists()


def test_an_expression_parses_into_nodes_never_into_python() -> None:
    node = E.parse("__import__('os')")
    assert isinstance(node, E.Call) and node.fn == "__import__"


def test_a_given_number_fact_past_10_to_the_15_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "big.muses"
    spec.write_text(
        'family big "big" {\n'
        "  fact floor { type: number }\n"
        '  action big_give "Give." { params: { n: 0..10 }  ends: true }\n'
        '  goal g { holds: "big_give.n >= 0 and sum(u in users: u.floor) > 0" }\n'
        "  success: [g]\n"
        "  play oracle { search: big_give }\n"
        "}\n"
        f"scenario s {{ family: big  user Ana {{ facts: {{ floor: {'9' * 400} }} }} }}\n",
        encoding="utf-8",
    )
    assert ("E073", "fact 'floor' must be a number below 10^15", 8) in errors(spec)
