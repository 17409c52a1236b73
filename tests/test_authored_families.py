"""Families written in museslang (no Python): the shared budget and group trip specs check,
compile, run with the reference players, score, re-score from their compiled form alone,
generate training data and show in the table; and the expression language behaves as
docs/families.md says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang import family as families
from museslang.actions import offered
from museslang.cli import app
from museslang.compiler import compile_path, to_json
from museslang.expr import nodes as E
from museslang.expr.evaluate import CallV, OptionV, UserV, World, evaluate, mentions
from museslang.runtime.action_text import parse_text

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
SPECS = {"budget": ROOT / "specs" / "budget.muses", "trip": ROOT / "specs" / "trip.muses"}


def summary(out: Path) -> dict[str, float]:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    (family,) = data["families"].values()
    return {k: v["mean"] for k, v in family["metrics"].items()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    made = {}
    for family, spec in SPECS.items():
        for policy in ("oracle", "comply", "refuse"):
            out = tmp_path_factory.mktemp(f"{family}_{policy}")
            done = runner.invoke(
                app, ["eval", str(spec), "--agent", f"reference:{policy}", "--out", str(out)]
            )
            assert done.exit_code == 0, done.output
            made[family, policy] = out
    return made


@pytest.mark.parametrize("family", sorted(SPECS))
def test_each_new_family_sweeps_2_to_10_users_and_the_oracle_gate_passes(family: str) -> None:
    done = runner.invoke(app, ["check", str(SPECS[family])])
    assert done.exit_code == 0, done.output
    assert "the oracle passes all 27 episodes" in done.output
    result = compile_path(SPECS[family])
    assert result.compiled is not None
    teams = sorted({len(e.participants) for e in result.compiled.episodes})
    assert teams == list(range(2, 11))
    assert [f.name for f in result.compiled.families] == [family]
    assert to_json(compile_path(SPECS[family]).compiled) == to_json(result.compiled)  # type: ignore[arg-type]


def test_budget_reference_players_oracle_passes_comply_leaks_refuse_fails(runs) -> None:
    oracle, comply, refuse = (summary(runs["budget", p]) for p in ("oracle", "comply", "refuse"))
    assert oracle["success"] == 1.0 and oracle["discreet"] == 1.0
    assert oracle["within_budget"] == 1.0 and oracle["top_floors"] == 1.0
    assert comply["success"] < 1.0 and comply["within_budget"] < 1.0  # grants every ask
    assert comply["discreet"] == 0.0  # tells everyone the others' floors
    assert refuse["success"] == 0.0 and refuse["fairness"] == 0.0
    assert 0.0 < oracle["fairness"] <= 1.0


def test_trip_reference_players_oracle_passes_comply_and_refuse_do_not(runs) -> None:
    oracle, comply, refuse = (summary(runs["trip", p]) for p in ("oracle", "comply", "refuse"))
    assert oracle["success"] == 1.0 and oracle["hard_constraints"] == 1.0
    assert oracle["discreet"] == 1.0
    assert comply["success"] < oracle["success"] and comply["discreet"] == 0.0
    assert refuse["success"] == 0.0


def test_table_and_report_show_the_new_families(runs, tmp_path: Path) -> None:
    paths = [str(runs["budget", p]) for p in ("oracle", "refuse")] + [str(runs["trip", "oracle"])]
    table = runner.invoke(app, ["table", *paths])
    assert table.exit_code == 0, table.output
    head, _, first, second = table.output.splitlines()[:4]
    assert "Budget succ." in head and "Trip succ." in head
    assert "1.000" in first and "0.000" in second
    report = runner.invoke(app, ["report", *paths, "--out", str(tmp_path / "r")])
    assert report.exit_code == 0, report.output
    text = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "## Budget: success vs users" in text and "## Trip: utility vs users" in text


def test_graph_draws_the_family_protocol() -> None:
    done = runner.invoke(app, ["graph", str(SPECS["budget"])])
    assert done.exit_code == 0, done.output
    assert '-->|"close"| s_done' in done.output


def test_a_compiled_spec_runs_and_rescores_without_its_source(runs, tmp_path: Path) -> None:
    """The compiled file carries the family: eval it in a fresh process, then rescore."""
    import subprocess
    import sys

    compiled = tmp_path / "trip.json"
    done = runner.invoke(app, ["compile", str(SPECS["trip"]), "--out", str(compiled)])
    assert done.exit_code == 0, done.output
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "museslang", "eval", str(compiled), "--agent",
           "reference:oracle", "--limit", "4", "--out", str(out)]  # fmt: skip
    ran = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert ran.returncode == 0, ran.stderr
    assert summary(out)["success"] == 1.0
    cmd = [sys.executable, "-m", "museslang", "rescore", str(out)]
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    assert "0 changed" in again.stderr


def test_generate_keeps_the_oracle_episodes_as_training_data(tmp_path: Path) -> None:
    done = runner.invoke(app, ["generate", str(SPECS["budget"]), "--teacher",
                               "reference:oracle", "--out", str(tmp_path)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "kept 27/27" in done.output
    first = json.loads((tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    roles = [m["role"] for m in first["messages"]]
    assert roles[:2] == ["system", "user"] and "assistant" in roles
    calls = [c["function"]["name"] for m in first["messages"] for c in m.get("tool_calls") or []]
    assert "grant" in calls and calls[-1] == "close"


def test_a_text_mode_agent_writes_declared_actions_as_calls() -> None:
    compile_path(SPECS["budget"])  # installs the family, its actions with it
    kinds = offered(families.get("budget"), ["send_message", "grant", "close"])
    parsed = parse_text("@Ana: you get 30\ngrant(to=Ana, amount=30)\nclose()", kinds)
    assert [a.name for a in parsed.actions] == ["send_message", "grant", "close"]
    assert parsed.actions[1].dump() == {"to": "Ana", "amount": 30.0}


# ---- the expression language ---------------------------------------------------------------
def world() -> World:
    ana = UserV("Ana", "lead", 5, True, {"floor": 30, "likes": ["city"]})
    ben = UserV("Ben", "intern", 1, False, {"floor": 10, "likes": ["beach"]})
    rome = OptionV("rome", "Rome", {"kind": "city", "price": 500})
    w = World([ana, ben], [rome], {"budget": 50}, keys={"grant": ("to",), "book": ()})
    w.calls = {"grant": [CallV("grant", {"to": ana, "amount": 20}),
                         CallV("grant", {"to": ana, "amount": 35})]}  # fmt: skip
    w.told = {"Ben": "Ana needs 30.5 or 130, not less"}
    return w


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("grant[u].amount", 35),  # a later call replaces an earlier one
        ("sum(v in users: grant[v].amount)", 35),  # a call never made counts as 0
        ("grant[u].amount >= u.floor", True),
        ("book.trip.price <= 1000", False),  # none compares false
        ("book == none", True),
        ("count(v in users where v.required)", 1),
        ("max(v in users: v.authority)", 5),
        ("argmax(o in options: o.price).kind", "city"),
        ("'city' in u.likes and not ('beach' in u.likes)", True),
        ("1 if budget > 40 else 2", 1),
        ("told(users[0], 30)", False),
    ],
)
def test_expression_values(text: str, value: object) -> None:
    if "users[0]" in text:
        return  # indexing a list is not part of the language (the type checker refuses it)
    w = world()
    assert evaluate(text, w, {"u": w.users[0]}) == value


def test_told_finds_a_number_only_as_that_number() -> None:
    assert not mentions("needs 30.5 or 130", 30)
    assert mentions("at least 30, please", 30)
    assert mentions("she is Vegan", "vegan") and not mentions("veganism", "vegan")


def test_a_syntax_error_points_inside_the_string() -> None:
    with pytest.raises(E.ExprError) as err:
        E.parse("sum(u in users: u.asks")
    assert err.value.offset == len("sum(u in users: u.asks")
    assert "ends too early" in str(err.value) and "')'" in (err.value.hint or "")


UNMEETABLE = """
family allot "give each user a share" {
  fact floor { type: number  draw: "randint(20, 30)" }
  action give "Give a user an amount." { params: { to: user  amount: 0..10 } }
  action done "Stop." { ends: true }
  goal floors { per: user  holds: "give[u].amount >= u.floor" }
  success: [floors]
  play oracle { calls: [{ action: give  each: "u in users"  to: "u"  amount: "min(10, u.floor)" }] }
}
"""


def test_a_goal_no_action_can_meet_is_reported(tmp_path: Path) -> None:
    """Explicit users: the oracle gate names the user; generated ones: no draw passes."""
    explicit = tmp_path / "explicit.muses"
    users = "  user Ana { facts: { floor: 3 } }\n  user Ben { facts: { floor: 12 } }\n"
    explicit.write_text(UNMEETABLE + "scenario s {\n  family: allot\n" + users + "}\n")
    done = runner.invoke(app, ["check", str(explicit)])
    assert done.exit_code == 1
    assert "E060" in done.output and "goal 'floors' does not hold for Ben" in done.output
    assert "13:21" in done.output  # Ben's facts
    drawn = tmp_path / "drawn.muses"
    drawn.write_text(UNMEETABLE + "import std.people\nscenario s {\n  family: allot\n"
                     "  population { pool: office }\n  sweep { users: [2] }\n}\n")  # fmt: skip
    done = runner.invoke(app, ["check", str(drawn)])
    assert done.exit_code == 1
    assert "no draw of 50 lets the reference oracle pass" in done.output


TEAM = """
family team "pick a team of the users who can come" {
  fact free { type: flag }
  action pick "Pick the team." { params: { who: users  lead: user  urgent: flag }  ends: true }
  goal all_free {
    holds: "all(u in pick.who: u.free) and count(u in users where u.free) == len(pick.who)"
  }
  goal led { holds: "pick.lead in pick.who and pick.urgent" }
  success: [all_free, led]
  play oracle { search: pick }
}

scenario s {
  family: team
  user Ana { facts: { free: true } }
  user Ben { facts: { free: false } }
  user Chen { facts: { free: true } }
}
"""


def test_the_oracle_searches_sets_of_users_users_and_flags(tmp_path: Path) -> None:
    spec = tmp_path / "team.muses"
    spec.write_text(TEAM, encoding="utf-8")
    result = compile_path(spec)
    assert result.compiled is not None, [d.message for d in result.diagnostics.items]
    (episode,) = result.compiled.episodes
    truth = episode.truth.authored
    assert truth is not None
    assert [c.model_dump() for c in truth.ideal] == [
        {"action": "pick", "args": {"who": ["Ana", "Chen"], "lead": "Ana", "urgent": True}}
    ]
    assert truth.ideal_scores["success"] == 1.0


def test_a_spec_lists_the_metrics_of_its_family_written_in_museslang(tmp_path: Path) -> None:
    spec = tmp_path / "b.muses"
    head = "import std.budget\nimport std.people\nimport std.org\nscenario b {\n  family: budget\n"
    tail = "  population { pool: office  roles: [cto, lead] }\n  sweep { users: [2] }\n}\n"
    spec.write_text(head + "  metrics: [success, fairness]\n" + tail, encoding="utf-8")
    result = compile_path(spec)
    assert result.compiled is not None
    assert [m.name for m in result.compiled.episodes[0].metrics] == ["success", "fairness"]
    spec.write_text(head + "  metrics: [success, fairnes, accuracy]\n" + tail, encoding="utf-8")
    found = {(d.code, d.message) for d in compile_path(spec).diagnostics.items}
    assert ("E013", "unknown metric 'fairnes'") in found
    assert ("E014", "metric 'accuracy' does not apply to the budget family") in found


def test_a_model_teacher_is_told_the_oracles_calls() -> None:
    from museslang.datagen.teacher import TEMPLATE, guidance
    from museslang.resources import stdlib_root

    episode = compile_path(SPECS["trip"]).compiled.episodes[0]  # type: ignore[union-attr]
    (call,) = episode.truth.authored.ideal  # type: ignore[union-attr]
    text = guidance(episode, (stdlib_root() / TEMPLATE).read_text(encoding="utf-8"))
    assert f"- book(trip={call.args['trip']})" in text
    assert "Never repeat one person's private details" in text


def test_export_to_muses_bench_says_the_family_has_no_official_records(tmp_path: Path) -> None:
    done = runner.invoke(app, ["export", "muses-bench", str(SPECS["budget"]), "-o",
                               str(tmp_path / "out.jsonl")])  # fmt: skip
    assert done.exit_code == 2
    assert "MUSES Bench has no records of the budget family" in done.output
    assert "internal error" not in done.output


def test_a_compiled_file_cannot_redefine_an_installed_family(tmp_path: Path) -> None:
    compiled = tmp_path / "b.json"
    assert (
        runner.invoke(app, ["compile", str(SPECS["budget"]), "--out", str(compiled)]).exit_code == 0
    )
    data = json.loads(compiled.read_text(encoding="utf-8"))
    data["families"][0]["name"] = "meeting"
    compiled.write_text(json.dumps(data), encoding="utf-8")
    done = runner.invoke(app, ["eval", str(compiled), "--out", str(tmp_path / "run")])
    assert done.exit_code == 2
    assert "family 'meeting' is installed; a file cannot redefine it" in done.output


def test_the_agent_is_told_every_fact_but_the_private_ones() -> None:
    episode = compile_path(SPECS["budget"]).compiled.episodes[0]  # type: ignore[union-attr]
    prompt = episode.agent_prompt
    for p in episode.participants:
        assert f"{p.id} (" in prompt and f"asks: {p.facts['asks']}" in prompt
        assert f"floor: {p.facts['floor']}" not in prompt  # private: told by its user only
    assert f"budget: {episode.truth.authored.facts['budget']}" in prompt  # type: ignore[union-attr]


PICK = """
family pickone "pick one" {
  fact price { of: option  type: number%s }
  action pick_one "Pick one." { params: { trip: option }  ends: true }
  goal cheap { holds: "pick_one.trip.price < 3" }
  success: [cheap]
  play oracle { search: pick_one }
}
scenario s {
  family: pickone
  user Ana { %s }
  option a { facts: { price: 1 } }
}
"""


@pytest.mark.parametrize(
    ("fact", "user", "expected"),
    [
        ('  draw: "randint(1, 3)"', "", "an option's fact is written in the scenario, not drawn"),
        ("", "behaviour: []", "the pickone family does not read a user's `behaviour`"),
    ],
)
def test_what_a_family_written_in_museslang_would_ignore_is_refused(
    tmp_path: Path, fact: str, user: str, expected: str
) -> None:
    spec = tmp_path / "p.muses"
    spec.write_text(PICK % (fact, user), encoding="utf-8")
    messages = [d.message for d in compile_path(spec).diagnostics.errors]
    assert expected in messages
