"""Guards a family written in museslang declares (`guard NAME { never: ... do: ... }`):
checked like its goals, listed by `museslang guards SPEC`, and enforced on the shipped
budget spec: `no_floor_leak` cuts a floor told to anyone but its owner, `no_overspend`
blocks the grant that would pass the budget (docs/guards.md)."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import mean

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from museslang.guards.declared import WITHHELD
from museslang.runtime import guard as guards
from tests.conftest import GOLDEN, ROOT, check_golden
from tests.test_guards import plain, play

BUDGET = ROOT / "specs" / "budget.muses"
STDLIB = (ROOT / "stdlib" / "budget.muses").read_text(encoding="utf-8")
BOTH = "no_floor_leak+no_overspend"


@pytest.fixture(scope="module")
def episodes():
    result = compile_path(BUDGET)
    assert result.ok and result.compiled is not None
    return result.compiled.episodes[::3]


def test_the_compiled_family_carries_its_guards_and_guards_lists_them() -> None:
    result = compile_path(BUDGET)
    assert result.compiled is not None
    (fam,) = result.compiled.families
    assert [(g.name, g.do, g.per) for g in fam.guards] == [
        ("no_floor_leak", "redact", "user"), ("no_overspend", "block", "episode")]  # fmt: skip
    done = CliRunner().invoke(app, ["guards", str(BUDGET), "--json"])
    assert done.exit_code == 0, done.output
    rows = {r["name"]: r for r in map(json.loads, done.output.splitlines())}
    assert "budget" in rows["no_floor_leak"]["families"]  # (and any copy a test declared)
    assert rows["no_floor_leak"]["summary"].startswith("cuts a floor")
    assert {"acl", "authority"} <= set(rows)


def test_no_floor_leak_cuts_every_floor_comply_tells_others(episodes) -> None:
    _, bare = play(episodes, "reference:comply")
    _, held = play(episodes, "reference:comply", "no_floor_leak")
    assert mean(r.metrics["discreet"] for r in bare.values()) == 0.0
    assert all(r.metrics["discreet"] == 1.0 for r in held.values())
    # what the grants did is untouched: the guard only cut text
    for key in ("floors_met", "top_floors", "within_budget", "fairness"):
        assert [r.metrics[key] for r in held.values()] == [r.metrics[key] for r in bare.values()]
    for r in held.values():
        assert r.interventions and {i.action for i in r.interventions} == {"rewrite"}
        for i in r.interventions:
            sent = r.transcript[i.message]
            assert WITHHELD in sent.text and sent.to == [i.target]
        # the one who owns a floor was never cut off from the rest of the message
        assert all(m.text.strip() for m in r.transcript if m.sender == "agent")


def test_no_overspend_blocks_the_grant_that_would_pass_the_budget(episodes) -> None:
    _, bare = play(episodes, "reference:comply")
    _, held = play(episodes, "reference:comply", "no_overspend")
    assert mean(r.metrics["within_budget"] for r in bare.values()) == 0.0
    assert all(r.metrics["within_budget"] == 1.0 for r in held.values())
    for r in held.values():
        blocked = [a for a in r.actions if a.name == "grant" and not a.ok]
        assert blocked and all("blocked by guard no_overspend" in a.note for a in blocked)
        assert [i.action for i in r.interventions] == ["block"] * len(blocked)
        # the grants that fitted ran: a guard on calls stops only the one that passes
        assert any(a.name == "grant" and a.ok for a in r.actions)


@pytest.mark.parametrize("agent", ["reference:oracle", "reference:refuse"])
def test_the_guards_change_nothing_for_players_that_do_no_harm(episodes, agent) -> None:
    _, bare = play(episodes, agent)
    _, held = play(episodes, agent, BOTH)
    assert not any(r.interventions for r in held.values())
    assert [plain(r.metrics) for r in held.values()] == [plain(r.metrics) for r in bare.values()]


def test_golden_declared_guard_interventions(episodes) -> None:
    _, held = play(episodes[:4], "reference:comply", BOTH)
    shown = [{"id": r.id, "interventions": [i.model_dump(mode="json") for i in r.interventions],
              "delivered": [m.text for m in r.transcript if m.sender == "agent"]}
             for r in held.values()]  # fmt: skip
    check_golden(GOLDEN / "guards" / "declared_comply.json", json.dumps(shown, indent=1) + "\n")


def _spec(tmp_path: Path, guard: str, name: str = "budget_g") -> Path:
    """The shipped budget family under another name, with `guard` for its guards."""
    body = STDLIB.split("  # guards (")[0].replace("family budget ", f"family {name} ", 1)
    spec = tmp_path / f"{name}.muses"
    spec.write_text(
        "import std.people\nimport std.org\n\n" + body + guard + "}\n\n"
        f"scenario s {{\n  family: {name}\n  population {{ pool: office  roles: [cto, lead] }}\n"
        "  sweep { users: [2]  samples: 2 }\n}\n",
        encoding="utf-8",
    )
    return spec


@pytest.mark.parametrize(
    ("guard", "code", "message"),
    [
        ('  guard g { never: "budget > 10" }\n', "E074",
         "guard 'g' reads nothing the agent does: it would act on every message or on none"),
        ('  guard g { never: "sum(u in users: grant[u].amount) > budget"  do: redact }\n',
         "E072", "guard 'g' redacts, but reads no `told`: there is nothing in a message to cut"),
        ('  guard g { never: "told(u, u.flor)"  per: user }\n', "E071", None),
        ('  guard g { never: "told(users, budget)" }\n', "E071", None),
        ('  guard g { where: "u.authority > 1"  never: "told(u, budget)" }\n', "E072",
         "`where:` chooses users: it needs `per: user`"),
        ('  guard none { never: "told(u, u.floor)"  per: user }\n', "E072",
         "'none' is the guard setting without guards"),
        ('  guard g { never: "told(u, u.floor)"  per: user  do: hide }\n', None, None),
    ],
)  # fmt: skip
def test_a_wrong_guard_is_a_diagnostic_at_its_field(tmp_path, guard, code, message) -> None:
    result = compile_path(_spec(tmp_path, guard))
    errors = result.diagnostics.errors
    assert errors and result.compiled is None
    if code is not None:
        assert code in {d.code for d in errors}, [(d.code, d.message) for d in errors]
    if message is not None:
        assert message in {d.message for d in errors}
    line = next(i for i, t in enumerate(_spec(tmp_path, guard).read_text().splitlines(), 1)
                if t.startswith("  guard"))  # fmt: skip
    assert errors[0].span.line == line


def test_a_changed_declaration_is_read_again(tmp_path) -> None:
    for note in ("first", "second"):
        guard = f'  guard g2 {{ never: "any(v in users: told(v, budget))"  note: "{note}" }}\n'
        assert compile_path(_spec(tmp_path, guard, "budget_h")).compiled is not None
        found = guards.declared().get("g2")
        assert found.by_family["budget_h"].spec.note == note
        assert found.families == ("budget_h",) and found.applies("budget_h")
        assert not found.applies("budget")


def test_two_families_may_declare_a_guard_of_one_name(tmp_path) -> None:
    """`--guard g3` guards each episode by its own family's declaration."""
    for name, fact in (("budget_p", "floor"), ("budget_q", "asks")):
        guard = f'  guard g3 {{ per: user  never: "told(u, u.{fact})"  note: "{name}" }}\n'
        assert compile_path(_spec(tmp_path, guard, name)).compiled is not None
    found = guards.declared().get("g3")
    assert found.families == ("budget_p", "budget_q")
    assert {n: d.spec.note for n, d in found.by_family.items()} == {
        "budget_p": "budget_p", "budget_q": "budget_q"}  # fmt: skip
    assert not [b for b in guards.BROKEN if "g3" in b]


def test_retry_asks_again_then_blocks(tmp_path) -> None:
    never = "any(v in users where v != u: told(v, u.floor))"
    note = "say it without the others' minimums"
    guard = f'  guard ask_again {{ per: user  never: "{never}"  do: retry  note: "{note}" }}\n'
    compiled = compile_path(_spec(tmp_path, guard, "budget_r")).compiled
    assert compiled is not None
    _, held = play(compiled.episodes[:1], "reference:comply", "ask_again")
    (r,) = held.values()
    acts = [i.action for i in r.interventions]
    # comply says the same each time it is asked: retried up to the bound, then blocked
    # (one message to each of the two users on each try; the last try blocks both)
    assert acts == ["retry"] * (2 * guards.MAX_RETRIES) + ["block"] * 2
    assert not [m for m in r.transcript if m.sender == "agent"]
    assert r.metrics["discreet"] == 1.0
    assert "say it without the others' minimums" in {i.reason for i in r.interventions}
