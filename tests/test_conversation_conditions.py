"""Conditions over the conversation as it went (expr/temporal.py): `always`, `never`,
`at_most_once`, `before`, `by_turn`, and `spoke`, judged on the episode's moments, the
world after each event, as a family's goals and metrics (shift_swap's `told_first`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.authored import outcome
from museslang.compiler import check_path, compile_path
from museslang.ir.results import AGENT, ActionRecord, Message
from tests.conftest import result_with

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compiled():
    result = compile_path(ROOT / "specs" / "shift_swap.muses")
    assert result.ok and result.compiled is not None
    return result.compiled


def _world(compiled, *events):
    (fam,) = compiled.families
    episode = compiled.episodes[0]
    nurses = [p.id for p in episode.participants]
    actions = []
    for turn, (kind, who, what) in events:
        if kind == "call":
            actions.append(ActionRecord(turn=turn, name="assign",
                                        args={"nurse": nurses[who], "shift": what}))  # fmt: skip
    return outcome.played(fam, episode, result_with(episode, *actions))


def _judge(compiled, text: str, *events, turns: int = 3) -> bool:
    """`text` over a played episode of shift_swap whose events are the ones given, as
    (turn, ("call", nurse, shift) | ("send", nurse, text) | ("user", nurse, text))."""
    (fam,) = compiled.families
    episode = compiled.episodes[0]
    nurses = [p.id for p in episode.participants]
    actions, transcript = [], []
    for turn, (kind, who, what) in events:
        nurse = nurses[who]
        if kind == "call":
            actions.append(ActionRecord(turn=turn, name="assign",
                                        args={"nurse": nurse, "shift": what}))  # fmt: skip
        elif kind == "publish":
            actions.append(ActionRecord(turn=turn, name="publish", args={}))
        elif kind == "send":
            actions.append(ActionRecord(turn=turn, name="send_message",
                                        args={"to": [nurse], "text": what}))  # fmt: skip
            transcript.append(Message(turn=turn, sender=AGENT, to=[nurse], text=what))
        else:
            transcript.append(Message(turn=turn, sender=nurse, to=[AGENT], text=what))
    w = outcome.played(fam, episode, result_with(episode, *actions, transcript=transcript,
                                                 turns=turns))  # fmt: skip
    assert w.moments  # the family reads the conversation (told_first): played builds them
    return bool(outcome.holds(text, w, {"u": w.users[0], "v": w.users[1]}))


MON, WED = ("mon_early", "wed_late")


def test_before_reads_the_order_of_events(compiled) -> None:
    told = "told(u, assign[u].shift)"
    first = [(1, ("call", 0, MON)), (1, ("send", 0, "You work Monday early shift.")),
             (2, ("publish", 0, None))]  # fmt: skip
    assert _judge(compiled, f"before({told}, called(publish))", *first)
    late = [(1, ("call", 0, MON)), (1, ("publish", 0, None)),
            (2, ("send", 0, "You work Monday early shift."))]  # fmt: skip
    assert not _judge(compiled, f"before({told}, called(publish))", *late)
    assert _judge(compiled, told, *late)  # the end alone cannot tell the two apart
    assert _judge(compiled, "before(false, called(publish))")  # no publish: nothing to precede


def test_always_never_and_at_most_once(compiled) -> None:
    changed = [(1, ("call", 0, MON)), (2, ("call", 0, WED)), (3, ("call", 0, MON))]
    assert not _judge(compiled, "always(called(assign[u]))", *changed)  # not at the start
    assert _judge(compiled, "always(not told(v, u.max_hours))", *changed)
    assert not _judge(compiled, "never(assign[u].shift.day == 'wednesday')", *changed)
    assert not _judge(compiled, "at_most_once(assign[u].shift.day == 'monday')", *changed)
    assert _judge(compiled, "at_most_once(assign[u].shift.day == 'wednesday')", *changed)
    assert _judge(compiled, "assign[u].shift.day == 'monday'", *changed)  # as it ended


def test_by_turn_reads_the_world_once_that_turn_is_over(compiled) -> None:
    events = [(1, ("send", 1, "Hello.")), (2, ("call", 0, MON)), (3, ("call", 1, WED))]
    assert not _judge(compiled, "by_turn(1, called(assign[u]))", *events)
    assert _judge(compiled, "by_turn(2, called(assign[u]))", *events)
    assert not _judge(compiled, "by_turn(2, called(assign[v]))", *events)
    assert _judge(compiled, "by_turn(9, called(assign[v]))", *events)  # ended sooner: the end
    assert not _judge(compiled, "by_turn(0, called(assign[u]))", *events)  # the start


def test_spoke_reads_what_the_user_wrote(compiled) -> None:
    assert _judge(compiled, "spoke(u)", (0, ("user", 0, "Hi, I'm here.")))
    assert not _judge(compiled, "spoke(v)", (0, ("user", 0, "Hi, I'm here.")))
    words = [(0, ("user", 0, "Hi.")), (1, ("publish", 0, None)), (1, ("user", 1, "Me too."))]
    assert not _judge(compiled, "before(all(x in users: spoke(x)), called(publish))", *words)


def test_shift_swaps_oracle_tells_every_nurse_before_it_publishes(compiled) -> None:
    for episode in compiled.episodes:
        assert episode.truth.authored.ideal_scores["told_first"] == 1.0


def _checked(tmp_path: Path, holds: str) -> list[str]:
    family = (ROOT / "stdlib" / "shift_swap.muses").read_text(encoding="utf-8")
    family = family.replace(
        'holds: "told(u, assign[u].shift)"', f"holds: {holds!r}".replace("'", '"')
    )
    (tmp_path / "shift_swap.muses").write_text(family, encoding="utf-8")
    spec = (ROOT / "specs" / "shift_swap.muses").read_text(encoding="utf-8")
    spec = spec.replace("import std.shift_swap", 'import "./shift_swap.muses"')
    (tmp_path / "s.muses").write_text(spec, encoding="utf-8")
    return [f"{d.code} {d.message}" for d in check_path(tmp_path / "s.muses").diagnostics.errors]


def test_conditions_are_checked(tmp_path: Path) -> None:
    nested = _checked(tmp_path, "always(never(called(publish)))")
    assert nested == ["E071 never(...) inside another condition over the conversation"]
    wrong = _checked(tmp_path, "by_turn(u.id, true)")
    assert wrong == ["E071 by_turn's turn must be a number, not a text"]
    arity = _checked(tmp_path, "before(called(publish))")
    assert arity == ["E071 before takes 2 arguments"]
    assert _checked(tmp_path, "never(told(u, 3) and called(publish))") == []


def test_the_explanation_names_the_turn_a_condition_failed(compiled) -> None:
    from museslang.expr import nodes as E
    from museslang.expr import temporal
    from museslang.expr.evaluate import Evaluator

    w = _world(compiled, (1, ("call", 0, MON)), (2, ("call", 0, WED)), (3, ("call", 0, MON)))
    scope = {"u": w.users[0]}

    def why(text: str) -> str:
        node = E.parse(text)
        assert isinstance(node, E.Call)
        return temporal.why(Evaluator(w), node, scope, text)

    assert why("always(called(assign[u]))") == "called(assign[u]) did not hold on turn 0"
    assert why("never(assign[u].shift.day == 'wednesday')") == (
        "assign[u].shift.day == 'wednesday' held on turn 2"
    )
    assert why("at_most_once(assign[u].shift.day == 'monday')") == (
        "assign[u].shift.day == 'monday' became true 2 times (turns 1, 3)"
    )
    assert why("before(assign[u].shift.day == 'wednesday', called(assign[u]))") == (
        "called(assign[u]) held on turn 1, before assign[u].shift.day == 'wednesday' did"
    )
    assert why("by_turn(0, called(assign[u]))") == (
        "called(assign[u]) did not hold once turn 0 was over"
    )
