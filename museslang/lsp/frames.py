"""Reading the Language Server Protocol's frames from a byte stream, whatever the stream holds.

A frame is header lines (`Content-Length: N`), a blank line, then N bytes of JSON. pygls's
own loop trusts every header: a `Content-Length` of 99999999999999 allocates it, and one
frame without the header (or with `-5`, or `abc`) leaves the loop reading bodies as
headers from then on, so the server never answers again. Here:

- a frame is at most `MAX_FRAME` bytes, its header at most `MAX_HEADER`; a larger one, a
  header that is missing, negative or not a number, or bytes that are no header at all are
  one log line each, and reading resumes at the next `Content-Length:` in the stream (an
  oversized body is skipped by scanning, never held);
- a body that is not JSON is answered with a JSON-RPC parse error (-32700), one that is not
  a request object with -32600, a request whose parameters do not fit its method (a
  `position` that is a string) with -32602 and its id;
- memory stays within one frame plus one read.

Everything well-formed goes to pygls's protocol, as its own loop would hand it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from concurrent.futures import Executor
from typing import Any, BinaryIO

from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import JsonRPCProtocol

from museslang.source import MAX_SOURCE_BYTES

MAX_HEADER = 8 * 1024  # a frame's header lines together
# a document arrives whole in a frame, each character escaped as up to 6 bytes of JSON
MAX_FRAME = 4 * MAX_SOURCE_BYTES
CHUNK = 64 * 1024
_MARKER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_HEADER = re.compile(rb"[!-9;-~]+[ \t]*:[^\r\n]*")  # Name: value (no colon in the name)

log = logging.getLogger("museslang.lsp")


class _Stream:
    """Bytes from a blocking binary stream, a read at a time, off the event loop."""

    def __init__(self, stream: BinaryIO, executor: Executor | None) -> None:
        self.stream = stream
        self.executor = executor
        self.buf = bytearray()

    async def more(self) -> bool:
        loop = asyncio.get_running_loop()
        chunk = await loop.run_in_executor(self.executor, self._read)
        self.buf += chunk
        return bool(chunk)

    def _read(self) -> bytes:
        read1 = getattr(self.stream, "read1", None)
        if read1 is not None:
            return read1(CHUNK)
        return os.read(self.stream.fileno(), CHUNK)


async def serve(
    stop: threading.Event,
    stream: BinaryIO,
    protocol: JsonRPCProtocol,
    executor: Executor | None = None,
) -> None:
    """Hand every frame of `stream` to `protocol` until the stream ends or `stop` is set."""
    src = _Stream(stream, executor)
    while not stop.is_set():
        body = await _frame(src)
        if body is None:
            return
        handle(protocol, body)


async def _frame(src: _Stream) -> bytes | None:
    """The next frame's body (None at the end of the stream), past whatever is not one."""
    buf = src.buf
    while True:
        while buf[:2] == b"\r\n" or buf[:1] == b"\n":  # blank lines between frames
            del buf[: 2 if buf[:1] == b"\r" else 1]
        end = buf.find(b"\r\n\r\n")
        if end < 0 and len(buf) <= MAX_HEADER and (not buf or _could_be_header(buf)):
            if not await src.more():  # the header is still arriving
                return None
            continue
        problem, length = _header(buf, end)
        if problem is None:
            assert length is not None
            start = end + 4
            while len(buf) < start + length:
                if not await src.more():
                    return None
            body = bytes(buf[start : start + length])
            del buf[: start + length]
            return body
        log.error("skipped a frame: %s", problem)
        if not await _resync(src):
            return None


def _could_be_header(buf: bytearray) -> bool:
    """Whether what has arrived so far can still be the start of a header block."""
    lines = bytes(buf).split(b"\r\n")
    done, last = lines[:-1], lines[-1]
    return all(_HEADER.fullmatch(line) for line in done) and (
        not last or _HEADER.fullmatch(last) is not None or (b":" not in last and len(last) < 80)
    )


def _header(buf: bytearray, end: int) -> tuple[str | None, int | None]:
    """(what is wrong with the header block that ends at `end`, or None; its length)."""
    if end < 0:
        return "bytes that are not a frame header", None
    if end > MAX_HEADER:
        return f"a header of over {MAX_HEADER:,} bytes", None
    length: int | None = None
    for line in bytes(buf[:end]).split(b"\r\n"):
        if _HEADER.fullmatch(line) is None:
            return f"a header line that is not `Name: value` ({_shown(line)})", None
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            text = value.strip()
            if not re.fullmatch(rb"\d{1,15}", text):
                return f"Content-Length {_shown(text)} is not a whole number of bytes", None
            length = int(text)
    if length is None:
        return "a frame without Content-Length", None
    if length > MAX_FRAME:
        return f"a frame of {length:,} bytes is over the limit of {MAX_FRAME:,}", None
    return None, length


async def _resync(src: _Stream) -> bool:
    """Drop bytes up to the next `Content-Length:` after the start of the buffer (so the
    bad header itself is passed); False at the end of the stream."""
    buf = src.buf
    searched = 1
    while True:
        found = _MARKER.search(buf, searched)
        if found is not None:
            del buf[: found.start()]
            return True
        keep = 24  # enough for a marker cut in two by the end of a read
        if len(buf) > keep:
            del buf[: len(buf) - keep]
            searched = 0  # the bad header's start is gone
        if not await src.more():
            return False


def handle(protocol: JsonRPCProtocol, body: bytes) -> None:
    """One frame's body: parsed, checked as a JSON-RPC message, given to the protocol;
    what cannot be is answered (a request) or logged (a notification), in one line."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        _answer(protocol, None, JsonRpcParseError(f"Parse error: {_first(exc)}"))
        return
    if not isinstance(data, dict):
        _answer(protocol, None, JsonRpcInvalidRequest("Invalid request: not a JSON object"))
        return
    ident = data.get("id")
    ident = ident if isinstance(ident, int | str) and not isinstance(ident, bool) else None
    request = "method" in data and "id" in data
    try:
        message = protocol.structure_message(data)
    except JsonRpcException as exc:
        method = data.get("method")
        what = f"{exc.message} for {_shown(str(method).encode())}" if method else exc.message
        if request:
            _answer(protocol, ident, type(exc)(what, exc.code))
        else:
            log.error("ignored a message: %s", what)
        return
    if message is data:  # no "jsonrpc": pygls would drop it without a word
        _answer(protocol, ident, JsonRpcInvalidRequest('Invalid request: no "jsonrpc": "2.0"'))
        return
    try:
        protocol.handle_message(message)
    except Exception as exc:  # a bug in a handler's dispatch: answered, logged, not fatal
        log.error("failed to handle a message: %s", _first(exc))
        if request:
            _answer(protocol, ident, JsonRpcInternalError(f"Internal error: {_first(exc)}"))


def _answer(protocol: JsonRPCProtocol, ident: Any, error: JsonRpcException) -> None:
    log.error("answered with error %s: %s", error.code, error.message)
    protocol._send_response(ident, error=error.to_response_error())


def _shown(raw: bytes) -> str:
    text = raw[:40].decode("utf-8", "replace")
    return repr(text + ("…" if len(raw) > 40 else ""))


def _first(exc: BaseException) -> str:
    lines = str(exc).splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


class OneLine(logging.Formatter):
    """A log record as one line: its message's first line and, for an exception, its
    type and first line, never a traceback (the editor shows stderr as the server's log)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().splitlines()
        text = message[0] if message else ""
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f": {type(exc).__name__}: {_first(exc)}"
        return f"museslang lsp: {record.levelname.lower()}: {text[:400]}"


def one_line_logging() -> None:
    """Every log line of the server (pygls's and museslang's) on stderr, one per error."""
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    # pygls logs a message it cannot structure before `handle` answers it: said once
    handler.addFilter(lambda r: not r.getMessage().startswith("Unable to deserialize"))
    for name in ("", "pygls", "museslang", "asyncio", "py.warnings"):  # "": everything else
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    logging.captureWarnings(True)  # a Python warning is a log line too, not two
