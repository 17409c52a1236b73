"""The language server, driven in-process by pygls's client over a pair of pipes."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as lsp

from museslang.lsp.client import Session

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "lsp"


def _doc(path: Path) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(path.as_uri())


def _at(text: str, needle: str, offset: int = 0) -> lsp.Position:
    """The position of the first `needle` (plus `offset` characters) in `text`."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return lsp.Position(line, index - (text.rfind("\n", 0, index) + 1))


def run(coro) -> None:
    """Run a session's steps; a server that stops answering fails the test, never hangs it."""
    asyncio.run(asyncio.wait_for(coro, 120))


def test_the_four_classic_mistakes_and_a_fix_that_clears_one(tmp_path: Path) -> None:
    spec = tmp_path / "mistakes.muses"
    shutil.copy(FIXTURES / "mistakes.muses", spec)
    text = spec.read_text()

    async def go() -> None:
        s = Session()
        await s.start()
        try:
            found = await s.open(spec)
            errors = sorted(
                (d.code, d.range.start.line + 1)
                for d in found
                if d.severity == lsp.DiagnosticSeverity.Error
            )
            assert errors == [("E010", 10), ("E011", 12), ("E013", 9), ("E014", 15)]
            kind = next(d for d in found if d.code == "E010")
            assert kind.message.startswith("unknown declaration kind 'usr'")
            assert "hint: did you mean 'user'?" in kind.message
            assert kind.source == "museslang"
            assert (kind.range.start.character, kind.range.end.character) == (2, 5)
            fixed = text.replace("usr Amara", "user Amara")
            again = await s.change(spec, fixed, 2)
            codes = sorted(d.code for d in again if d.severity == lsp.DiagnosticSeverity.Error)
            assert codes == ["E011", "E013", "E014"]
        finally:
            await s.stop()

    run(go())


def test_the_meeting_spec_has_no_diagnostics_and_a_full_outline() -> None:
    spec = ROOT / "specs" / "meeting.muses"
    text = spec.read_text()

    async def go() -> None:
        s = Session()
        await s.start()
        try:
            assert list(await s.open(spec)) == []
            outline = await s.client.text_document_document_symbol_async(
                lsp.DocumentSymbolParams(_doc(spec))
            )
            (scenario,) = outline
            assert (
                scenario.name == "meeting"
                and scenario.detail == 'scenario "Team meeting scheduling"'
            )
            assert [c.name for c in scenario.children] == ["protocol", "population", "sweep"]
            assert scenario.range.start.line == text[: text.index("scenario meeting")].count("\n")
        finally:
            await s.stop()

    run(go())


def test_hover_definition_references_completion_formatting_and_rename() -> None:
    spec = ROOT / "tests" / "golden" / "compiled" / "standup.muses"
    text = spec.read_text()

    async def go() -> None:
        s = Session()
        await s.start()
        try:
            await s.open(spec)
            doc = _doc(spec)
            hover = await s.client.text_document_hover_async(
                lsp.HoverParams(doc, _at(text, "user Amara", 6))
            )
            assert "**user Amara**" in hover.contents.value
            assert "role: lead" in hover.contents.value and "authority: 7" in hover.contents.value
            kind = await s.client.text_document_hover_async(
                lsp.HoverParams(doc, _at(text, "user Bilal"))
            )
            assert kind.contents.value.startswith("**user**")
            time_ = await s.client.text_document_hover_async(
                lsp.HoverParams(doc, _at(text, "Tue 9:30", 1))
            )
            assert "slot 16 of 70" in time_.contents.value
            # the role named in a user's field is declared at the top of the file
            where = await s.client.text_document_definition_async(
                lsp.DefinitionParams(doc, _at(text, "role: lead", 7))
            )
            assert where.uri == spec.as_uri()
            assert where.range.start == _at(text, "role lead", 5)
            # the template is declared in the standard library
            std = await s.client.text_document_definition_async(
                lsp.DefinitionParams(doc, _at(text, "template: colon", 11))
            )
            assert std.uri.endswith("stdlib/identity.muses")
            imported = await s.client.text_document_definition_async(
                lsp.DefinitionParams(doc, _at(text, "import std.behaviours", 9))
            )
            assert imported.uri.endswith("stdlib/behaviours.muses")
            refs = await s.client.text_document_references_async(
                lsp.ReferenceParams(
                    text_document=doc,
                    position=_at(text, "user Bilal", 6),
                    context=lsp.ReferenceContext(include_declaration=True),
                )
            )
            assert [r.range.start.line + 1 for r in refs] == [22, 36, 36]
            items = await s.client.text_document_completion_async(
                lsp.CompletionParams(doc, _at(text, "attendance: optional", 12))
            )
            assert {i.label for i in items.items} == {"required", "optional"}
            edits = await s.client.text_document_formatting_async(
                lsp.DocumentFormattingParams(
                    text_document=doc, options=lsp.FormattingOptions(2, True)
                )
            )
            assert not edits  # the golden spec is formatted already
            renamed = await s.client.text_document_rename_async(
                lsp.RenameParams(text_document=doc, position=_at(text, "Bilal)", 1), new_name="Bea")
            )
            changes = renamed.changes[spec.as_uri()]
            assert len(changes) == 3 and {c.new_text for c in changes} == {"Bea"}
        finally:
            await s.stop()

    run(go())


def test_formatting_an_untidy_spec_gives_the_fmt_text(tmp_path: Path) -> None:
    from museslang.fmt import canonical

    spec = tmp_path / "untidy.muses"
    text = "scenario s{family:meeting\nuser A{prefers:[Tue 9:30]}\nuser B {prefers: [Tue 9:30]}}\n"
    spec.write_text(text)

    async def go() -> None:
        s = Session()
        await s.start()
        try:
            await s.open(spec)
            (edit,) = await s.client.text_document_formatting_async(
                lsp.DocumentFormattingParams(
                    text_document=_doc(spec), options=lsp.FormattingOptions(2, True)
                )
            )
            assert edit.new_text == canonical(text)
        finally:
            await s.stop()

    run(go())


def test_a_2000_line_spec_rechecks_quickly() -> None:
    from museslang.lsp.analysis import analyse

    users = "\n".join(
        f"  user U{i} {{\n    role: lead\n    prefers: [Tue 9:30]\n  }}" for i in range(500)
    )
    head = 'role lead { title: "Lead"  authority: 7 }\nscenario big {\n  family: meeting\n'
    text = f"{head}{users}\n}}\n"
    assert text.count("\n") >= 2000
    path = ROOT / "big.muses"
    analyse(path, text)  # warm: imports and the grammar
    t0 = time.perf_counter()
    analysis = analyse(path, text)
    took = time.perf_counter() - t0
    assert not [d for d in analysis.diagnostics if d.is_error]
    assert took < 5  # the figure itself is measured in benchmarks/lsp_latency.py


def test_museslang_lsp_serves_over_stdio() -> None:
    """The command an editor starts: a real process, spoken to over its stdin and stdout."""
    import sys

    from pygls.lsp.client import LanguageClient

    spec = ROOT / "specs" / "meeting.muses"

    async def go() -> None:
        client = LanguageClient("museslang-tests", "1")
        published = asyncio.Event()
        found: list = []

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            found.append(params)
            published.set()

        await client.start_io(sys.executable, "-m", "museslang", "lsp", cwd=str(ROOT))
        try:
            result = await client.initialize_async(
                lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), process_id=None)
            )
            assert result.server_info.name == "museslang"
            client.initialized(lsp.InitializedParams())
            item = lsp.TextDocumentItem(spec.as_uri(), "muses", 1, spec.read_text())
            client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
            await asyncio.wait_for(published.wait(), 60)
            assert found[0].uri == spec.as_uri() and list(found[0].diagnostics) == []
            await client.shutdown_async(None)
            client.exit(None)
        finally:
            await client.stop()

    run(go())


def test_hover_says_who_may_read_a_resource() -> None:
    from museslang.lsp.analysis import analyse
    from museslang.lsp.hover import hover

    spec = ROOT / "specs" / "access_control.muses"
    text = spec.read_text()
    analysis = analyse(spec, text)
    line = text[: text.index("resource payroll")].count("\n") + 1
    found = hover(analysis, line, len("  resource pay"))
    assert found is not None
    assert found[0] == "**resource payroll**\n\nreaders: authority >= 6"


def test_the_oracle_gate_runs_on_save_only(tmp_path: Path) -> None:
    """A spec no agent could pass checks clean as it is typed; saving it runs the gate."""
    spec = tmp_path / "notes.muses"
    spec.write_text(
        "scenario notes {\n"
        "  family: instruction_following\n"
        "  binding: all\n"
        '  user Ana { authority: 5  task: "Write a note."\n'
        "             constraints: [change_case.english_lowercase()] }\n"
        '  user Ben { authority: 3  task: "Write a note."\n'
        "             constraints: [change_case.english_capital()] }\n"
        "}\n",
        encoding="utf-8",
    )

    async def go() -> None:
        s = Session()
        await s.start()
        try:
            opened = await s.open(spec)
            assert not [d for d in opened if d.code == "E060"]
            s.published.clear()
            s.client.text_document_did_save(lsp.DidSaveTextDocumentParams(_doc(spec)))
            saved = await s.wait(spec.as_uri())
            (gate,) = [d for d in saved if d.code == "E060"]
            assert gate.range.start.line == 6  # Ben's constraint, as `museslang check` says
            assert "the reference oracle cannot pass" in gate.message
        finally:
            await s.stop()

    run(go())
