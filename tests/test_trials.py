"""Trials: derived seeds, the response cache per trial, pass^k and trial-aware statistics."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.metrics.summary import pass_hat_k, stat_of
from museslang.runtime.chat import ChatClient
from museslang.runtime.options import BackendOptions
from museslang.runtime.trials import for_trial, trial_seed
from museslang.testing.openai_stub import StubReply, StubServer

runner = CliRunner()


def test_trial_seeds_are_stable_and_distinct() -> None:
    assert trial_seed(12345, 0) == 12345  # one trial is the run museslang always made
    seeds = [trial_seed(12345, k) for k in range(200)]
    assert len(set(seeds)) == 200
    assert seeds == [trial_seed(12345, k) for k in range(200)]
    assert seeds[1] == 5672292186705300722  # fixed across machines and Python runs
    assert all(0 <= s < 2**63 for s in seeds)
    with pytest.raises(ValueError):
        trial_seed(1, -1)


def test_a_trial_copy_changes_only_the_seed(meeting_spec) -> None:
    episode = meeting_spec.episodes[0]
    assert for_trial(episode, 0) is episode
    copy = for_trial(episode, 2)
    assert copy.seed == trial_seed(episode.seed, 2) != episode.seed
    assert copy.model_dump(exclude={"seed"}) == episode.model_dump(exclude={"seed"})


def _counting_server():
    seen: list[dict] = []

    def reply(request: dict) -> StubReply:
        seen.append(request)
        return StubReply(content=f"reply {len(seen)}")

    return seen, reply


def test_the_cache_answers_a_repeat_of_the_same_trial_only(tmp_path: Path) -> None:
    seen, reply = _counting_server()
    messages = [{"role": "user", "content": "hello"}]
    with StubServer(reply) as server:
        options = BackendOptions(base_url=server.base_url, cache_dir=str(tmp_path / "cache"))

        async def ask(trial: int) -> tuple[str | None, int]:
            client = ChatClient("stub", server.base_url, options)
            try:
                got = await client.complete(messages, seed=7, trial=trial)
            finally:
                await client.aclose()
            return got.content, got.usage.cached

        first = asyncio.run(ask(0))
        other = asyncio.run(ask(1))  # byte-identical request, another trial: a real repeat
        again = asyncio.run(ask(0))
    assert first == ("reply 1", 0)
    assert other == ("reply 2", 0)
    assert again == ("reply 1", 1)
    assert len(seen) == 2


def test_pass_hat_k_on_hand_built_outcomes() -> None:
    passes = [[True, True, True], [True, True, False], [False, False, False]]
    assert pass_hat_k(passes, 1) == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert pass_hat_k(passes, 2) == pytest.approx((1 + 1 / 3 + 0) / 3)  # C(2,2)/C(3,2)
    assert pass_hat_k(passes, 3) == pytest.approx(1 / 3)
    assert pass_hat_k(passes, 4) is None
    stat = stat_of({"a": [1.0, 1.0, 1.0], "b": [1.0, 1.0, 0.0], "c": [0.0, 0.0, 0.0]}, success=True)
    assert stat.trials == 3 and stat.n == 3
    assert stat.pass_k == pytest.approx({"1": 5 / 9, "2": 4 / 9, "3": 1 / 3})


def test_trials_are_averaged_before_the_standard_error() -> None:
    stat = stat_of({"a": [1.0, 0.0], "b": [1.0, 1.0], "c": [0.0, 0.0]}, success=False)
    means = [0.5, 1.0, 0.0]
    sd = math.sqrt(sum((x - 0.5) ** 2 for x in means) / 2)
    assert stat.mean == pytest.approx(0.5) and stat.n == 3 and stat.pass_k is None
    assert stat.stderr == pytest.approx(sd / math.sqrt(3))


def test_eval_with_trials_and_resume_adds_trials(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["eval", "specs/meeting.muses", "--agent", "reference:comply", "--limit", "6",
            "--out", str(out), "--no-progress"]  # fmt: skip
    first = runner.invoke(app, [*args, "--trials", "2"])
    assert first.exit_code == 0, first.output
    assert "12/12 results ok (6 × 2 trials)" in first.output
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    ids = {r["id"] for r in lines}
    assert len(ids) == 6 and sorted((r["id"], r["trial"]) for r in lines) == sorted(
        (i, k) for i in ids for k in (0, 1)
    )
    seeds = {(r["id"], r["trial"]): r["seed"] for r in lines}
    assert all(seeds[i, 1] == trial_seed(seeds[i, 0], 1) for i, _ in seeds)
    more = runner.invoke(app, [*args, "--trials", "3", "--resume"])
    assert more.exit_code == 0, more.output
    assert "(6 run now, 12 resumed)" in more.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trials"] == 3 and summary["results"] == 18 and summary["episodes"] == 6
    success = summary["families"]["meeting"]["metrics"]["success"]
    assert success["trials"] == 3 and set(success["pass_k"]) == {"1", "2", "3"}
    assert "pass^1..3 success" in more.output


def test_eval_rejects_bad_trials_and_metrics() -> None:
    bad = runner.invoke(app, ["eval", "specs/meeting.muses", "--trials", "0"])
    assert bad.exit_code == 2 and "--trials must be from 1 to 10,000" in bad.output
    bad = runner.invoke(app, ["eval", "specs/meeting.muses", "--metrics", "compt"])
    assert bad.exit_code == 2 and "did you mean 'compat'" in bad.output


def test_a_rerun_with_the_cache_sends_no_request(tmp_path: Path) -> None:
    from museslang.testing.openai_stub import facilitator

    calls: list[int] = []

    def counted(request: dict) -> StubReply:
        calls.append(1)
        return facilitator(request)

    cache = tmp_path / "cache"
    with StubServer(counted) as server:
        outs = []
        for name in ("first", "again"):
            out = tmp_path / name
            result = runner.invoke(
                app,
                ["eval", "specs/meeting.muses", "--agent", "openai:stub", "--base-url",
                 server.base_url, "--limit", "3", "--trials", "2", "--cache", str(cache),
                 "--out", str(out), "--no-progress"],
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            outs.append((len(calls), json.loads((out / "summary.json").read_text())))
    (sent, first), (total, again) = outs
    assert sent > 0 and total == sent  # the second run asked the server nothing
    assert first["agent_usage"]["cached"] == 0
    assert again["agent_usage"]["cached"] == again["agent_usage"]["requests"] == sent
    strip = ("wall_s", "agent_usage")
    assert {k: v for k, v in first.items() if k not in strip} == {
        k: v for k, v in again.items() if k not in strip
    }
