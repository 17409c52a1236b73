"""Families written in museslang fail closed (issue 28, items 5 to 8): a goal that cannot be
evaluated is a failed goal with its reason (an error at check time where it is static), a
goal or metric cannot take a name museslang computes, a fact cannot be drawn from itself
or from a fact drawn after it, `pick([])` is an error, and a `family` declaration in an
imported module is checked as in the main file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = (ROOT / "stdlib" / "budget.muses").read_text(encoding="utf-8")
runner = CliRunner()

SPEC = """import "./fam.muses"
import std.identity
import std.people
import std.org

scenario b "t" {{
  family: {family}
  objective: "x"
  template: xml
  population {{ pool: office  roles: [cto, director, manager, lead, engineer, intern] }}
  sweep {{ users: 2..3  samples: 1  seed: 1 }}
}}
"""


def family(tmp_path: Path, *edits: tuple[str, str], name: str = "budget_t") -> Path:
    """The shared budget family under another name, edited, and a spec that uses it."""
    text = BUDGET.replace("family budget ", f"family {name} ", 1)
    # its own actions too: the shipped budget family may be installed in this process
    text = text.replace("grant", "grant_t").replace("action close", "action close_t")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    (tmp_path / "fam.muses").write_text(text, encoding="utf-8")
    spec = tmp_path / "b.muses"
    spec.write_text(SPEC.format(family=name), encoding="utf-8")
    return spec


def errors(spec: Path) -> list[tuple[str, str, int, int]]:
    result = compile_path(spec)
    return [(d.code, d.message, d.span.line, d.span.column) for d in result.diagnostics.errors]


WITHIN = 'holds: "total() <= budget"'
SUCCESS = "success: [top_floors, floors_by_authority, within_budget, discreet]"


@pytest.mark.parametrize(
    ("old", "new", "part"),
    [
        (WITHIN, 'holds: "sum(u in users: grant_t[u].amount) <= budget and 1 / 0 > 0"', "1 / 0"),
        # a division by a constant zero is located at the division, whatever it divides
        (WITHIN, 'holds: "sum(u in users: grant_t[u].amount) / (2 - 2) <= budget"',
         "sum(u in users: grant_t[u].amount) / (2 - 2)"),
        ('value: "sum(u in users: grant_t[u].amount) / budget"', 'value: "1 / 0"', "1 / 0"),
    ],
)
def test_an_expression_that_can_never_be_evaluated_is_an_error_at_its_characters(
    tmp_path: Path, old: str, new: str, part: str
) -> None:
    spec = family(tmp_path, (old, new))
    (code, message, line, column), *_ = errors(spec)
    assert code == "E075" and "division by zero" in message
    source = (tmp_path / "fam.muses").read_text(encoding="utf-8").splitlines()[line - 1]
    assert source[column - 1 :].startswith(part)


def test_a_success_goal_that_cannot_be_evaluated_fails_with_its_reason(tmp_path: Path) -> None:
    # the mean grant: 0 / 0 when nothing is granted (refuse), defined for the oracle
    granted = "count(u in users where grant_t[u].amount > 0)"
    mean = f'holds: "sum(u in users: grant_t[u].amount) / {granted} >= 0"'
    spec = family(tmp_path, (WITHIN, mean),
                  (SUCCESS, "success: [within_budget]"))  # fmt: skip
    assert errors(spec) == []
    out = tmp_path / "run"
    done = runner.invoke(app, ["eval", str(spec), "--agent", "reference:refuse", "--out",
                               str(out), "--no-progress"])  # fmt: skip
    assert done.exit_code == 0, done.output
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        result = json.loads(line)
        assert result["metrics"]["success"] == 0.0  # was 1.0: the goal vanished as None
        assert result["metrics"]["within_budget"] == 0.0
        assert result["unevaluated"] == {"within_budget": "division by zero"}
    oracle = runner.invoke(app, ["eval", str(spec), "--out", str(tmp_path / "o"),
                                 "--no-progress"])  # fmt: skip
    assert oracle.exit_code == 0, oracle.output
    first = json.loads((tmp_path / "o" / "results.jsonl").read_text().splitlines()[0])
    assert first["metrics"]["success"] == 1.0 and first["unevaluated"] == {}


def test_a_goal_the_oracle_cannot_evaluate_fails_the_compile(tmp_path: Path) -> None:
    zero = 'holds: "sum(u in users: grant_t[u].amount) / (budget - budget) <= 1"'
    spec = family(tmp_path, (WITHIN, zero))
    ((code, message, *_),) = errors(spec)
    assert code == "E071" and "'within_budget' cannot be evaluated" in message


@pytest.mark.parametrize("name", ["success", "prefix_reuse", "priority_stability"])
def test_a_goal_or_metric_named_like_a_computed_metric_is_an_error(tmp_path, name) -> None:
    edits = [
        ("goal within_budget {", f"goal {name} {{"),
        (SUCCESS,
         f"success: [top_floors, floors_by_authority, {name}, discreet]"),
    ]
    if name == "success":
        edits[1] = (SUCCESS,
                    "success: [top_floors, floors_by_authority, discreet]")
    spec = family(tmp_path, *edits)
    assert [(c, m) for c, m, *_ in errors(spec)] == [
        ("E072", f"'{name}' is a metric museslang computes for every family")
    ]


ASKS = 'fact asks { type: number  draw: "randint(4, 12) * 5"'


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (ASKS, 'fact asks { type: number  draw: "u.asks + 1"', "reads 'asks' itself"),
        (ASKS, 'fact asks { type: number  draw: "u.floor + 1"', "drawn from each other"),
        (ASKS, 'fact asks { type: number  draw: "budget / 2"', "drawn after the users"),
        (
            'draw: "round(sum(u in users: u.asks) * uniform(0.55, 0.85))"',
            'draw: "budget + 1"',
            "reads 'budget' itself",
        ),
        (ASKS, 'fact asks { type: number  draw: "pick([])"', "pick draws from an empty list"),
    ],
)
def test_a_draw_that_reads_what_is_not_drawn_yet_is_an_error(tmp_path, old, new, says) -> None:
    spec = family(tmp_path, (old, new))
    found = errors(spec)
    assert len(found) == 1 and says in found[0][1], found


def test_a_draw_reading_a_later_fact_says_which_to_move(tmp_path: Path) -> None:
    start = BUDGET.index('draw: "pick([', BUDGET.index("fact project"))
    project = BUDGET[start : BUDGET.index("\n", start)]
    spec = family(tmp_path, (project, "draw: \"pick(['a'] if u.asks > 30 else ['b'])\""))
    ((code, message, *_),) = errors(spec)
    assert (code, message) == (
        "E072",
        "the draw of 'project' reads 'asks', which is drawn after it",
    )
    result = compile_path(spec)
    assert result.diagnostics.errors[0].hint == "declare fact asks before fact project"


def test_a_family_in_an_imported_module_is_checked_like_one_in_the_main_file(tmp_path) -> None:
    spec = family(tmp_path, name="meeting")
    spec.write_text(
        'import "./fam.muses"\n\nscenario s {\n  family: meeting\n'
        "  user Ana { prefers: [Tue 9:30] }\n  user Ben { prefers: [Tue 9:30] }\n}\n"
    )
    done = runner.invoke(app, ["check", str(spec)])
    assert done.exit_code == 1
    assert "error[E072]: family 'meeting' is already installed" in done.output
    main = tmp_path / "main.muses"
    main.write_text((tmp_path / "fam.muses").read_text(encoding="utf-8"))
    same = runner.invoke(app, ["check", str(main)])
    assert same.exit_code == 1 and "error[E072]: family 'meeting' is already installed" in (
        same.output
    )


def test_one_family_name_declared_in_two_modules_is_an_error(tmp_path: Path) -> None:
    spec = family(tmp_path)
    other = tmp_path / "other.muses"
    other.write_text((tmp_path / "fam.muses").read_text(encoding="utf-8"))
    spec.write_text('import "./other.muses" as o\n' + spec.read_text(encoding="utf-8"))
    codes = [(c, m) for c, m, *_ in errors(spec)]
    assert ("E012", "family 'budget_t' is declared twice") in codes
