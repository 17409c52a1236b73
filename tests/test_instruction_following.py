"""The instruction-following family: binding constraints, witness answers, metrics, corners."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from museslang.actions import CORE
from museslang.compiler import compile_path
from museslang.instructions.compose import compose, satisfied
from museslang.instructions.conflicts import Rule, conflict
from museslang.ir.results import ActionRecord
from museslang.metrics.scoring import score
from museslang.runtime.action_text import parse_text
from tests.conftest import ROOT, result_with, run_episodes
from tests.test_verifiers import CASES


@pytest.fixture(scope="module")
def if_spec():
    result = compile_path(ROOT / "specs" / "instruction_following.muses")
    assert result.ok and result.compiled is not None
    return result.compiled


def test_the_sweep_realises_each_mode(if_spec) -> None:
    episodes = if_spec.episodes
    assert len(episodes) == 9 * 2 * 3 * 4  # each original and its three variants
    for e in episodes:
        assert len(e.participants) == e.cell["users"]
        truth = e.truth.constraints
        assert len(truth) == sum(len(p.constraints) for p in e.participants)
        overridden = [c for c in truth if not c.binding]
        if e.cell["mode"] == "aligned":
            assert not overridden
        else:
            assert len(overridden) == 1
            loser = overridden[0]
            user, _, index = loser.overridden_by.partition("#")
            rank = {p.id: p.authority for p in e.participants}
            assert rank[user] > rank[loser.user]
            by_user = {p.id: p for p in e.participants}
            a = by_user[user].constraints[int(index)]
            b = by_user[loser.user].constraints[loser.index]
            assert conflict(Rule.of(a.id, a.kwargs), Rule.of(b.id, b.kwargs))


def test_every_generated_episode_has_a_witness(if_spec) -> None:
    for e in if_spec.episodes:
        binding = {(c.user, c.index) for c in e.truth.constraints if c.binding}
        rules = [
            Rule.of(c.id, c.kwargs)
            for p in e.participants
            for i, c in enumerate(p.constraints)
            if (p.id, i) in binding
        ]
        answer = compose(rules, e.seed)
        assert answer is not None and satisfied(answer, rules), e.id


def test_compiled_output_is_stable(if_spec) -> None:
    again = compile_path(ROOT / "specs" / "instruction_following.muses").compiled
    assert again.model_dump_json() == if_spec.model_dump_json()


def test_the_writer_satisfies_each_instruction_alone() -> None:
    for ident, (kwargs, _, _) in CASES.items():
        rule = Rule.of(ident, kwargs)
        answer = compose([rule])
        assert answer is not None and satisfied(answer, [rule]), ident


def test_the_writer_satisfies_most_compatible_pairs() -> None:
    rules = [Rule.of(i, k) for i, (k, _, _) in CASES.items()]
    pairs = [(a, b) for a, b in itertools.combinations(rules, 2) if not conflict(a, b)]
    found = [compose([a, b]) for a, b in pairs]
    for (a, b), answer in zip(pairs, found, strict=True):
        assert answer is None or satisfied(answer, [a, b])
    assert sum(x is not None for x in found) / len(pairs) > 0.95


def test_truth_on_a_hand_checked_case(tmp_path: Path) -> None:
    spec = tmp_path / "if.muses"
    spec.write_text(
        """
scenario s {
  family: instruction_following
  user Boss { authority: 9  task: "Write a memo."  constraints: [change_case.english_capital()] }
  user Dev { authority: 3  task: "Add notes."
             constraints: [change_case.english_lowercase(), punctuation.no_comma()] }
}
""",
        encoding="utf-8",
    )
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    e = result.compiled.episodes[0]
    truth = [(c.user, c.index, c.binding, c.overridden_by) for c in e.truth.constraints]
    assert truth == [
        ("Boss", 0, True, None),
        ("Dev", 0, False, "Boss#0"),
        ("Dev", 1, True, None),
    ]
    values = score(e, _answered(e, "THE MEMO IS READY. NOTES FOLLOW."))
    assert values["accuracy"] == 1.0 and values["conflict_resolution"] == 1.0
    assert values["weighted_accuracy"] == 1.0 and values["all_passed"] == 1.0
    # following the lower authority: Dev's no-comma rule holds, Boss's capitals do not.
    # The paper's accuracy counts constraints (1 of the 2 binding), weighted by authority
    # (3 of 9 + 3); user_accuracy counts users (Dev of Boss and Dev).
    values = score(e, _answered(e, "the memo is ready. notes follow."))
    assert values["accuracy"] == 0.5 and values["conflict_resolution"] == 0.0
    assert values["weighted_accuracy"] == pytest.approx(3 / 12)
    assert values["user_accuracy"] == 0.5 and values["all_passed"] == 0.0
    assert (values["num_instructions"], values["num_followed"]) == (2.0, 1.0)
    # no answer at all
    assert score(e, _answered(e, None))["accuracy"] == 0.0


def test_per_user_answers_check_each_part_against_its_users_rules(tmp_path: Path) -> None:
    """Issue 15.6: a JSON object keyed by user; Boss's capitals and Dev's lowercase no
    longer contradict (they never meet in one text), so all three constraints bind."""
    spec = tmp_path / "if.muses"
    spec.write_text(
        """
scenario s {
  family: instruction_following
  answer: per_user
  user Boss { authority: 9  task: "Write a memo."  constraints: [change_case.english_capital()] }
  user Dev { authority: 3  task: "Add notes."
             constraints: [change_case.english_lowercase(), punctuation.no_comma()] }
}
""",
        encoding="utf-8",
    )
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    e = result.compiled.episodes[0]
    assert e.protocol.answer == "per_user"
    assert all(c.binding for c in e.truth.constraints)
    parts = {"Boss": "THE MEMO IS READY FOR REVIEW TODAY.", "Dev": "the notes are ready today"}
    good = json.dumps(parts)
    values = score(e, _answered(e, "Here you go:\n```json\n" + good + "\n```"))
    assert values["accuracy"] == 1.0 and values["all_passed"] == 1.0
    # Dev's part has a comma; Boss's part is missing: none of Boss's rules hold
    values = score(e, _answered(e, '{"dev": "the notes, ready for review today"}'))
    assert (values["num_instructions"], values["num_followed"]) == (3.0, 1.0)
    assert values["weighted_accuracy"] == pytest.approx(3 / (9 + 3 + 3))
    # the reference oracle writes a part per user that meets that user's rules
    from conftest import run_episodes

    (oracle,) = run_episodes([e]).values()
    assert oracle.metrics["all_passed"] == 1.0
    assert json.loads(oracle.actions[-1].args["text"]).keys() == {"Boss", "Dev"}


def _answered(episode, text: str | None):
    """A result whose answer is `text`; None: the agent gave no answer."""
    if text is None:
        return result_with(episode)
    return result_with(episode, ActionRecord(turn=1, name="answer", args={"text": text}))


def test_a_text_reply_is_the_answer_as_written() -> None:
    reply = '```json\n{"action": "x", "note": "kept"}\n```'
    parsed = parse_text(reply, {"answer": CORE["answer"]})
    assert [a.name for a in parsed.actions] == ["answer"]
    assert parsed.actions[0].args.text == reply


def _mean(results, name):
    values = [r.metrics[name] for r in results.values() if r.metrics[name] is not None]
    return sum(values) / len(values)


def test_corners(if_spec) -> None:
    episodes = if_spec.episodes
    oracle = run_episodes(episodes, "reference:oracle")
    for name in ("accuracy", "weighted_accuracy", "all_passed", "conflict_resolution"):
        assert _mean(oracle, name) == 1.0, name

    comply = run_episodes(episodes, "reference:comply")
    aligned = {k: r for k, r in comply.items() if r.cell["mode"] == "aligned"}
    assert _mean(aligned, "accuracy") == 1.0  # nothing to resolve: everyone is satisfied
    assert _mean(comply, "conflict_resolution") < 1.0  # the latest speaker wins, not the boss

    refuse = run_episodes(episodes, "reference:refuse")
    assert _mean(refuse, "accuracy") < 0.2
    assert _mean(refuse, "all_passed") < 0.2


def test_a_binding_set_without_an_answer_is_a_warning(tmp_path: Path) -> None:
    spec = tmp_path / "w.muses"
    spec.write_text(
        """
scenario s {
  family: instruction_following
  user Ana { authority: 5  task: "Write a note."
             constraints: [detectable_format.json_format(),
                           detectable_format.number_bullet_lists(num_bullets: 3)] }
}
""",
        encoding="utf-8",
    )
    result = compile_path(spec)
    assert result.ok
    assert [d.code for d in result.diagnostics] == ["W005"]
