"""The openai: backends end to end: real `openai` client, real HTTP, a local stub server."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.testing.openai_stub import StubReply, StubServer, facilitator

runner = CliRunner()
SECRET = "sk-test-do-not-store-4242"


def evaluate(tmp_path: Path, server: StubServer, *extra: str, limit: int = 4):
    out = tmp_path / "run"
    args = ["eval", "specs/meeting.muses", "--agent", "openai:stub-model", "--base-url",
            server.base_url, "--limit", str(limit), "--out", str(out), "--no-progress",
            "--backoff", "0.01", *extra]  # fmt: skip
    result = runner.invoke(app, args)
    records = []
    if (out / "results.jsonl").exists():
        records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return result, out, records


def test_tool_calls_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUB_KEY", SECRET)
    with StubServer() as server:
        result, out, records = evaluate(tmp_path, server, "--api-key-env", "STUB_KEY")
    assert result.exit_code == 0, result.output
    assert len(records) == 4
    for r in records:
        assert r["status"] == "ok" and r["ending"] == "done" and r["turns"] == 3
        assert [a["name"] for a in r["actions"]] == [
            "send_message",
            "send_message",
            "finalize_meeting",
        ]
        assert r["agent_usage"]["requests"] == 3 and r["agent_usage"]["prompt_tokens"] > 0
        assert r["prefix_kept"] == 1.0
    # the second request carries the first reply's tool call and its tool result
    second = next(r["messages"] for r in server.requests if len(r["messages"]) > 3)
    assert second[2]["tool_calls"][0]["function"]["name"] == "send_message"
    assert second[3]["role"] == "tool" and second[3]["content"].startswith("delivered to")
    assert server.requests[0]["tools"][1]["function"]["name"] == "finalize_meeting"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["families"]["meeting"]["episodes"] == 4
    for path in out.iterdir():
        assert SECRET not in path.read_text()
    assert SECRET not in result.output


def test_text_mode_parses_actions_from_text(tmp_path: Path) -> None:
    with StubServer() as server:
        result, _, records = evaluate(tmp_path, server, "--tool-mode", "text", limit=2)
    assert result.exit_code == 0, result.output
    assert "tools" not in server.requests[0]
    assert "Reply format:" in server.requests[0]["messages"][0]["content"]
    for r in records:
        assert [a["name"] for a in r["actions"]][-1] == "finalize_meeting"
        assert r["ending"] == "done"


def test_rate_limit_is_retried(tmp_path: Path) -> None:
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] <= 2:
            return StubReply(status=429, headers={"retry-after": "0"})
        return facilitator(request)

    with StubServer(flaky) as server:
        result, _, records = evaluate(tmp_path, server, "--concurrency", "1", limit=2)
    assert result.exit_code == 0, result.output
    assert all(r["status"] == "ok" for r in records)
    assert server.count == 2 + sum(r["agent_usage"]["requests"] for r in records)


def test_server_error_forever_errors_one_episode_and_the_run_goes_on(
    tmp_path: Path, meeting_spec
) -> None:
    doomed = meeting_spec.episodes[1].agent_prompt

    def broken_for_one(request):
        if request["messages"][0]["content"] == doomed:
            return StubReply(status=500)
        return facilitator(request)

    with StubServer(broken_for_one) as server:
        result, out, records = evaluate(tmp_path, server, "--retries", "2")
    # every episode ran and was kept; one errored, which fails the run by default
    assert result.exit_code == 1, result.output
    assert "results errored (--fail-on-error any); the first: " in result.output
    by_id = {r["id"]: r for r in records}
    bad = by_id[meeting_spec.episodes[1].id]
    assert (
        bad["status"] == "errored" and "HTTP 500" in bad["error"] and "3 attempts" in bad["error"]
    )
    # scored on what it did before the error: it never finalised a meeting
    assert bad["metrics"]["success"] == 0.0
    assert sum(r["status"] == "ok" for r in records) == 3
    summary = json.loads((out / "summary.json").read_text())
    success = summary["families"]["meeting"]["metrics"]["success"]
    values = [r["metrics"]["success"] for r in records]
    assert summary["errored"] == 1 and success["n"] == 4
    assert success["mean"] == pytest.approx(sum(values) / 4)
    assert "1 errored" in result.output
    # the official meeting runner records a failed call as an error record with success 0,
    # and its aggregation counts it: under compat it stays in the mean, at 0
    rescored = runner.invoke(app, ["rescore", str(out), "--metrics", "compat"])
    assert rescored.exit_code == 0, rescored.output
    compat = json.loads((out / "summary.json").read_text())
    assert compat["metrics"] == "compat" and compat["errored"] == 1
    kept = compat["families"]["meeting"]["metrics"]["success"]
    again = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {r["id"]: r["metrics"]["success"] for r in again}[bad["id"]] == 0.0
    assert kept["n"] == 4 and compat["families"]["meeting"]["excluded"] == 0


def test_timeouts_are_recorded(tmp_path: Path) -> None:
    with StubServer(lambda request: StubReply(content="late", delay=1.0)) as server:
        result, _, records = evaluate(
            tmp_path, server, "--timeout", "0.2", "--retries", "1", limit=2
        )
    assert result.exit_code == 1  # every episode errored
    assert len(records) == 2
    assert all("timed out" in r["error"] for r in records)


def test_unreachable_endpoint_is_one_message(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = runner.invoke(
        app,
        ["eval", "specs/meeting.muses", "--agent", "openai:x", "--base-url",
         f"http://127.0.0.1:{port}/v1", "--out", str(tmp_path / "r"), "--retries", "0"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"cannot reach http://127.0.0.1:{port}/v1" in result.output
    assert "Traceback" not in result.output


def test_llm_users_play_the_people(tmp_path: Path) -> None:
    with StubServer() as server:
        out = tmp_path / "u"
        result = runner.invoke(
            app,
            ["eval", "specs/meeting.muses", "--users", "openai:stub-users", "--base-url",
             server.base_url, "--limit", "3", "--out", str(out), "--no-progress"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert all(r["status"] == "ok" for r in records)
    assert sum(r["user_usage"]["requests"] for r in records) > 0
    user_prompts = [r["messages"][0]["content"] for r in server.requests]
    assert all("You are role-playing" in p for p in user_prompts)
    spoken = [m["text"] for r in records for m in r["transcript"] if m["sender"] != "agent"]
    assert "I could do Mon 9:00 or Tue 10:00." in spoken
