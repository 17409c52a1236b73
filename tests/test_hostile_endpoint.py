"""A misbehaving endpoint never hangs a run, never crashes it, and never learns where the key
went: each case is a reproducer from the adversarial pass (issue 22)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.runtime.chat import MAX_TOOL_CALLS, ChatClient, ChatError
from museslang.runtime.options import BackendOptions
from museslang.testing.faulty_server import (
    FaultyServer,
    Request,
    completion,
    http_response,
    once,
)

runner = CliRunner()
KEY = "sk-live-abcdef0123456789SECRET"


def ask(server: FaultyServer, **options):
    opts = BackendOptions(base_url=server.base_url, **({"retries": 1, "backoff": 0.01} | options))

    async def go():
        client = ChatClient("m", server.base_url, opts)
        try:
            return await client.complete([{"role": "user", "content": "hi"}])
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_a_server_that_drips_bytes_is_cut_off_by_the_timeout() -> None:
    async def drip(request: Request):
        yield b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n"
        while True:
            yield b" "
            await asyncio.sleep(0.2)

    with FaultyServer(drip) as server:
        t0 = time.perf_counter()
        with pytest.raises(ChatError, match=r"timed out after 0\.5 s"):
            ask(server, timeout=0.5)
    assert time.perf_counter() - t0 < 3  # two attempts of 0.5 s and a short backoff


def test_a_huge_reply_is_refused_without_reading_it() -> None:
    body = completion("x" * 5_000_000)
    with FaultyServer(lambda r: once(http_response(200, body))) as server:
        with pytest.raises(ChatError, match="over the limit of 4,194,304"):
            ask(server)
        assert len(server.requests) == 1  # not retried: the same request would do it again


def test_a_long_reply_is_cut_with_a_note() -> None:
    body = completion("y" * 300_000)
    with FaultyServer(lambda r: once(http_response(200, body))) as server:
        reply = ask(server)
    assert len(reply.content) == 200_000 and "cut to 200,000" in reply.notes[0]


def test_thousands_of_tool_calls_are_capped() -> None:
    call = {"type": "function", "function": {"name": "send_message", "arguments": "{}"}}
    calls = [{"id": f"c{i}", **call} for i in range(5000)]
    with FaultyServer(lambda r: once(http_response(200, completion(None, calls)))) as server:
        reply = ask(server)
    assert len(reply.tool_calls) == MAX_TOOL_CALLS
    assert f"{5000 - MAX_TOOL_CALLS} tool calls past the first" in reply.notes[0]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html>bad gateway</html>", "not JSON"),
        (b"null", "JSON NoneType"),
        (b'data: {"choices": []}\n\n', "an event stream"),
        (b'{"choices": []}', "no choices"),
        (b'{"choices": [{"message": 3}]}', "no message"),
    ],
    ids=["html", "null", "sse", "empty-choices", "bad-message"],
)
def test_a_malformed_200_is_retried_then_a_clear_error(body: bytes, why: str) -> None:
    with FaultyServer(lambda r: once(http_response(200, body))) as server:
        with pytest.raises(ChatError, match=f"malformed reply \\({why}.*after 2 attempts"):
            ask(server)
        assert len(server.requests) == 2


def test_a_connection_closed_mid_reply_is_retried() -> None:
    calls = {"n": 0}

    async def flaky(request: Request):
        calls["n"] += 1
        if calls["n"] == 1:
            yield b'HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n{"choi'
            yield b""  # hang up
        yield http_response(200, completion("fine"))

    with FaultyServer(flaky) as server:
        assert ask(server).content == "fine"


def test_a_lone_surrogate_from_the_model_is_stored_as_a_replacement(tmp_path: Path) -> None:
    body = b'{"choices": [{"message": {"role": "assistant", "content": "@all: \\ud800 hi"}}]}'
    with FaultyServer(lambda r: once(http_response(200, body))) as server:
        out = tmp_path / "run"
        result = runner.invoke(app, ["eval", "specs/access_control.muses", "--agent", "openai:m",
                                     "--base-url", server.base_url, "--tool-mode", "text",
                                     "--limit", "2", "--out", str(out), "--no-progress",
                                     "--cache", str(tmp_path / "cache")])  # fmt: skip
        assert result.exit_code == 0, result.output
        args = ["eval", "specs/access_control.muses", "--agent", "openai:m", "--base-url",
                server.base_url, "--tool-mode", "text", "--limit", "2", "--no-progress",
                "--cache", str(tmp_path / "cache")]  # fmt: skip
        again = runner.invoke(app, [*args, "--out", str(tmp_path / "again")])
        assert again.exit_code == 0, again.output
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and all("\ufffd hi" in line for line in lines)
    assert json.loads((out / "summary.json").read_text())["ok"] == 2


def test_lone_surrogates_in_tool_call_arguments_are_replaced(tmp_path: Path) -> None:
    arguments = '{"to": ["all"], "text": "\\udc00 boo"}'
    calls = [{"id": "c1", "type": "function",
              "function": {"name": "send_message", "arguments": arguments}}]  # fmt: skip
    with FaultyServer(lambda r: once(http_response(200, completion(None, calls)))) as server:
        out = tmp_path / "run"
        result = runner.invoke(app, ["eval", "specs/access_control.muses", "--agent", "openai:m",
                                     "--base-url", server.base_url, "--limit", "1", "--out",
                                     str(out), "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "\ufffd boo" in (out / "results.jsonl").read_text(encoding="utf-8")


def _everything_written(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_the_key_echoed_by_a_401_reaches_no_file_and_no_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_KEY", KEY)

    async def echo(request: Request):
        seen = request.headers.get("authorization", "")
        body = json.dumps({"error": {"message": f"bad key; you sent Authorization: {seen}"}})
        yield http_response(401, body.encode())

    with FaultyServer(echo) as server:
        out = tmp_path / "run"
        # the preflight refuses at once; the message names the status, not the key
        args = ["eval", "specs/meeting.muses", "--agent", "openai:m", "--base-url",
                server.base_url, "--api-key-env", "MY_KEY", "--limit", "1", "--out", str(out),
                "--no-progress"]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "HTTP 401" in result.output
        assert server.requests and server.requests[0].headers["authorization"].endswith(KEY)
    assert KEY not in result.output and "SECRET" not in result.output
    assert KEY not in _everything_written(tmp_path)


def test_credentials_in_the_base_url_are_never_written(tmp_path: Path) -> None:
    with FaultyServer(lambda r: once(http_response(200, completion("@all: hello")))) as server:
        url = server.base_url.replace("http://", f"http://user:{KEY}@")
        out = tmp_path / "run"
        result = runner.invoke(app, ["eval", "specs/access_control.muses", "--agent", "openai:m",
                                     "--base-url", url, "--tool-mode", "text", "--limit", "1",
                                     "--out", str(out), "--no-progress"])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert server.requests[-1].headers["authorization"].startswith("Bearer ")
    run = json.loads((out / "run.json").read_text())
    assert run["base_url"].startswith("http://[redacted]@127.0.0.1")
    assert KEY not in _everything_written(tmp_path) and KEY not in result.output


def test_the_key_given_instead_of_a_variable_name_is_refused_unechoed(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["eval", "specs/meeting.muses", "--agent", "openai:m",
                                 "--base-url", "http://127.0.0.1:9/v1", "--api-key-env", KEY,
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 2 and "NAME of an environment variable" in result.output
    assert KEY not in result.output and not out.exists()


def test_an_unset_key_for_a_remote_endpoint_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = runner.invoke(app, ["eval", "specs/meeting.muses", "--agent", "openai:gpt-4o-mini",
                                 "--out", str(tmp_path / "r")])  # fmt: skip
    assert result.exit_code == 2 and "OPENAI_API_KEY is not set" in result.output
