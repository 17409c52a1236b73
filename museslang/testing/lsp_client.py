"""An in-process editor for the language server: pygls's client on one end of a pair of
pipes, `museslang lsp` in a thread on the other. Used by the tests and by
benchmarks/lsp_latency.py."""

from __future__ import annotations

import asyncio
import os
import threading
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
