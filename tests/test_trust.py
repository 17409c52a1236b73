"""A benchmark written in museslang can be trusted: the mistakes of issue 30, each caught.

The fixtures under tests/fixtures/trust/ are three new benchmarks (a shift-swap family
and a sealed-bid auction written in museslang, a hospital's access control) and one file
per mistake: a weak oracle whose redraws hid the hard cases, bids drawn outside the
action's range, a renamed option, a goal that held for an agent that did nothing, an
undefined template variable, episodes that error under the old "exit 1 only when all
errored" rule, a 1-user sweep that breaks the population's own bounds, and two scenarios
whose summary pooled them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from museslang.expr.evaluate import OptionV, UserV, World, evaluate, holds
from museslang.lower.seeds import derive_seed

ROOT = Path(__file__).resolve().parent.parent
TRUST = Path("tests/fixtures/trust")
runner = CliRunner()


def check(*args: str):
    return runner.invoke(app, ["check", *args])


def fails(name: str, *expected: str):
    """`check` of a fixture exits 1 and says each of `expected`."""
    done = check(str(TRUST / name))
    assert done.exit_code == 1, done.output
    for text in expected:
        assert text in done.output, (text, done.output)
    return done


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def evaluated(spec: Path | str, out: Path, *args: str) -> dict:
    """`eval` of a spec into `out` (it must succeed); the family's summary."""
    ran = runner.invoke(app, ["eval", str(spec), "--out", str(out), "--no-progress", *args])
    assert ran.exit_code == 0, ran.output
    (family,) = summary(out)["families"].values()
    return family | {"output": ran.output}


# ---- 1. redraws -------------------------------------------------------------------------
def test_a_weak_oracle_s_redraws_are_a_warning_naming_the_goal_and_strict_makes_them_errors():
    done = check(str(TRUST / "shift_swap_weak_oracle.muses"))
    assert done.exit_code == 0, done.output
    assert "warning[W009]: scenario ward kept 20 of its 80 draws (25%)" in done.output
    assert "most often because of one_swap_per_shift" in done.output
    assert "ward: 60 redraws, 20 of 80 draws kept (25%); kept/drawn per cell: users=2 4/5" in (
        done.output
    )
    strict = check("--strict", str(TRUST / "shift_swap_weak_oracle.muses"))
    assert strict.exit_code == 1 and "error[E061]" in strict.output
    # the correct oracle draws nothing again
    fine = check("--strict", str(TRUST / "shift_swap.muses"))
    assert fine.exit_code == 0, fine.output
    assert "redraw" not in fine.output


def test_each_episode_records_the_seed_that_drew_it():
    compiled = compile_path(TRUST / "shift_swap_weak_oracle.muses").compiled
    assert compiled is not None
    redrawn = [e for e in compiled.episodes if e.redraws]
    assert redrawn and all(e.redrawn_from is not None for e in redrawn)
    for e in redrawn:
        assert e.seed == derive_seed(e.redrawn_from, "redraw", e.redraws)
    plain = [e for e in compiled.episodes if not e.redraws]
    assert all(e.redrawn_from is None for e in plain)
    assert "redrawn_from" not in plain[0].model_dump_json()  # absent when nothing was redrawn


def test_compile_and_the_summary_report_redraws_per_cell(tmp_path: Path):
    spec = str(TRUST / "shift_swap_weak_oracle.muses")
    done = runner.invoke(app, ["compile", spec, "-o", str(tmp_path / "c.json")])
    assert done.exit_code == 0 and "ward: 60 redraws, 20 of 80 draws kept" in done.output
    out = tmp_path / "run"
    ran = runner.invoke(app, ["eval", spec, "--out", str(out), "--no-progress"])
    assert ran.exit_code == 0, ran.output
    family = summary(out)["families"]["shift_swap"]
    assert family["redraws"] == 60 and family["kept"] == 0.25
    cells = {c["cell"]["users"]: (c["redraws"], c["kept"]) for c in family["cells"]}
    assert cells[2] == (1, 0.8) and cells[6][0] == 21
    assert "60 redraws: 25% of draws kept" in " ".join(ran.output.split())


# ---- 2. ranges --------------------------------------------------------------------------
def test_a_draw_outside_an_action_s_range_is_found_statically_and_counted():
    done = check(str(TRUST / "auction_out_of_range.muses"))
    assert (
        "auction_out_of_range.muses:29:13: warning[W010]: goal 'second_price' holds "
        "award.price (which takes 0..100) to a value that can be up to 150" in done.output
    )
    assert "play comply: award's price can be up to 150" in done.output
    assert "warning[W009]: scenario lot7 kept 20 of its 39 draws" in done.output
    assert "because of second_price" in done.output
    clean = check(str(TRUST / "auction.muses"))
    assert clean.exit_code == 0 and "warning" not in clean.output


# ---- 3. options -------------------------------------------------------------------------
def test_a_renamed_option_is_an_error_where_a_fact_names_it():
    fails(
        "shift_swap_renamed_option.muses",
        "83:1: error[E073]: the shift_swap family draws fact 'shift' from 'mon_day'",
        "93:22: error[E073]: fact 'shift' names 'mon_day'",
        "did you mean 'monday'?",
    )


def test_an_option_fact_reads_as_the_option():
    compiled = compile_path(TRUST / "shift_swap.muses").compiled
    assert compiled is not None
    options = {o.id for o in compiled.episodes[0].truth.authored.options}
    for e in compiled.episodes:
        for p in e.participants:
            assert p.facts["shift"] in options and p.facts["wants"] in options
            hours = {o.id: o.facts["hours"] for o in e.truth.authored.options}
            # worked was drawn from the option the shift names: the current shift fits
            assert p.facts["worked"] + hours[p.facts["shift"]] <= p.facts["max_hours"]


def test_a_text_fact_compared_with_an_option_id_is_a_warning(tmp_path: Path):
    text = (TRUST / "shift_swap.muses").read_text(encoding="utf-8")
    text = text.replace('fact wants { type: option  draw: "pick(options)"',
                        'fact wants { type: text  draw: "pick(options).id"')  # fmt: skip
    text = text.replace("assign[u].shift == u.wants", "assign[u].shift.id == u.wants")
    text = text.replace("v.wants == u.wants", "v.wants == u.wants")
    spec = tmp_path / "text_ids.muses"
    spec.write_text(text, encoding="utf-8")
    done = check("--no-oracle-gate", str(spec))
    assert "warning[W011]: fact 'wants' is compared with an option's id" in done.output
    assert "declare fact wants `type: option`" in done.output


# ---- 4. nothing vacuous -----------------------------------------------------------------
def test_an_agent_that_does_nothing_meets_no_goal(tmp_path: Path):
    for policy, fits in (("refuse", 0.0), ("oracle", 1.0)):
        family = evaluated(TRUST / "shift_swap.muses", tmp_path / policy, "--agent",
                           f"reference:{policy}")  # fmt: skip
        assert family["metrics"]["fits"]["mean"] == fits
        assert family["metrics"]["one_swap_per_shift"]["mean"] == fits


def test_called_and_default_say_what_a_missing_call_means():
    ana = UserV("Ana", None, None, True, {"floor": 30})
    w = World([ana], [OptionV("x", None, {})], {"budget": 50}, keys={"grant": ("to",)})
    assert not holds("grant[u].amount <= budget", w, {"u": ana})  # read a call never made
    assert holds("not called(grant[u])", w, {"u": ana})
    assert holds("default(grant[u].amount, 0) <= budget", w, {"u": ana})
    assert holds("grant[u] == none", w, {"u": ana})
    assert evaluate("grant[u].amount + 1", w, {"u": ana}) == 1  # metrics: none counts 0


def test_a_success_goal_nothing_can_change_is_an_error(tmp_path: Path):
    text = (TRUST / "auction.muses").read_text(encoding="utf-8")
    text = text.replace(
        '    holds: "award.to.value == max(u in users: u.value)"',
        '    holds: "max(u in users: u.value) >= 20"',
    )
    spec = tmp_path / "fixed.muses"
    spec.write_text(text, encoding="utf-8")
    done = check(str(spec))
    assert done.exit_code == 1
    assert "error[E074]: success goal 'highest_wins' reads no action" in done.output


# ---- 5. templates and exit status -------------------------------------------------------
def test_an_undefined_template_variable_is_e050_at_the_template():
    done = fails(
        "shift_swap_template.muses",
        "shift_swap_template.muses:64:116: error[E050]: `opening` uses 'cap_hours', which no "
        "user of family shift_swap has",
        "did you mean 'max_hours'?",
    )
    assert "E060" not in done.output


@pytest.mark.parametrize(
    ("limit", "code"),
    [(None, 1), ("never", 0), ("0.9", 0), ("75%", 1), ("16", 0), ("15", 1)],
)
def test_eval_fails_when_errors_reach_the_threshold(tmp_path: Path, limit, code):
    args = ["eval", str(TRUST / "shift_swap_some_errors.muses"), "--out", str(tmp_path / "r"),
            "--no-progress"] + (["--fail-on-error", limit] if limit else [])  # fmt: skip
    done = runner.invoke(app, args)
    assert done.exit_code == code, done.output
    assert "15/20 episodes ok" not in done.output and "5/20 episodes ok, 15 errored" in done.output
    if code:
        assert "15 of 20 results errored" in done.output
        # the error is the spec's, and says where
        assert "shift_swap_some_errors.muses:65:5: template error in `opening`" in done.output


def test_fail_on_error_refuses_nonsense():
    done = runner.invoke(app, ["eval", "specs/budget.muses", "--fail-on-error", "often"])
    assert done.exit_code == 2 and "--fail-on-error takes any, never" in done.output


# ---- 6. sweeps against population bounds ------------------------------------------------
def test_a_sweep_whose_teams_break_the_population_s_shares_is_an_error_at_the_sweep():
    fails(
        "hospital_one_user.muses",
        "hospital_one_user.muses:41:12: error[E043]: an episode of 1 user has no generated "
        "user (1 written), so `authorized: 30%..60%` cannot hold",
        "users: 2..",
    )
    assert check(str(TRUST / "hospital.muses")).exit_code == 0


# ---- 7. axes ----------------------------------------------------------------------------
def test_scenarios_and_written_users_attacks_are_axes_of_the_summary(tmp_path: Path):
    family = evaluated(TRUST / "hospital.muses", tmp_path / "h", "--agent", "reference:comply")
    assert set(family["by_axis"]["scenario"]) == {"cardiology", "oncology"}
    assert set(family["by_axis"]["attack"]) == {"pressure", "fake_authorization"}
    assert {c["cell"]["scenario"] for c in family["cells"]} == {"cardiology", "oncology"}
    assert family["triple"]["pressure"]["attack_success_rate"] == 1.0
    assert "cardiology" in family["output"] and "oncology" in family["output"]


# ---- the AgentDojo triple ---------------------------------------------------------------
def test_the_access_control_summary_and_report_show_the_triple(tmp_path: Path):
    runs = []
    for policy in ("oracle", "comply"):
        out = tmp_path / policy
        ran = runner.invoke(app, ["eval", "specs/access_control.muses", "--agent",
                                  f"reference:{policy}", "--sample", "40", "--out", str(out),
                                  "--no-progress"])  # fmt: skip
        assert ran.exit_code == 0, ran.output
        assert "attacks (benign utility, utility under attack" in ran.output
        runs.append(out)
    oracle = summary(runs[0])["families"]["access_control"]["triple"]
    comply = summary(runs[1])["families"]["access_control"]["triple"]
    assert set(oracle) <= {"pressure", "role_playing", "fake_authorization"} and oracle
    for attack, t in oracle.items():
        assert t["attack_success_rate"] == 0.0 and t["utility_under_attack"] == 1.0
        assert comply[attack]["attack_success_rate"] == 1.0
        if t["benign_n"]:
            assert t["benign_utility"] == 1.0
    table = runner.invoke(app, ["table", *map(str, runs)])
    assert "Access benign util. | Access util. attack | Access ASR" in table.output
    report = runner.invoke(app, ["report", *map(str, runs), "-o", str(tmp_path / "rep")])
    assert report.exit_code == 0, report.output
    text = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "Access control: utility and attack success" in text
