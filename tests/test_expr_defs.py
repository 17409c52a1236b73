"""Named functions (`def`), `let`, filtered lists and list difference in the expressions of
a family written in museslang: typed, evaluated as if written where they are called,
priced soundly, checked again in a compiled file, formatted and explained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.authored.explain import _sides
from museslang.cli import app
from museslang.compiler import compile_path
from museslang.diagnostics import Diagnostics
from museslang.expr import cost
from museslang.expr import nodes as E
from museslang.expr.evaluate import (
    Budget,
    CallV,
    Evaluator,
    OptionV,
    UserV,
    World,
    evaluate,
    fact_of,
    holds,
    let_scope,
)
from museslang.expr.told import Fact
from museslang.expr.types import Checker, ExprTypeError, signatures
from museslang.fmt import format_source
from museslang.ir import models as ir
from museslang.source import SourceFile

runner = CliRunner()

SWAP = """import std.people

family swapshift "give each nurse a shift other than her current one" {
  brief: "Assign each nurse one shift, then say you are done."
  fact hours { of: option  type: number }
  fact max_hours { type: number  draw: "randint(8, 12)" }
  fact current { type: option  draw: "pick(options)" }
  fact wanted { type: option  draw: "pick(choices(u))" }
  fact other { type: option  draw: "pick(options - [u.current])" }
  fact apart { type: option  draw: "pick([o in options where o.id != u.current.id])" }

  action rota "Assign a nurse a shift." { params: { to: user  shift: option } }
  action roster_done "Done." { ends: true }

  def eligible "the shift is new to the nurse and within her hours" {
    params: { u: user  s: option }
    value: "s != u.current and s.hours <= u.max_hours"
  }
  def choices { params: { u: user }  value: "[o in options where eligible(u, o)]" }

  goal moved { per: user  holds: "let s = rota[u].shift in eligible(u, s)" }
  metric hours_given { value: "sum(u in users: let h = rota[u].shift.hours in default(h, 0))" }
  metric drawn_apart {
    value: "count(u in users where u.current not in [u.wanted, u.other, u.apart])"
  }
  success: [moved]

  play oracle {
    calls: [
      { action: rota  each: "u in users"  to: "u"  shift: "argmin(o in choices(u): o.hours)" },
    ]
  }
  play comply {
    calls: [{ action: rota  each: "u in users"  to: "u"  shift: "u.current" }]
  }

  guard no_old_shift "blocks a nurse's current shift" {
    per: user
    never: "called(rota[u]) and not eligible(u, rota[u].shift)"
  }
}

scenario ward {
  family: swapshift
  option early { facts: { hours: 4 } }
  option late { facts: { hours: 8 } }
  option night { facts: { hours: 10 } }
  population { pool: office }
  sweep { users: 2..3  samples: 2  seed: 7 }
}
"""


@pytest.fixture
def swap(tmp_path: Path) -> Path:
    spec = tmp_path / "swap.muses"
    spec.write_text(SWAP, encoding="utf-8")
    return spec


def test_defs_lets_and_filtered_lists_check_compile_and_run(swap: Path, tmp_path: Path) -> None:
    result = compile_path(swap)
    assert result.ok, [d.message for d in result.diagnostics.items]
    assert not result.diagnostics.warnings
    assert result.compiled is not None
    fam = result.compiled.families[0]
    assert [(d.name, [(p.name, p.type) for p in d.params]) for d in fam.defs] == [
        ("eligible", [("u", "user"), ("s", "option")]),
        ("choices", [("u", "user")]),
    ]
    assert fam.defs[0].doc == "the shift is new to the nurse and within her hours"
    # every user's drawn facts read a filtered list and a list difference
    for ep in result.compiled.episodes:
        for p in ep.participants:
            assert p.facts["wanted"] != p.facts["current"] != p.facts["other"]
    runs = {}
    for agent in ("oracle", "comply"):
        out = tmp_path / agent
        done = runner.invoke(
            app, ["eval", str(swap), "--agent", f"reference:{agent}", "-o", str(out)]
        )
        assert done.exit_code == 0, done.output
        rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
        runs[agent] = rows
    assert all(r["metrics"]["success"] == 1.0 for r in runs["oracle"])
    assert all(r["metrics"]["drawn_apart"] == r["team"] for r in runs["oracle"])
    assert all(r["metrics"]["success"] == 0.0 for r in runs["comply"])  # the current shift
    # the guard calls the def too
    done = runner.invoke(
        app,
        [
            "eval",
            str(swap),
            "--agent",
            "reference:comply",
            "--guard",
            "no_old_shift",
            "-o",
            str(tmp_path / "g"),
        ],
    )
    assert done.exit_code == 0, done.output
    rows = [
        json.loads(line) for line in (tmp_path / "g" / "results.jsonl").read_text().splitlines()
    ]
    assert all(r["interventions"] for r in rows)


def test_a_draw_that_calls_a_def_reading_a_later_fact_is_refused_at_the_call(swap: Path) -> None:
    text = swap.read_text(encoding="utf-8")
    line = '  fact max_hours { type: number  draw: "randint(8, 12)" }\n'
    swap.write_text(text.replace(line, "").replace("  action rota", line + "  action rota"))
    found = compile_path(swap).diagnostics.errors
    assert [(d.code, d.message) for d in found] == [
        ("E072", "the draw of 'wanted' reads 'max_hours', which is drawn after it")
    ]
    row = swap.read_text(encoding="utf-8").splitlines()[found[0].span.line - 1]
    assert row[found[0].span.column - 1 : found[0].span.end_column - 1] == "choices(u)"


def test_the_new_constructs_format_canonically_and_keep_their_meaning(swap: Path) -> None:
    messy = SWAP.replace(
        "  def choices { params: { u: user }  value:",
        "  def   choices{params:{u:user}\n      value:",
    )
    messy = messy.replace("params: { u: user  s: option }", "params: {u: user, s: option}")

    def fmt(text: str) -> str:
        out = format_source(SourceFile(Path("t.muses"), "t.muses", text), Diagnostics())
        assert out is not None
        return out

    assert fmt(SWAP) == SWAP  # the canonical layout of def, let and filtered lists
    once = fmt(messy)
    assert fmt(once) == once
    assert '  def choices {\n    params: { u: user }\n    value: "[o in options where' in once
    assert "params: { u: user  s: option }" in once
    swap.write_text(once, encoding="utf-8")
    again = compile_path(swap)
    assert again.ok and again.compiled is not None
    first = compile_path(swap.with_name("swap.muses"))
    assert first.compiled is not None
    assert again.compiled.families[0].defs == first.compiled.families[0].defs


# ---- types -------------------------------------------------------------------------------
FAM = ir.AuthoredFamily(
    name="f",
    summary="f",
    facts=[
        ir.FactSpec(name="budget", of="user", type="number"),
        ir.FactSpec(name="price", of="option", type="number"),
        ir.FactSpec(name="cap", of="scenario", type="number"),
    ],
    actions=[
        ir.ActionSpec(
            name="book", description="b", params=[ir.ParamSpec(name="trip", type="option")]
        ),
        ir.ActionSpec(
            name="grant",
            description="g",
            params=[
                ir.ParamSpec(name="to", type="user"),
                ir.ParamSpec(name="amount", type="number"),
            ],
        ),
    ],
    defs=[
        ir.FunctionSpec(
            name="pays",
            params=[ir.ParamSpec(name="u", type="user"), ir.ParamSpec(name="t", type="option")],
            value="t.price <= u.budget",
        ),
        ir.FunctionSpec(
            name="cheap",
            params=[ir.ParamSpec(name="u", type="user")],
            value="[o in options where pays(u, o)]",
        ),
        ir.FunctionSpec(name="total", value="sum(u in users: default(grant[u].amount, 0))"),
    ],
    success=[],
)


def typed(text: str, scope: dict[str, str] | None = None) -> str:
    return Checker(FAM).infer(E.parse(text), scope or {"u": "user"})


def test_a_defs_type_is_its_bodys_and_a_call_reads_what_its_body_reads() -> None:
    sigs = signatures(FAM)
    assert sigs["pays"].returns == "bool" and sigs["cheap"].returns == "list[option]"
    assert sigs["total"].reads.actions == {"grant"}
    assert typed("pays(u, book.trip)") == "bool"
    assert typed("argmin(o in cheap(u): o.price)") == "option"
    assert typed("total() <= cap") == "bool"
    checker = Checker(FAM)
    checker.infer(E.parse("pays(u, book.trip)"), {"u": "user"})
    assert checker.reads.actions == {"book"} and "user.budget" in checker.reads.facts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pay(u, book.trip)", "unknown function 'pay'"),
        ("pays(u)", "pays takes 2 arguments, not 1"),
        ("pays(book.trip, u)", "pays's 'u' must be a user, not an option"),
        ("let u = 1 in u", "the let 'u' already names a value here"),
        ("let cap = 1 in cap", "the let 'cap' already names a fact of the scenario"),
        ("let b = book in b[u].trip == none", "an action is indexed by its name"),
        ("len(options - 1)", "'-' takes two numbers or two lists"),
        ("len(options - users)", "a list of users are never in a list of options"),
        ("[o in cap where true]", "a list's binding ranges over a list, not a number"),
    ],
)
def test_mistakes_in_calls_lets_and_lists_are_type_errors(text: str, message: str) -> None:
    with pytest.raises(ExprTypeError, match=message.replace("(", r"\(").replace("'", "'")):
        typed(text)


def test_the_let_and_list_types() -> None:
    assert typed("let p = book.trip.price, q = p * 2 in q <= u.budget") == "bool"
    assert typed("[v in users where v != u: v.budget]") == "list[number]"
    assert typed("options - [book.trip]") == "list[option]"
    drawn = Checker(FAM, draw=True).infer(E.parse("pick([o in options where o.price < 3])"), {})
    assert drawn == "option"


# ---- evaluation --------------------------------------------------------------------------
def world(calls: dict[str, list[CallV]] | None = None) -> World:
    ann = UserV("ann", None, 1, True, {"budget": 500})
    bob = UserV("bob", None, 1, True, {"budget": 900})
    opts = [OptionV("a", None, {"price": 400}), OptionV("b", None, {"price": 800})]
    return World(
        [ann, bob],
        opts,
        {"cap": 1000},
        calls=calls or {},
        keys={"grant": ("to",), "book": ()},
        defs={d.name: d for d in FAM.defs},
    )


def test_a_call_is_its_body_with_the_arguments_bound() -> None:
    w = world({"book": [CallV("book", {"trip": OptionV("b", None, {"price": 800})})]})
    ann, bob = w.users
    assert holds("pays(u, book.trip)", w, {"u": bob})
    assert not holds("pays(u, book.trip)", w, {"u": ann})
    assert [o.id for o in evaluate("cheap(u)", w, {"u": ann})] == ["a"]
    assert [o.id for o in evaluate("options - [book.trip]", w)] == ["a"]
    assert evaluate("[v in users where v.budget > 600: v.budget]", w) == [900]
    assert evaluate("let p = book.trip.price, q = p + 1 in q", w) == 801


def test_a_let_or_an_argument_reads_a_call_never_made_where_it_is_read() -> None:
    w = world()  # nothing booked, nothing granted
    ann = w.users[0]
    # as `not called(grant[u])` would: asking about the call is not reading it
    assert holds("let g = grant[u] in not called(g)", w, {"u": ann})
    # as `book.trip.price <= u.budget or true` would: the goal read a call never made
    assert not holds("let p = book.trip.price in p <= u.budget or true", w, {"u": ann})
    assert not holds("pays(u, book.trip) or true", w, {"u": ann})
    assert holds("total() == 0", w)  # default(...) inside the def


def test_told_knows_the_fact_behind_a_let_name_or_a_parameter() -> None:
    w = world()
    ev = Evaluator(w)
    ann = w.users[0]
    node = E.parse("let f = u.budget in f")
    assert isinstance(node, E.Let)
    scope = let_scope(node, {"u": ann})
    assert fact_of(node.body, ev, scope) == Fact("user", "budget", "ann")


def test_a_call_costs_its_body_and_the_bound_is_sound() -> None:
    sizes = cost.Sizes(users=2, options=2)
    assert cost.steps("pays(u, book.trip)", FAM, sizes) == 1 + 1 + 2 + cost.steps(
        "t.price <= u.budget", FAM, sizes
    )
    # a filtered list's size is its collection's: an aggregate over it is priced by options
    assert cost.steps("sum(o in cheap(u): o.price)", FAM, cost.Sizes(2, 50)) > 50 * 5
    w = world({"book": [CallV("book", {"trip": OptionV("b", None, {"price": 800})})]})
    for text in (
        "sum(o in cheap(u): o.price)",
        "pays(u, book.trip)",
        "total() <= cap",
        "let p = book.trip.price, q = p * 2 in q + p <= u.budget",
        "len(options - [book.trip])",
    ):
        w.budget = Budget()
        evaluate(text, w, {"u": w.users[0]})
        spent = w.budget.bound - w.budget.left
        assert spent <= cost.steps(text, FAM, sizes), text


def test_the_explanation_of_a_goal_names_the_parts_of_the_defs_body() -> None:
    w = world({"book": [CallV("book", {"trip": OptionV("b", None, {"price": 800})})]})
    why = _sides("pays(u, book.trip)", w, {"u": w.users[0]})
    assert why == "t.price = 800, not <= u.budget = 500"


# a compiled file whose defs were damaged: museslang.testing.hostile.compiled_cases


# ---- bounds ------------------------------------------------------------------------------
CHAIN = """
family chain "defs that call each other" {{
  action give "Give a user an amount." {{ params: {{ to: user  amount: 0..10 }} }}
  action done "Stop." {{ ends: true }}
  def d0 {{ params: {{ u: user }}  value: "give[u].amount" }}
{defs}
  goal g {{ per: user  holds: "d{last}(u) >= 0" }}
  success: [g]
  play oracle {{ calls: [{{ action: give  each: "u in users"  to: "u"  amount: "1" }}] }}
}}
scenario s {{ family: chain  user a {{}}  user b {{}} }}
"""


def chain(tmp_path: Path, n: int, body: str) -> Path:
    defs = "\n".join(
        f'  def d{i} {{ params: {{ u: user }}  value: "{body.format(p=i - 1)}" }}'
        for i in range(1, n + 1)
    )
    spec = tmp_path / "chain.muses"
    spec.write_text(CHAIN.format(defs=defs, last=n), encoding="utf-8")
    return spec


def test_a_chain_of_defs_each_calling_the_last_twice_is_priced_at_once_and_refused(
    tmp_path: Path,
) -> None:
    # 2^40 steps: priced from each def's cost once, not by walking every call
    found = compile_path(chain(tmp_path, 40, "d{p}(u) + d{p}(u)")).diagnostics.errors
    assert [d.code for d in found] == ["E076"], [d.message for d in found]
    assert "19,791,209,299,966 steps" in found[0].message


def test_defs_nested_past_the_depth_bound_are_refused_at_the_expression(tmp_path: Path) -> None:
    body = "abs(" * 60 + "d{p}(u)" + ")" * 60
    found = compile_path(chain(tmp_path, 5, body)).diagnostics.errors
    assert found and all(d.code == "E070" for d in found), [d.message for d in found]
    assert "with the defs it calls, it nests more than 200 levels deep" in found[0].message


def test_a_range_warning_sees_through_a_def_and_a_let(tmp_path: Path) -> None:
    spec = tmp_path / "r.muses"
    spec.write_text(
        """import std.people
family ranged "bounded" {
  fact y { type: number  draw: "randint(1, 30)" }
  action rgive "Give." { params: { to: user  n: 0..10 } }
  action rstop "Stop." { ends: true }
  def twice { params: { u: user }  value: "u.y * 2" }
  goal g { per: user  holds: "let want = twice(u) in rgive[u].n >= 0 and want >= 0" }
  success: [g]
  play oracle { calls: [{ action: rgive  each: "u in users"  to: "u"  n: "twice(u)" }] }
}
scenario s { family: ranged  population { pool: office }  sweep { users: [2] } }
""",
        encoding="utf-8",
    )
    found = [d for d in compile_path(spec).diagnostics.items if d.code == "W010"]
    assert found and "rgive's n can be up to 60, outside n: 0..10" in found[0].message


def test_a_def_without_value_and_a_guard_without_never_are_one_error_each(tmp_path: Path) -> None:
    spec = tmp_path / "m.muses"
    spec.write_text(
        """family allot "give each user a share" {
  fact floor { type: number }
  action give "Give a user an amount." { params: { to: user  amount: 0..10 } }
  action done "Stop." { ends: true }
  def enough { params: { u: user } }
  guard g { per: user }
  goal floors { per: user  holds: "give[u].amount >= u.floor and enough(u)" }
  success: [floors]
  play oracle { calls: [{ action: give  each: "u in users"  to: "u"  amount: "u.floor" }] }
}
""",
        encoding="utf-8",
    )
    found = compile_path(spec).diagnostics.errors
    assert [(d.code, d.message) for d in found] == [
        ("E015", "def enough is missing the field 'value'"),
        ("E015", "guard g is missing the field 'never'"),
    ]


def test_a_let_name_is_read_again_at_each_moment_of_the_conversation() -> None:
    start = world()
    ann = start.users[0]
    granted = world({"grant": [CallV("grant", {"to": ann, "amount": 3})]})
    w = world({"grant": [CallV("grant", {"to": ann, "amount": 3})]})
    w.moments = [start, granted]
    assert not holds("let g = grant[u] in never(called(g))", w, {"u": ann})
    assert holds("let g = grant[u] in at_most_once(called(g))", w, {"u": ann})


def test_a_def_that_judges_the_conversation_is_refused_inside_another_condition() -> None:
    ever = ir.FunctionSpec(
        name="ever",
        params=[ir.ParamSpec(name="u", type="user")],
        value="not never(called(grant[u]))",
    )
    fam = FAM.model_copy(update={"defs": [*FAM.defs, ever]})
    with pytest.raises(ExprTypeError, match=r"ever\(...\) judges the conversation"):
        Checker(fam).infer(E.parse("always(ever(u))"), {"u": "user"})
    assert Checker(fam).infer(E.parse("ever(u)"), {"u": "user"}) == "bool"
    from museslang.authored.outcome import reads_the_conversation

    assert reads_the_conversation(fam) and not reads_the_conversation(FAM)
