"""The language server over its real stdio, fed frames no editor should send: it stays up,
answers a well-formed request after every bad frame, answers malformed requests with
JSON-RPC errors, reads no file it should not, and logs one line per error."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pygls")

from museslang.lsp.client import RawServer
from museslang.testing.hostile import lsp_frames

ROOT = Path(__file__).resolve().parent.parent


def _hover(server: RawServer, uri: str, position: object) -> dict:
    return server.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": position}
    )


@pytest.fixture
def server():
    s = RawServer(cwd=ROOT)
    assert s.initialize()["result"]["serverInfo"]["name"] == "museslang"
    s.message({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    yield s
    if s.proc.poll() is None:
        s.close()


def test_the_server_answers_after_every_bad_frame(server: RawServer) -> None:
    spec = (ROOT / "specs" / "meeting.muses").as_uri()
    for name, raw in lsp_frames():
        server.send(raw)
        answer = _hover(server, spec, {"line": 0, "character": 0})
        assert "result" in answer, (name, answer)
        assert server.proc.poll() is None, name
    log = server.close()
    assert "Traceback" not in log
    lines = log.splitlines()
    assert all(line.startswith("museslang lsp: ") for line in lines), lines
    assert len(lines) <= 2 * len(lsp_frames())  # a line or two per bad frame, no more
    assert "a frame of 99,999,999,999,999 bytes is over the limit" in log
    assert "a frame without Content-Length" in log
    assert "Content-Length '-5' is not a whole number" in log


def test_malformed_requests_get_json_rpc_errors(server: RawServer) -> None:
    spec = (ROOT / "specs" / "meeting.muses").as_uri()
    answer = _hover(server, spec, "abc")
    assert answer["error"]["code"] == -32602 and answer["id"] == server.next_id
    server.send(b"Content-Length: 8\r\n\r\nnot json")
    assert server.response(None)["error"]["code"] == -32700
    server.send(b"Content-Length: 6\r\n\r\n[1, 2]")
    assert server.response(None)["error"]["code"] == -32600
    server.message({"id": 99, "method": "textDocument/hover"})  # no "jsonrpc"
    assert server.response(99)["error"]["code"] == -32600
    log = server.close()
    assert "Traceback" not in log
    assert log.count("Invalid Params for 'textDocument/hover'") == 1  # one line per error


def test_a_never_opened_uri_is_read_only_as_a_bounded_regular_file(
    server: RawServer, tmp_path: Path
) -> None:
    answer = _hover(server, "file:///dev/zero", {"line": 0, "character": 0})
    assert answer["error"]["code"] == -32602 and "not a regular file" in answer["error"]["message"]
    big = tmp_path / "big.muses"
    with big.open("wb") as f:
        f.truncate(17 * 1024 * 1024)
    answer = _hover(server, big.as_uri(), {"line": 0, "character": 0})
    assert "over the limit" in answer["error"]["message"]
    spec = (ROOT / "specs" / "meeting.muses").as_uri()
    assert "result" in _hover(server, spec, {"line": 10, "character": 4})
    log = server.close()
    assert "Traceback" not in log


def test_hover_and_completion_inside_an_expression_string(server: RawServer) -> None:
    """Over the real stdio: an editor opens a written family, hovers over a fact inside a
    goal's expression, and asks for completion after `u.` in a goal it is typing."""
    spec = ROOT / "tests" / "fixtures" / "lsp" / "expressions.muses"
    text = spec.read_text()
    uri = spec.as_uri()
    opened = {"uri": uri, "languageId": "muses", "version": 1, "text": text}
    server.message({"jsonrpc": "2.0", "method": "textDocument/didOpen",
                    "params": {"textDocument": opened}})  # fmt: skip

    def position(needle: str, offset: int) -> dict:
        index = text.index(needle) + offset
        line = text.count("\n", 0, index)
        return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}

    found = _hover(server, uri, position("told(v, u.bid))", 10))["result"]
    assert found["contents"]["value"].startswith("**u.bid**: number — fact of each user, private")
    start = found["range"]["start"]
    assert start == position("told(v, u.bid))", 8)
    typing = text.replace('holds: "not any(', 'holds: "u. and not any(', 1)
    server.message({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"text": typing}]}})  # fmt: skip
    where = typing.index('holds: "u.') + len('holds: "u.')
    line = typing.count("\n", 0, where)
    at = {"line": line, "character": where - (typing.rfind("\n", 0, where) + 1)}
    answer = server.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": at,
        "context": {"triggerKind": 2, "triggerCharacter": "."}})  # fmt: skip
    labels = [item["label"] for item in answer["result"]["items"]]
    assert labels == ["bid", "id", "name", "role", "authority", "required"]
    assert "Traceback" not in server.close()


def test_rename_a_user_and_a_def_inside_an_expression_string(server: RawServer) -> None:
    """Over the real stdio: the server says it renames (with prepare), renames a user and a
    def called inside a text block, and refuses a bad name, a collision and a position on
    nothing renameable with an error and no edit."""
    docs = {}
    for name in ("users.muses", "rename.muses"):
        spec = ROOT / "tests" / "fixtures" / "lsp" / name
        docs[name] = (spec.as_uri(), spec.read_text())
        opened = {"uri": spec.as_uri(), "languageId": "muses", "version": 1,
                  "text": docs[name][1]}  # fmt: skip
        server.message({"jsonrpc": "2.0", "method": "textDocument/didOpen",
                        "params": {"textDocument": opened}})  # fmt: skip

    def at(name: str, needle: str, offset: int) -> dict:
        text = docs[name][1]
        index = text.index(needle) + offset
        line = text.count("\n", 0, index)
        return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}

    def rename(name: str, needle: str, offset: int, new: str) -> dict:
        return server.request("textDocument/rename", {
            "textDocument": {"uri": docs[name][0]}, "position": at(name, needle, offset),
            "newName": new})  # fmt: skip

    def edits(answer: dict, name: str) -> list[tuple[int, int, int]]:
        (uri,) = answer["result"]["changes"]
        assert uri == docs[name][0]
        found = answer["result"]["changes"][uri]
        assert {e["newText"] for e in found} <= {"Tom", "unheard"}
        return sorted((e["range"]["start"]["line"], e["range"]["start"]["character"],
                       e["range"]["end"]["character"]) for e in found)  # fmt: skip

    # a user, and the same user an extending scenario overrides (0-based lines)
    assert edits(rename("users.muses", "user Tomas", 5, "Tom"), "users.muses") == [
        (13, 7, 12), (18, 7, 12),
    ]  # fmt: skip
    prepared = server.request("textDocument/prepareRename", {
        "textDocument": {"uri": docs["rename.muses"][0]},
        "position": at("rename.muses", "kept(u)\n", 2)})["result"]  # fmt: skip
    assert prepared == {"start": {"line": 32, "character": 6}, "end": {"line": 32, "character": 10}}
    # a def: its declaration, and its two calls inside a `"""` block (dedented lines)
    assert edits(rename("rename.muses", "kept(u)\n", 2, "unheard"), "rename.muses") == [
        (18, 6, 10), (32, 6, 10), (33, 12, 16),
    ]  # fmt: skip
    refusals = {
        ("def kept", 4, "2kept"): "is not a name",
        ("def kept", 4, "record"): "'record' already names the action record",
        ("told(v", 1, "said"): "no name here that rename can change",
    }
    for (needle, offset, new), said in refusals.items():
        answer = rename("rename.muses", needle, offset, new)
        assert "result" not in answer, answer
        assert answer["error"]["code"] == -32803 and said in answer["error"]["message"]
    nothing = server.request("textDocument/prepareRename", {
        "textDocument": {"uri": docs["rename.muses"][0]},
        "position": at("rename.muses", "turns: addressed", 2)})  # fmt: skip
    assert "no name here" in nothing["error"]["message"]
    assert "Traceback" not in server.close()


def test_the_server_advertises_references_rename_and_prepare() -> None:
    s = RawServer(cwd=ROOT)
    try:
        client = {"textDocument": {"rename": {"prepareSupport": True}}}
        answer = s.request("initialize", {"processId": None, "rootUri": None,
                                          "capabilities": client})  # fmt: skip
        caps = answer["result"]["capabilities"]
        assert caps["referencesProvider"] is True
        assert caps["renameProvider"] == {"prepareProvider": True}
    finally:
        s.close()
