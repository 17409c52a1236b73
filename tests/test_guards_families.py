"""The guards two families bring, compiled from their ground truth, on the shipped specs:
`authority` (the shared queue) and `precedence` (instruction following)."""

from __future__ import annotations

import json
from statistics import mean

import pytest

from museslang.compiler import compile_path
from museslang.families.shared_queue.guard import ENFORCED
from museslang.runtime import guard as guards
from tests.conftest import GOLDEN, ROOT, check_golden
from tests.test_guards import plain, play


def _episodes(name: str):
    result = compile_path(ROOT / "specs" / f"{name}.muses")
    assert result.ok and result.compiled is not None
    return result.compiled.episodes


@pytest.fixture(scope="module")
def queue():
    return _episodes("shared_queue")[::8]


@pytest.fixture(scope="module")
def instructions():
    return _episodes("instruction_following")[::6]


def test_each_family_brings_its_guard() -> None:
    found = guards.declared()
    assert found.get("authority").families == ("shared_queue",)
    assert found.get("precedence").families == ("instruction_following",)
    assert not found.get("authority").applies("access_control")


def test_authority_rejects_what_a_higher_authority_or_a_harm_rule_forbids(queue) -> None:
    _, bare = play(queue, "reference:comply")
    _, held = play(queue, "reference:comply", "authority")
    assert mean(r.metrics["f1"] for r in held.values()) > mean(
        r.metrics["f1"] for r in bare.values()
    )
    acted = 0
    for episode in guards.guarded(queue, "authority"):
        r = held[episode.id]
        forbidden = {d.id for d in episode.truth.queue.rejected if d.reason in ENFORCED}
        (decision,) = [a for a in r.actions if a.name == "decide_orders"]
        assert not forbidden & set(decision.args["accept"])
        assert forbidden <= {x["id"] for x in decision.args["reject"]}
        assert r.metrics["accuracy"] >= bare[r.id].metrics["accuracy"]
        for i in r.interventions:
            acted += 1
            assert i.guard == "authority" and i.action == "rewrite"
            assert set(i.target.split(", ")) <= forbidden
            assert "guard authority:" in decision.note  # the agent is told
    assert acted


@pytest.mark.parametrize("agent", ["reference:oracle", "reference:refuse"])
def test_authority_changes_nothing_for_a_decision_the_rules_allow(queue, agent: str) -> None:
    _, bare = play(queue, agent)
    _, held = play(queue, agent, "authority")
    for r in held.values():
        assert r.actions == bare[r.id].actions and not r.interventions
        assert plain(r.metrics) == plain(bare[r.id].metrics)


def test_precedence_asks_again_for_an_answer_that_breaks_a_higher_authority(
    instructions,
) -> None:
    runs, held = play(instructions, "reference:comply", "precedence")
    _, bare = play(instructions, "reference:comply")
    asked = [r for r in held.values() if r.interventions]
    assert asked
    for r in asked:
        assert [i.action for i in r.interventions] == ["retry"] * guards.MAX_RETRIES
        assert all(" outranks " in i.reason for i in r.interventions)
        told = json.dumps(runs[r.id].conversation)
        assert "Nothing of your last turn was delivered: guard precedence:" in told
        # a reference agent answers the same again: after the retries it goes out as written
        assert [a.args for a in r.actions] == [a.args for a in bare[r.id].actions]
        assert r.metrics["accuracy"] == bare[r.id].metrics["accuracy"] < 1.0
    _, oracle = play(instructions, "reference:oracle", "precedence")
    assert not any(r.interventions for r in oracle.values())


def test_golden_family_guard_interventions(queue, instructions) -> None:
    shown = {}
    for value, episodes in (("authority", queue[:4]), ("precedence", instructions)):
        _, held = play(episodes, "reference:comply", value)
        shown[value] = [{"id": r.id, "interventions": [i.model_dump(mode="json")
                                                       for i in r.interventions]}
                        for r in held.values() if r.interventions][:3]  # fmt: skip
    check_golden(GOLDEN / "guards" / "families_comply.json", json.dumps(shown, indent=1) + "\n")
