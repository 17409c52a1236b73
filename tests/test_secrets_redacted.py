"""No secret museslang was given reaches a file or the terminal, whatever path it took
(issue 28, item 2): an endpoint that echoes the Authorization header in a 200 reply (the
agent's text, its tool calls, a simulated user's reply, a teacher's reply), or that
repeats the credentials of --base-url, leaves them in no results line, no --cache entry,
no generated dataset, no summary, report or printed line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from museslang.testing.openai_stub import StubReply, StubServer, facilitator

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-test-echoed-back-0123456789abcdef"
PASSWORD = "hunter2-url-password"
ECHO = "<<authorization>>"  # museslang.testing.openai_stub.ECHO_AUTHORIZATION


def echoing(request: dict) -> StubReply:
    """The facilitator, with the request's Authorization header and the URL's password
    written into every reply: its text, each tool call's arguments, a user's answer."""
    reply = facilitator(request)
    said = f" (you sent {ECHO}; the proxy password is {PASSWORD})"
    reply.content = (reply.content or "") + said
    reply.tool_calls = [
        (name, {k: v + said if isinstance(v, str) else v for k, v in args.items()})
        for name, args in reply.tool_calls
    ]
    return reply


def museslang(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "ECHO_KEY": KEY, "MUSESLANG_CACHE": "off"}
    return subprocess.run([sys.executable, "-m", "museslang", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def leaks(folder: Path, done: subprocess.CompletedProcess) -> list[str]:
    found = [
        str(p)
        for p in folder.rglob("*")
        if p.is_file() and (KEY.encode() in p.read_bytes() or PASSWORD.encode() in p.read_bytes())
    ]
    printed = done.stdout + done.stderr
    return found + (["printed output"] if KEY in printed or PASSWORD in printed else [])


def _url(server: StubServer) -> str:
    return server.base_url.replace("http://", f"http://team:{PASSWORD}@")


def test_a_key_echoed_by_the_agent_and_the_users_endpoint_is_stored_nowhere(tmp_path) -> None:
    with StubServer(echoing) as server:
        done = museslang("eval", "specs/meeting.muses", "--agent", "openai:stub", "--users",
                         "openai:stub", "--base-url", _url(server), "--api-key-env", "ECHO_KEY",
                         "--limit", "3", "--no-progress", "--cache", str(tmp_path / "cache"),
                         "--out", str(tmp_path / "run"))  # fmt: skip
        sent = [m for r in server.requests for m in r["messages"]]
    assert done.returncode == 0, done.stderr[-2000:]
    results = (tmp_path / "run" / "results.jsonl").read_text(encoding="utf-8")
    assert "[redacted]" in results  # the echo did happen: in the texts and tool calls
    assert len(list((tmp_path / "cache").rglob("*.json"))) > 5
    assert leaks(tmp_path, done) == []
    # a simulated user's echoed reply is passed to the agent: it went through the runner
    assert any("(you sent" in str(m.get("content")) for m in sent if m["role"] == "user")
    # the same run rescored and reported from its files: still nothing
    again = museslang("rescore", str(tmp_path / "run"))
    report = museslang("report", str(tmp_path / "run"))
    assert again.returncode == 0 and report.returncode == 0
    assert leaks(tmp_path, again) == [] and leaks(tmp_path, report) == []


def test_a_key_echoed_to_the_teacher_is_in_no_dataset(tmp_path) -> None:
    with StubServer(echoing) as server:
        done = museslang("generate", "specs/meeting.muses", "--teacher", "openai:stub",
                         "--base-url", _url(server), "--api-key-env", "ECHO_KEY", "--n", "4",
                         "--no-progress", "--out", str(tmp_path / "data"))  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]
    episodes = (tmp_path / "data" / "episodes" / "results.jsonl").read_text(encoding="utf-8")
    assert "[redacted]" in episodes
    assert leaks(tmp_path, done) == []


def test_redaction_keeps_records_valid_and_leaves_other_text_alone(monkeypatch) -> None:
    from museslang import safetext
    from museslang.ir.results import ActionRecord
    from museslang.safetext import add_secret, add_url_secrets, redact_model

    monkeypatch.setattr(safetext, "_SECRETS", set())  # this test's secrets stay its own

    add_secret('q"\\uote-secret')
    add_url_secrets("https://ana:p%40ss-word-1@example.org/v1")
    record = ActionRecord(turn=1, name="send", args={
        "text": 'key q"\\uote-secret, pass p@ss-word-1 and ana:p@ss-word-1; sk-not-ours-12345',
        'q"\\uote-secret': [1, 'Basic YW5hOnBAc3Mtd29yZC0x'],
    })  # fmt: skip
    clean = redact_model(record)
    text = clean.model_dump_json()
    assert 'q"\\uote-secret' not in str(clean.args) and "p@ss-word-1" not in text
    assert "YW5hOnBAc3Mtd29yZC0x" not in text
    assert "sk-not-ours-12345" in text  # only what museslang was given: a transcript may
    assert ActionRecord.model_validate_json(text) == clean  # discuss a token; still valid
    untouched = ActionRecord(turn=1, name="send", args={"text": "nothing secret"})
    assert redact_model(untouched) is untouched
    # half a surrogate pair (a model's \ud800) cannot be serialised: still redacted
    broken = ActionRecord(turn=1, name="send", args={"text": "\udc00 p@ss-word-1"})
    assert redact_model(broken).args == {"text": "\udc00 [redacted]"}
