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


# ---- inside a written family's expression strings (unit: on the analysis) -------------------
EXPRESSIONS = FIXTURES / "expressions.muses"


@pytest.fixture(scope="module")
def auction():
    from museslang.lsp.analysis import analyse

    text = EXPRESSIONS.read_text()
    return analyse(EXPRESSIONS, text), text


def _line_col(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    pos = _at(text, needle, offset)
    return pos.line + 1, pos.character + 1


def test_hover_inside_an_expression_names_facts_actions_params_functions_and_variables(
    auction,
) -> None:
    from museslang.lsp.hover import hover

    analysis, text = auction
    sealed = "told(v, u.bid))"

    def shown(needle: str, offset: int) -> str:
        found = hover(analysis, *_line_col(text, needle, offset))
        assert found is not None, needle
        return found[0]

    bid = shown(sealed, 10)  # u.bid
    assert bid.startswith("**u.bid**: number — fact of each user, private")
    assert "drawn as `randint(7, 16) * 10`" in bid and "the bidder's sealed bid" in bid
    reserve = shown("price >= reserve", 10)
    assert reserve.startswith("**reserve**: number — fact of the scenario")
    award = shown("award.to ==", 1)
    assert "action `award(to: user, price: 0..1000)`, ends the episode" in award
    assert "Award the lot to one bidder at a price." in award
    price = shown("award.price >= reserve", 7)
    assert price.startswith("**award.price**: number — parameter of `award(")
    assert "from 0 to 1000" in price
    told = shown(sealed, 1)
    assert told.startswith("```\ntold(user, value) -> bool\n```")
    variable = shown("any(v in users where v != u", 4)
    assert variable.startswith("**v**: user — each item of `users` where `v != u`")
    assert shown(sealed, 5).startswith("**v**: user")  # the same variable, where it is used
    assert shown(sealed, 8).startswith("**u**: user — the user it is about")
    draw = shown("randint(7, 16)", 2)
    assert draw.startswith("```\nrandint(a, b) -> number")
    # the span is the name as written, in the spec's columns
    _, span = hover(analysis, *_line_col(text, sealed, 10))
    assert (span.line, span.column) == _line_col(text, sealed, 8)
    assert span.end_column - span.column == len("u.bid")
    # a play's argument is a string of its own inside `calls:`
    arg = shown('price: "max(reserve, max(v in users: v.bid))"', 39)
    assert arg.startswith("**v.bid**: number")
    assert hover(analysis, *_line_col(text, "keep every bid private", 3)) is None  # brief: text


def test_definition_inside_an_expression_goes_to_the_fact_or_action(auction) -> None:
    from museslang.lsp.inside import definition_in

    analysis, text = auction
    cases = {
        ("told(v, u.bid))", 11): "fact bid",
        ("price >= reserve", 10): "fact reserve",
        ("award.to ==", 2): "action award",
        ("award.price >= reserve", 8): "{ to: user  price: 0..1000 }",  # its `params:`
        ("max(o in options: o.lot_value)", 22): "fact lot_value",
    }
    for (needle, offset), declared in cases.items():
        span = definition_in(analysis, *_line_col(text, needle, offset))
        assert span is not None, needle
        assert (span.line, span.column) == _line_col(text, declared), needle
    assert definition_in(analysis, *_line_col(text, "told(v, u.bid))", 1)) is None  # built in
    # the goals `success:` names, the action a play's `search:` would name
    span = definition_in(analysis, *_line_col(text, "success: [highest, sealed]", 20))
    assert (span.line, span.column) == _line_col(text, "goal sealed")
    from museslang.lsp.hover import hover

    shown = hover(analysis, *_line_col(text, "success: [highest", 12))[0]
    assert shown.startswith("**highest** — goal: `award.to == argmax(v in users: v.bid)")


def _labels(before: str, analysis, fallback=None) -> list[str]:
    from museslang.lsp.complete import complete

    return [i.label for i in complete(before, analysis, fallback)]


def test_completion_inside_an_expression(auction) -> None:
    from museslang.lsp.analysis import analyse

    analysis, text = auction
    sealed = text.index("told(v, u.bid))")
    # after `u.`: the user's facts and fixed fields; after `award.`: its parameters
    assert _labels(text[: sealed + 10], analysis) == [
        "bid", "id", "name", "role", "authority", "required",
    ]  # fmt: skip
    assert _labels(text[: text.index("award.to ==") + 6], analysis) == ["to", "price"]
    option = text.index("o.lot_value")
    assert _labels(text[: option + 2], analysis) == ["lot_value", "id", "title"]
    # at a name: the bound variables, users, options, scenario facts, actions, functions
    # (draws only in a fact's draw)
    at_name = _labels(text[: sealed + 5], analysis)
    assert at_name[:6] == ["u", "v", "users", "options", "reserve", "award"]
    assert "told" in at_name and "argmax" in at_name and "randint" not in at_name
    draw = text.index("randint(7, 16)")
    assert "randint" in _labels(text[:draw], analysis) and "u" in _labels(text[:draw], analysis)
    # a goal being typed, which no check has seen: its `per: user` and the binding's
    # variable, typed from its domain; the document does not parse, so the last check
    # that typed the family answers
    typing = text[: text.index("  success:")] + (
        '  goal fresh {\n    per: user\n    holds: "all(o in options: o.'
    )
    broken = analyse(EXPRESSIONS, typing)
    assert _labels(typing, broken, analysis) == ["lot_value", "id", "title"]
    fresh = _labels(typing[: -len("all(o in options: o.")], broken, analysis)
    assert fresh[:3] == ["u", "users", "options"]
    # text fields and quoted texts inside an expression get no names
    assert _labels(text[: text.index("keep every bid") + 4], analysis) == []
    assert _labels(text[:sealed] + "u.role == 'a", analysis) == []


def test_completion_and_hover_in_a_play_s_call_arguments() -> None:
    """A play's arguments share the `calls:` span in the checker: each string is found by
    its own text, and the call's `each:` binds the arguments' variable."""
    from museslang.lsp.analysis import analyse
    from museslang.lsp.hover import hover

    spec = ROOT / "tests" / "fixtures" / "trust" / "shift_swap.muses"
    text = spec.read_text()
    analysis = analyse(spec, text)
    shift = text.index('shift: "u.wants if') + len('shift: "u.')
    assert _labels(text[:shift], analysis)[:5] == ["shift", "max_hours", "worked", "wants",
                                                   "seniority"]  # fmt: skip
    assert _labels(text[: text.index('to: "u"') + len('to: "')], analysis)[:2] == ["u", "users"]
    each = _labels(text[: text.index('each: "u in users"') + len('each: "')], analysis)
    assert "u" not in each and each[:2] == ["users", "options"]
    shown = hover(analysis, *_line_col(text, 'shift: "u.wants if', 8))[0]
    assert shown.startswith("**u**: user — bound by the call's `each:`")
    drawn = hover(analysis, *_line_col(text, 'draw: "u.max_hours', 7))[0]
    assert drawn.startswith("**u**: user — the user whose fact is drawn")
    # a joint search's `each:` (the shipped roster family)
    roster = ROOT / "stdlib" / "shift_swap.muses"
    text = roster.read_text()
    analysis = analyse(roster, text)
    joint = text.index('each: "u in users"\n')
    assert _labels(text[: joint + len('each: "u in u')], analysis)[:2] == ["users", "options"]
    shown = hover(analysis, *_line_col(text, 'each: "u in users"\n', 7))[0]
    assert shown.startswith("**u**: user — each item of `users`")


def test_completion_offers_only_what_the_family_accepts(auction) -> None:
    analysis, text = auction
    scenario = text.index("  facts: { reserve")
    fields = _labels(text[: scenario + 2], analysis)
    assert "facts" in fields and "tags" in fields and "option" in fields
    for refused in ("calendar", "binding", "answer", "expect", "extra", "resource", "order"):
        assert refused not in fields  # E024: the written family reads none of them
    assert _labels(text[: scenario + len("  facts: { ")], analysis) == ["reserve"]
    lot = text.index("facts: { lot_value")
    assert _labels(text[: lot + len("facts: { ")], analysis) == ["lot_value"]
    population = text.index("population { pool")
    assert _labels(text[: population + len("population { ")], analysis) == [
        "pool", "required", "roles",
    ]  # fmt: skip
    family_end = text.index("  success:")
    fact = text[:family_end] + "  fact more { of: option  type: number  "
    assert "draw" not in _labels(fact, analysis) and "leaks_as" not in _labels(fact, analysis)
    episode_goal = text[:family_end] + "  goal more {\n    "
    assert "where" not in _labels(episode_goal, analysis)
    assert "where" in _labels(episode_goal + "per: user\n    ", analysis)


def test_every_built_in_function_has_a_signature_and_doc() -> None:
    from museslang.expr.signatures import SIGNATURES
    from museslang.expr.types import FUNCTIONS

    assert sorted(SIGNATURES) == sorted(FUNCTIONS)
    assert all(sig.startswith(name + "(") and doc for name, (sig, doc) in SIGNATURES.items())


# ---- find references and rename (unit: on the analysis) ------------------------------------
def _spans(analysis, text: str, needle: str, offset: int = 0, **kw) -> list[tuple[int, int, str]]:
    """The references at a position as (line, column, the text they cover), 1-based."""
    from museslang.lsp.rename import references

    lines = text.splitlines()
    found = references(analysis, *_line_col(text, needle, offset), **kw)
    assert all(s.line == s.end_line for s in found)
    return [(s.line, s.column, lines[s.line - 1][s.column - 1 : s.end_column - 1]) for s in found]


def _renamed(path: Path, text: str, needle: str, offset: int, new: str) -> str:
    """The document with a rename applied; it must check as cleanly as before."""
    from museslang.lsp.analysis import analyse
    from museslang.lsp.rename import rename

    analysis = analyse(path, text)
    lines = text.splitlines(keepends=True)
    for s in sorted(rename(analysis, *_line_col(text, needle, offset), new),
                    key=lambda s: (s.line, s.column), reverse=True):  # fmt: skip
        row = lines[s.line - 1]
        lines[s.line - 1] = row[: s.column - 1] + new + row[s.end_column - 1 :]
    out = "".join(lines)
    assert not [d for d in analyse(path, out).diagnostics if d.is_error], new
    return out


@pytest.fixture(scope="module")
def pledge():
    from museslang.lsp.analysis import analyse

    spec = FIXTURES / "rename.muses"
    text = spec.read_text()
    return analyse(spec, text), text


def test_references_of_a_def_fact_action_goal_and_variables_in_text_blocks(pledge) -> None:
    analysis, text = pledge
    kept = [(19, 7, "kept"), (33, 7, "kept"), (34, 13, "kept")]
    assert _spans(analysis, text, "def kept", 4) == kept
    # in a text block: the line after the quotes, dedented (Located.written)
    assert _spans(analysis, text, "kept(u)\n", 1) == kept
    assert _spans(analysis, text, "def kept", 4, declaration=False) == kept[1:]
    pledges = [(12, 8, "pledge"), (21, 56, "pledge"), (26, 37, "pledge"), (43, 57, "pledge"),
               (51, 23, "pledge"), (52, 23, "pledge")]  # fmt: skip
    assert _spans(analysis, text, "fact pledge", 5) == pledges  # users' facts: too
    assert _spans(analysis, text, "total >= target", 9) == [
        (11, 8, "target"), (27, 44, "target"), (50, 12, "target"),
    ]  # fmt: skip
    assert _spans(analysis, text, "record.total", 2) == [
        (14, 10, "record"), (27, 9, "record"), (43, 23, "record"),
    ]  # fmt: skip
    assert _spans(analysis, text, "success: [reached", 11) == [
        (24, 8, "reached"),
        (38, 13, "reached"),
    ]
    # a let's variable, in its own expression only; a binding's variable in its binding
    total = [(26, 11, "total"), (27, 25, "total"), (27, 35, "total")]
    assert _spans(analysis, text, "let total", 5) == total
    assert _spans(analysis, text, "total >= target", 1) == total
    assert _spans(analysis, text, "v != u", 0) == [(21, 21, "v"), (21, 38, "v"), (21, 51, "v")]
    # no reference: a built-in, a def's parameter, an action's parameter, a fixed field
    for needle, offset in [("told(v", 1), ("told(v, u.", 8), ("record.total", 8),
                           ("{{ name }}", 4)]:  # fmt: skip
        assert _spans(analysis, text, needle, offset) == [], needle


def test_hover_and_definition_of_a_def_called_in_a_text_block(pledge) -> None:
    from museslang.lsp.hover import hover
    from museslang.lsp.inside import definition_in

    analysis, text = pledge
    shown = hover(analysis, *_line_col(text, "kept(u)\n", 1))
    assert shown is not None
    assert shown[0] == "**kept** — def `kept(u: user)`: nobody else heard u's pledge"
    assert (shown[1].line, shown[1].column, shown[1].end_column) == (33, 7, 11)
    span = definition_in(analysis, *_line_col(text, "kept(u)\n", 1))
    assert span is not None and (span.line, span.column) == _line_col(text, "def kept")


def test_rename_a_def_a_fact_and_a_let_gives_a_spec_that_still_checks(pledge) -> None:
    _, text = pledge
    spec = FIXTURES / "rename.muses"
    out = _renamed(spec, text, "kept(u)\n", 1, "unheard")
    assert out.count("unheard") == 3 and "kept" not in out.replace('"nobody else', "")
    out = _renamed(spec, text, "fact target", 5, "goal_total")
    assert "facts: { goal_total: 40 }" in out and "total >= goal_total" in out
    out = _renamed(spec, text, "let total", 5, "sum_pledged")
    assert "record.total == sum_pledged and sum_pledged >= target" in out


def test_rename_refuses_a_non_name_a_collision_and_a_position_on_nothing(pledge) -> None:
    from museslang.lsp.rename import RenameError, prepare, rename

    analysis, text = pledge

    def refused(needle: str, offset: int, new: str) -> str:
        with pytest.raises(RenameError) as caught:
            rename(analysis, *_line_col(text, needle, offset), new)
        return str(caught.value)

    assert "is not a name" in refused("def kept", 4, "2kept")
    assert "is not a name" in refused("def kept", 4, "and")  # an expression keyword
    assert "is not a name" in refused("def kept", 4, "kept here")
    assert refused("def kept", 4, "record").startswith("'record' already names the action record")
    assert "the built-in function floor" in refused("fact target", 5, "floor")
    assert "every episode's users" in refused("fact target", 5, "users")
    assert "'target' already names" in refused("let total", 5, "target")
    assert refused("user Ana", 5, "Ben").startswith("'Ben' already names the user Ben")
    assert "no name here that rename can change" in refused("told(v", 1, "said")
    assert "no name here" in refused("turns: addressed", 2, "x")
    # a fact a template reads: the template's `{{ pledge }}` has no position to edit
    templated = text.replace('"Hi, {{ name }} here."', '"Hi, {{ name }}: {{ pledge }}."')
    from museslang.lsp.analysis import analyse

    read = analyse(FIXTURES / "rename.muses", templated)
    with pytest.raises(RenameError, match="read by the `opening:` template"):
        rename(read, *_line_col(templated, "fact pledge", 5), "offer")
    looped = text.replace("play oracle {\n", 'play oracle {\n    tell: "{% for v in others %}'
                          '{{ v.pledge }}{% endfor %}"\n')  # fmt: skip
    read = analyse(FIXTURES / "rename.muses", looped)
    with pytest.raises(RenameError, match="read by the `play oracle's tell:` template"):
        rename(read, *_line_col(looped, "fact pledge", 5), "offer")
    # std's declarations are found, never renamed from here
    with pytest.raises(RenameError, match="not in this document"):
        prepare(analysis, *_line_col(text, "pool: office", 8))


def test_references_and_rename_of_users_across_uses_and_extends() -> None:
    from museslang.lsp.analysis import analyse

    spec = FIXTURES / "users.muses"
    text = spec.read_text()
    analysis = analyse(spec, text)
    assert _spans(analysis, text, "allow: [Ines]", 8) == [(13, 8, "Ines"), (15, 62, "Ines")]
    # ward_b's `user Tomas` overrides ward's: one name
    assert _spans(analysis, text, "user Tomas", 5) == [(14, 8, "Tomas"), (19, 8, "Tomas")]
    assert _spans(analysis, text, "uses: [record", 7) == [(7, 10, "record"), (11, 10, "record")]
    assert _spans(analysis, text, "extends ward", 9) == [(9, 10, "ward"), (18, 25, "ward")]
    assert _spans(analysis, text, "role nurse", 5) == [
        (6, 6, "nurse"), (7, 72, "nurse"), (13, 21, "nurse"), (14, 22, "nurse"),
    ]  # fmt: skip
    out = _renamed(spec, text, "user Tomas", 5, "Tom")
    assert "user Tom {" in out and "Tomas" not in out
    out = _renamed(spec, text, "extends ward", 9, "ward_a")
    assert "scenario ward_a " in out and "extends ward_a " in out
    from museslang.lsp.rename import RenameError, rename

    with pytest.raises(RenameError, match="'nurse' already names the role nurse"):
        rename(analysis, *_line_col(text, "user Tomas", 5), "nurse")
