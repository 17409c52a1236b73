"""The episode engine with reference policies and scripted users on specs/meeting.muses."""

from __future__ import annotations

import pytest

from museslang.ir.results import AGENT
from tests.conftest import run_episodes


@pytest.fixture(scope="module")
def oracle(meeting_spec):
    return run_episodes(meeting_spec.episodes, "reference:oracle")


def test_oracle_is_perfect_on_every_feasible_episode(meeting_spec, oracle) -> None:
    feasible = [e for e in meeting_spec.episodes if e.truth.meeting.feasible_slots]
    assert len(feasible) == 216
    for e in feasible:
        r = oracle[e.id]
        assert r.status == "ok", r.error
        assert r.ending == "done"
        assert r.metrics["success"] == 1.0, e.id
        assert r.metrics["optimality"] == 1.0, e.id
        assert r.metrics["attendance_required"] == 1.0


def test_oracle_meets_the_compiled_turn_lower_bound(meeting_spec, oracle) -> None:
    for e in meeting_spec.episodes:
        assert oracle[e.id].turns == e.truth.meeting.lower_bound_turns
        assert oracle[e.id].metrics["turn_ratio"] == 1.0


def test_oracle_utility_is_the_best_feasible_share(meeting_spec, oracle) -> None:
    for e in meeting_spec.episodes:
        t = e.truth.meeting
        assert oracle[e.id].metrics["utility"] == pytest.approx(t.best_score / t.max_score)


def test_refuse_never_succeeds_and_uses_every_turn(meeting_spec) -> None:
    results = run_episodes(meeting_spec.episodes[:30], "reference:refuse")
    for r in results.values():
        assert r.status == "ok"
        assert r.metrics["success"] == 0.0
        assert r.metrics["utility"] == 0.0
        assert r.ending == "limit" and r.turns == 10
        assert r.metrics["turn_ratio"] is None  # nothing was finalised


def test_comply_finalises_the_latest_speakers_slot(meeting_spec) -> None:
    episodes = meeting_spec.episodes[:40]
    results = run_episodes(episodes, "reference:comply")
    for e in episodes:
        r = results[e.id]
        fin = [a for a in r.actions if a.name == "finalize_meeting"]
        assert len(fin) == 1
        speakers = [m for m in r.transcript if m.sender != AGENT and m.turn == fin[0].turn - 1]
        assert fin[0].args["slot"] in speakers[-1].text
    rate = sum(r.metrics["success"] for r in results.values()) / len(results)
    assert 0.0 < rate < 1.0  # comply is a baseline: sometimes right, often not


def test_users_only_see_what_was_addressed_to_them(meeting_spec) -> None:
    results = run_episodes(meeting_spec.episodes[100:140], "reference:oracle")
    for r in results.values():
        for m in r.transcript:
            if m.sender == AGENT:
                continue
            assert m.to == [AGENT]
            if m.turn > 0:  # a reply: its author was addressed in that turn
                assert any(
                    a.sender == AGENT and a.turn == m.turn and m.sender in a.to
                    for a in r.transcript
                )


def test_conversation_is_append_only(meeting_spec) -> None:
    results = run_episodes(meeting_spec.episodes[:60], "reference:refuse")
    for r in results.values():
        assert r.prefix_kept == 1.0
        assert len(r.prefix_reuse) == r.turns - 1
        assert all(0.5 < x < 1.0 for x in r.prefix_reuse)


def test_runs_are_deterministic(meeting_spec) -> None:
    episodes = meeting_spec.episodes[::20]
    a = run_episodes(episodes, "reference:comply")
    b = run_episodes(episodes, "reference:comply")
    for key in a:
        assert a[key].model_dump(exclude={"latency_s"}) == b[key].model_dump(exclude={"latency_s"})


def test_passive_users_do_not_open_and_full_disclosure_states_every_slot(meeting_spec) -> None:
    episodes = meeting_spec.episodes[:50]
    results = run_episodes(episodes, "reference:refuse")
    for e in episodes:
        openings = {m.sender: m.text for m in results[e.id].transcript if m.turn == 0}
        for p in e.participants:
            if p.opening == "passive":
                assert p.id not in openings
            elif p.disclosure == "full":
                assert all(slot in openings[p.id] for slot in p.preferred)


PROTOCOL = """
scenario m {{
  family: meeting
  protocol {{ turns: {turns}  max_turns: 4 }}
  user Ana {{ prefers: [Tue 9:30] }}
  user Ben {{ prefers: [Tue 9:30] }}
  user Cy {{ prefers: [Wed 10:00]  attendance: optional }}
}}
"""


def _protocol_episode(tmp_path, turns: str):
    from museslang.compiler import compile_path

    spec = tmp_path / f"{turns}.muses"
    spec.write_text(PROTOCOL.format(turns=turns), encoding="utf-8")
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    return result.compiled.episodes[0]


def test_broadcast_delivers_every_message_to_everyone_and_everyone_replies(tmp_path) -> None:
    """Issue 16.2: `turns: broadcast` is one shared channel."""
    e = _protocol_episode(tmp_path, "broadcast")
    (r,) = run_episodes([e], "reference:refuse").values()  # writes to the latest speakers
    sent = [m for m in r.transcript if m.sender == AGENT]
    assert sent and all(m.to == ["Ana", "Ben", "Cy"] for m in sent)
    for turn in range(1, r.turns):
        speakers = {m.sender for m in r.transcript if m.turn == turn and m.sender != AGENT}
        assert speakers == {"Ana", "Ben", "Cy"}, turn
    # the agent is told: its system prompt says the channel is shared
    from museslang.runtime.engine import TURN_NOTES

    system = _first_system_prompt(e)
    assert TURN_NOTES["broadcast"] in system


def test_round_robin_gives_one_user_the_floor_per_round_in_order(tmp_path) -> None:
    e = _protocol_episode(tmp_path, "round_robin")
    (r,) = run_episodes([e], "reference:refuse").values()
    order = [
        [m.sender for m in r.transcript if m.turn == turn and m.sender != AGENT]
        for turn in range(1, r.turns)
    ]
    assert r.turns == 4 and order == [["Ana"], ["Ben"], ["Cy"]]
    # messages stay on private channels: the refusal goes to the latest speaker only
    assert [m.to for m in r.transcript if m.sender == AGENT and m.turn > 1] == [["Ana"], ["Ben"],
                                                                                ["Cy"]]  # fmt: skip
    assert TURN_NOTES_ROUND in _first_system_prompt(e)


TURN_NOTES_ROUND = "Users take turns"


def _first_system_prompt(episode) -> str:
    """The system prompt the engine sends on the first agent turn."""
    import asyncio

    from museslang.runtime.agents import make_agent
    from museslang.runtime.engine import Engine
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    seen: list[str] = []
    agent = make_agent("reference:refuse", BackendOptions())
    act = agent.act

    async def spy(view):
        seen.append(view.messages[0]["content"])
        return await act(view)

    agent.act = spy  # type: ignore[method-assign]
    asyncio.run(Engine(agent, make_users("scripted", BackendOptions())).run(episode))
    return seen[0]
