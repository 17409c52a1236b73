"""`museslang lsp`: the checker, spoken to editors over the Language Server Protocol.

Diagnostics come from the same checker as `museslang check`, with the same codes,
messages, labels and hints: on open, on change (debounced, without the oracle gate, on the
editor's unsaved text) and on save (with the gate, on the saved file). The other answers
(hover, go to definition, references, completion, formatting, outline, rename) come from
the document's last check, in `analysis`, `hover`, `complete` and `rename`; this module only turns
them into protocol messages and positions into the client's units.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition

from museslang import __version__
from museslang.diagnostics import Diagnostic, Severity
from museslang.lsp import frames
from museslang.lsp.analysis import Analysis, analyse, import_at, symbol_at
from museslang.lsp.complete import complete
from museslang.lsp.hover import hover
from museslang.lsp.inside import definition_in
from museslang.lsp.rename import RenameError, prepare, references, rename
from museslang.source import SourceError, Span, read_source
from museslang.syntax import ast

DEBOUNCE_S = 0.15  # a change waits this long for the next keystroke before it is checked

_KIND_ITEMS = {
    "keyword": lsp.CompletionItemKind.Keyword,
    "field": lsp.CompletionItemKind.Field,
    "value": lsp.CompletionItemKind.EnumMember,
    "name": lsp.CompletionItemKind.Reference,
    "module": lsp.CompletionItemKind.Module,
    "variable": lsp.CompletionItemKind.Variable,
    "function": lsp.CompletionItemKind.Function,
}
_SYMBOL_KINDS = {
    "scenario": lsp.SymbolKind.Namespace,
    "family": lsp.SymbolKind.Module,
    "user": lsp.SymbolKind.Object,
    "role": lsp.SymbolKind.Class,
    "resource": lsp.SymbolKind.File,
    "template": lsp.SymbolKind.String,
    "goal": lsp.SymbolKind.Event,
    "action": lsp.SymbolKind.Function,
    "metric": lsp.SymbolKind.Number,
    "fact": lsp.SymbolKind.Field,
    "option": lsp.SymbolKind.EnumMember,
}


def path_of(uri: str) -> Path:
    return Path(to_fs_path(uri) or uri)


def uri_of(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


class MusesServer(LanguageServer):
    """The server and what it keeps per open document: its last check, and the check
    waiting for typing to pause."""

    def __init__(self) -> None:
        super().__init__("museslang", __version__)
        self.analyses: dict[str, Analysis] = {}
        # the last check that typed a family's expressions: what completion inside an
        # expression string falls back on while the text being typed does not parse
        self.typed: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Future[None]] = {}
        self.checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="museslang-check")

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over a pair of streams, reading frames with museslang's reader (frames):
        bounded, and back in step after a bad frame."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(frames.serve(self._stop_event, stdin or sys.stdin.buffer,
                                     self.protocol, self.thread_pool))  # fmt: skip
        except BrokenPipeError:
            frames.log.error("the editor closed the connection")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    # ---- documents ---------------------------------------------------------------
    def document(self, uri: str) -> TextDocument:
        """An open document, or a file the editor did not open, read only when it is a
        regular file within the source limit (never `file:///dev/zero`): a request about
        anything else is answered with an error, not a read of gigabytes."""
        open_ = self.workspace.text_documents.get(unquote(uri))
        if open_ is not None:
            return open_
        path = path_of(uri)
        try:
            text = read_source(path)
        except SourceError as exc:
            raise JsonRpcInvalidParams(
                f"{uri[:200]} is not open, and cannot be read: {exc}"
            ) from None
        return TextDocument(uri, text, position_codec=self.workspace.position_codec)

    # ---- positions ---------------------------------------------------------------
    def _lines(self, uri: str) -> list[str]:
        return list(self.document(uri).lines)

    def to_range(self, span: Span | None, lines: list[str]) -> lsp.Range:
        if span is None:
            return lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        start = ServerTextPosition(span.line - 1, span.column - 1)
        end = ServerTextPosition(span.end_line - 1, span.end_column - 1)
        codec = self.workspace.position_codec
        return lsp.Range(codec.position_to_client_units(lines, start),
                         codec.position_to_client_units(lines, end))  # fmt: skip

    def from_position(self, uri: str, position: lsp.Position) -> tuple[int, int]:
        """The 1-based (line, column) in code points, as spans count."""
        doc = self.document(uri)
        pos = doc.position_from_client_units(position)
        return pos.line + 1, pos.character + 1

    def location(self, analysis: Analysis, span: Span) -> lsp.Location | None:
        path = analysis.file_of(span)
        if path is None:
            return None
        uri = uri_of(path)
        if uri in self.workspace.text_documents:
            lines = self._lines(uri)
        else:
            try:
                lines = read_source(path).splitlines(keepends=True)
            except SourceError:
                return None
        return lsp.Location(uri, self.to_range(span, lines))

    # ---- checking ----------------------------------------------------------------
    # Checks run one at a time on a worker thread: the event loop stays free to answer,
    # and the oracle gate (which runs its own event loop) can run at all.
    def schedule(self, uri: str, delay: float, gate: bool = False) -> None:
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check_later(uri, delay, gate))

    async def _check_later(self, uri: str, delay: float, gate: bool) -> None:
        if delay:
            await asyncio.sleep(delay)
        await self.refresh(uri, gate)
        if self.pending.get(uri) is asyncio.current_task():
            self.pending.pop(uri, None)

    async def refresh(self, uri: str, gate: bool = False) -> Analysis:
        """Check the document as it is now and publish its diagnostics."""
        path = path_of(uri)
        doc = self.document(uri)
        source, version, lines = doc.source, doc.version, list(doc.lines)
        loop = asyncio.get_running_loop()
        analysis = await loop.run_in_executor(self.checker, analyse, path, source, gate)
        self.analyses[uri] = analysis
        if analysis.checked is not None and analysis.checked.expressions:
            self.typed[uri] = analysis
        found = [self.diagnostic(analysis, d, lines) for d in analysis.diagnostics]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version)
        )
        return analysis

    async def current(self, uri: str) -> Analysis:
        """The document's check, waiting for one under way (a request right after a
        change answers from the changed text)."""
        while (task := self.pending.get(uri)) is not None:
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.cancelled():
                    raise
            if self.pending.get(uri) is task:
                break
        found = self.analyses.get(uri)
        return found if found is not None else await self.refresh(uri)

    def diagnostic(self, analysis: Analysis, d: Diagnostic, lines: list[str]) -> lsp.Diagnostic:
        mine = d.span is None or d.span.file == analysis.display
        message = d.message if mine else f"{d.span}: {d.message}"
        if d.hint:
            message += f"\nhint: {d.hint}"
        related = []
        for label in d.labels:
            where = self.location(analysis, label.span)
            if where is not None:
                related.append(lsp.DiagnosticRelatedInformation(where, label.message))
        return lsp.Diagnostic(
            range=self.to_range(d.span if mine else None, lines),
            message=message,
            severity=lsp.DiagnosticSeverity.Error
            if d.severity == Severity.ERROR
            else lsp.DiagnosticSeverity.Warning,
            code=d.code,
            source="museslang",
            related_information=related or None,
        )


def _outline(server: MusesServer, decl: ast.Decl, lines: list[str]) -> lsp.DocumentSymbol:
    name = decl.name.name if decl.name else (decl.label.value if decl.label else decl.kind.name)
    detail = decl.kind.name + (f' "{decl.label.value}"' if decl.label and decl.name else "")
    chosen = decl.name.span if decl.name else decl.kind.span
    return lsp.DocumentSymbol(
        name=name,
        detail=detail,
        kind=_SYMBOL_KINDS.get(decl.kind.name, lsp.SymbolKind.Struct),
        range=server.to_range(decl.span, lines),
        selection_range=server.to_range(chosen, lines),
        children=[_outline(server, c, lines) for c in decl.children],
    )


def build() -> MusesServer:
    server = MusesServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MusesServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MusesServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE_S)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MusesServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0, gate=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MusesServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        ls.typed.pop(uri, None)
        waiting = ls.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: MusesServer, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        line, column = ls.from_position(uri, params.position)
        found = hover(await ls.current(uri), line, column)
        if found is None:
            return None
        text, span = found
        return lsp.Hover(
            contents=lsp.MarkupContent(lsp.MarkupKind.Markdown, text),
            range=ls.to_range(span, ls._lines(uri)),
        )

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: MusesServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        uri = params.text_document.uri
        analysis = await ls.current(uri)
        line, column = ls.from_position(uri, params.position)
        found = symbol_at(analysis, line, column)
        if found is not None:
            return ls.location(analysis, found[0].span)
        declared = definition_in(analysis, line, column)  # a name in an expression
        if declared is not None:
            return ls.location(analysis, declared)
        target = import_at(analysis, line, column)
        if target is not None:
            start = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
            return lsp.Location(uri_of(target), start)
        return None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    async def on_references(ls: MusesServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        uri = params.text_document.uri
        analysis = await ls.current(uri)
        line, column = ls.from_position(uri, params.position)
        spans = references(analysis, line, column, params.context.include_declaration)
        return [loc for s in spans if (loc := ls.location(analysis, s)) is not None]

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=[":", ".", " ", "["]),
    )
    def completion(ls: MusesServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        doc = ls.document(uri)
        before = doc.source[: doc.offset_at_position(params.position)]
        items = complete(before, ls.analyses.get(uri), ls.typed.get(uri))
        found = [
            lsp.CompletionItem(label=i.label, kind=_KIND_ITEMS.get(i.kind), detail=i.detail or None)
            for i in items
        ]
        return lsp.CompletionList(is_incomplete=False, items=found)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: MusesServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        from museslang.diagnostics import Diagnostics
        from museslang.fmt import FormatError, format_source
        from museslang.source import SourceFile

        uri = params.text_document.uri
        doc = ls.document(uri)
        path = path_of(uri)
        try:
            text = format_source(SourceFile(path, path.name, doc.source), Diagnostics())
        except FormatError:
            return []
        if text is None or text == doc.source:
            return []  # syntax errors (the diagnostics say where), or nothing to change
        lines = list(doc.lines)
        end = lsp.Position(len(lines), 0)
        return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), text)]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def outline(
        ls: MusesServer, params: lsp.DocumentSymbolParams
    ) -> list[lsp.DocumentSymbol]:
        uri = params.text_document.uri
        module = (await ls.current(uri)).module()
        if module is None:
            return []
        lines = ls._lines(uri)
        return [_outline(ls, d, lines) for d in module.decls]

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    async def on_prepare_rename(ls: MusesServer, params: lsp.PrepareRenameParams) -> lsp.Range:
        uri = params.text_document.uri
        analysis = await ls.current(uri)
        try:
            _, under = prepare(analysis, *ls.from_position(uri, params.position))
        except RenameError as exc:
            raise JsonRpcException(str(exc), code=lsp.LSPErrorCodes.RequestFailed) from None
        return ls.to_range(under, ls._lines(uri))

    # advertised as `renameProvider: {prepareProvider: true}` to a client that says it
    # supports prepare (pygls follows the spec), `true` to any other
    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    async def on_rename(ls: MusesServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit:
        """Every occurrence in this document (a rename edits one document: a declaration
        of another file is refused), or an error saying why not, and no edit."""
        uri = params.text_document.uri
        analysis = await ls.current(uri)
        line, column = ls.from_position(uri, params.position)
        try:
            spans = rename(analysis, line, column, params.new_name)
        except RenameError as exc:
            raise JsonRpcException(str(exc), code=lsp.LSPErrorCodes.RequestFailed) from None
        lines = ls._lines(uri)
        edits = [lsp.TextEdit(ls.to_range(s, lines), params.new_name) for s in spans]
        return lsp.WorkspaceEdit(changes={uri: edits})

    return server


def serve() -> None:
    """Run the server over stdio until the editor closes it."""
    frames.one_line_logging()
    build().start_io()


__all__ = ["DEBOUNCE_S", "MusesServer", "build", "serve"]
