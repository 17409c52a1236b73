"""An in-process editor for the language server: pygls's client on one end of a pair of
pipes, `museslang lsp` in a thread on the other. Used by the tests and by
benchmarks/lsp_latency.py."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.client import LanguageClient

from museslang.lsp import server as lsp_server


class Session:
    """A client connected to a fresh server; collects the diagnostics it publishes."""

    def __init__(self) -> None:
        self.client = LanguageClient("museslang-tests", "1")
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self.published = asyncio.Event()

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics
            self.published.set()

    async def start(self) -> None:
        to_server, from_client = os.pipe()
        to_client, from_server = os.pipe()
        self.server = lsp_server.build()
        reader, writer = os.fdopen(to_server, "rb"), os.fdopen(from_server, "wb")
        self.thread = threading.Thread(
            target=self.server.start_io, args=(reader, writer), daemon=True
        )
        self.thread.start()
        self.client.protocol.set_writer(StdoutWriter(os.fdopen(from_client, "wb")))
        self.reading = asyncio.ensure_future(
            run_async(
                stop_event=self.client._stop_event,
                reader=StdinAsyncReader(os.fdopen(to_client, "rb")),
                protocol=self.client.protocol,
            )
        )
        await self.client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(), process_id=None, root_uri=Path.cwd().as_uri()
            )
        )
        self.client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        self.client._stop_event.set()
        self.thread.join(5)
        self.reading.cancel()

    async def open(self, path: Path, text: str | None = None) -> list[lsp.Diagnostic]:
        uri = path.as_uri()
        self.published.clear()
        item = lsp.TextDocumentItem(uri, "muses", 1, path.read_text() if text is None else text)
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
        return await self.wait(uri)

    async def change(self, path: Path, text: str, version: int) -> list[lsp.Diagnostic]:
        uri = path.as_uri()
        self.published.clear()
        change = lsp.TextDocumentContentChangeWholeDocument(text=text)
        doc = lsp.VersionedTextDocumentIdentifier(uri=uri, version=version)
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(doc, [change]))
        return await self.wait(uri)

    async def wait(self, uri: str) -> list[lsp.Diagnostic]:
        await asyncio.wait_for(self.published.wait(), 30)
        return self.diagnostics[uri]


class RawServer:
    """`museslang lsp` in its own process, spoken to in raw bytes over its stdin and
    stdout: for frames no client library would send (benchmarks/hostile.py, the tests)."""

    def __init__(self, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
        import subprocess
        import sys

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "museslang", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        self.frames: queue.Queue[dict | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.next_id = 0

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.frames.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            body = out.read(length or 0)
            self.frames.put(json.loads(body))

    def send(self, raw: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(raw)
        self.proc.stdin.flush()

    def message(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params: object, timeout: float = 20) -> dict:
        """Send a well-formed request; its response (skipping notifications)."""
        self.next_id += 1
        ident = self.next_id
        self.message({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        return self.response(ident, timeout)

    def response(self, ident: object, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no response to {ident!r} in {timeout} s")
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                continue
            if frame is None:
                raise EOFError("the server closed its output")
            if frame.get("id") == ident and "method" not in frame:
                return frame

    def initialize(self) -> dict:
        return self.request("initialize", {"processId": None, "rootUri": None,
                                           "capabilities": {}})  # fmt: skip

    def close(self) -> str:
        """Shut the server down; what it wrote to stderr."""
        try:
            self.request("shutdown", None, timeout=10)
            self.message({"jsonrpc": "2.0", "method": "exit"})
            self.proc.wait(10)
        except (TimeoutError, EOFError, OSError, ValueError):
            self.proc.kill()
            self.proc.wait()
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")
