"""The Pygments lexer and the TextMate grammar stay in step with grammars/muses.lark: every
shipped spec is tokenised by all three, and each grammar token must start a highlighted
token of the matching class."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pygments import lex
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String

from museslang.diagnostics import Diagnostics
from museslang.highlight import MusesLexer
from museslang.source import SourceFile
from museslang.syntax.parser import _lark, parse_source

ROOT = Path(__file__).resolve().parent.parent
TEXTMATE = ROOT / "editors" / "vscode" / "syntaxes" / "muses.tmLanguage.json"

# one snippet with every terminal of the grammar, comments included
EVERY_TOKEN = '''import std.identity as ident
import "./people.muses"
# a comment
scenario s "label" {
  family: meeting
  objective: """
    a text block
    """
  calendar: ident.workweek
  user A { prefers: [Tue 9:30, Wed 10:00]  authority: 7  wait: 30m }
  resource r { allow: [role("IT"), authority >= 5, everyone]  share: 30% }
  population { preferred: 3..8  required: 30%..70%  weight: -1.5 }
}
scenario t extends ident.s "other" { }
'''

PYGMENTS_FOR = {
    "TIME": {Number.Other},
    "DURATION": {Number.Float},
    "PERCENT": {Number.Float},
    "NUMBER": {Number},
    "TEXT": {String.Doc},
    "STRING": {String.Double},
    "IMPORT": {Keyword.Namespace},
    "AS": {Keyword.Namespace},
    "EXTENDS": {Keyword},
    "NAME": {
        Keyword.Declaration,
        Name.Class,
        Name.Attribute,
        Name.Function,
        Keyword.Constant,
        Name,
    },
    "CMP": {Operator},
    "DOTDOT": {Operator},
}
TEXTMATE_FOR = {
    "TIME": "constant.numeric.time",
    "DURATION": "constant.numeric.duration",
    "PERCENT": "constant.numeric.percent",
    "NUMBER": "constant.numeric",
    "TEXT": "string.quoted.triple",
    "STRING": "string.quoted.double",
    "IMPORT": "keyword.control.import",
    "AS": "keyword.control.import",
    "EXTENDS": "keyword.other.extends",
    "NAME": ("keyword.declaration", "entity.name", "variable.other", "constant.language"),
    "CMP": "keyword.operator.comparison",
    "DOTDOT": "keyword.operator.range",
}


def shipped() -> list[Path]:
    """Every .muses file of the project that parses."""
    patterns = ("specs/*.muses", "stdlib/*.muses", "tests/golden/**/*.muses",
                "tests/fixtures/**/*.muses")  # fmt: skip
    files = [path for pattern in patterns for path in ROOT.glob(pattern)]
    good = []
    for path in sorted(files):
        text = path.read_text(encoding="utf-8")
        diags = Diagnostics()
        module = parse_source(SourceFile(path, path.name, text), diags)
        if not module.had_syntax_errors and not diags.has_errors:
            good.append(path)
    return good


def grammar_tokens(text: str) -> list[tuple[str, int, str]]:
    return [(t.type, t.start_pos, str(t)) for t in _lark().lex(text)]


def pygments_starts(text: str) -> dict[int, object]:
    starts: dict[int, object] = {}
    offset = 0
    for kind, value in lex(text, MusesLexer()):
        assert kind is not Error, f"the lexer cannot read {value!r} at {offset}"
        if value.strip():
            starts.setdefault(offset + len(value) - len(value.lstrip()), kind)
        offset += len(value)
    return starts


def textmate_scopes(text: str) -> dict[int, str]:
    """A small TextMate engine: per line, the pattern whose match starts first wins (ties:
    the first listed); begin/end rules span lines. Scope of each match's start offset."""
    patterns = json.loads(TEXTMATE.read_text())["patterns"]
    compiled = [(p, re.compile(p.get("match") or p["begin"])) for p in patterns]
    scopes: dict[int, str] = {}
    pos = 0
    while pos < len(text):
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end + 1
        best = None
        for p, rx in compiled:
            m = rx.search(text, pos, line_end)
            if m and m.end() > m.start() and (best is None or m.start() < best[1].start()):
                best = (p, m)
        if best is None:
            pos = line_end
            continue
        p, m = best
        if "begin" in p:
            end = re.compile(p["end"]).search(text, m.end())
            scopes[m.start()] = p["name"]
            pos = end.end() if end else len(text)
            continue
        if "captures" in p:
            for group, cap in p["captures"].items():
                if m.group(int(group)):
                    scopes[m.start(int(group))] = cap["name"]
        else:
            scopes[m.start()] = p["name"]
        pos = m.end()
    return scopes


@pytest.mark.parametrize("path", shipped(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_spec_highlights_token_for_token(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    starts = pygments_starts(text)
    scopes = textmate_scopes(text)
    for kind, at, value in grammar_tokens(text):
        got = starts.get(at)
        assert got is not None, f"{path.name}: {kind} {value!r} at {at} starts no Pygments token"
        assert got in PYGMENTS_FOR.get(kind, {Punctuation}), (path.name, kind, value, got)
        scope = scopes.get(at)
        if kind in TEXTMATE_FOR or kind != "NAME":
            want = TEXTMATE_FOR.get(kind, "punctuation")
            assert scope is not None and scope.startswith(want), (path.name, kind, value, scope)


def test_every_terminal_of_the_grammar_is_covered() -> None:
    terminals = {t.name for t in _lark().terminals} - {"WS", "COMMENT"}
    seen = {kind for kind, _, _ in grammar_tokens(EVERY_TOKEN)}
    assert terminals <= seen, f"the snippet misses {terminals - seen}"
    starts = pygments_starts(EVERY_TOKEN)
    scopes = textmate_scopes(EVERY_TOKEN)
    for kind, at, value in grammar_tokens(EVERY_TOKEN):
        assert starts[at] in PYGMENTS_FOR.get(kind, {Punctuation}), (kind, value, starts[at])
        want = TEXTMATE_FOR.get(kind, "punctuation")
        assert scopes[at].startswith(want), (kind, value, scopes[at])
    comment = EVERY_TOKEN.index("# a comment")
    assert starts[comment] is Comment.Single
    assert scopes[comment].startswith("comment.line")
    # the structure the highlighting reads: kinds, names, fields and calls
    head = EVERY_TOKEN.index("scenario s")
    assert starts[head] is Keyword.Declaration and starts[head + 9] is Name.Class
    assert scopes[head] == "keyword.declaration.muses"
    field = EVERY_TOKEN.index("family:")
    assert starts[field] is Name.Attribute
    assert scopes[field] == "variable.other.property.muses"
    call = EVERY_TOKEN.index('role("IT")')
    assert starts[call] is Name.Function and scopes[call] == "entity.name.function.muses"


def test_the_lexer_is_registered_with_pygments() -> None:
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    assert isinstance(get_lexer_by_name("muses"), MusesLexer)
    assert isinstance(get_lexer_for_filename("meeting.muses"), MusesLexer)


def test_the_vscode_extension_names_the_grammar_and_the_server() -> None:
    folder = ROOT / "editors" / "vscode"
    package = json.loads((folder / "package.json").read_text())
    (language,) = package["contributes"]["languages"]
    assert language["id"] == "muses" and ".muses" in language["extensions"]
    (grammar,) = package["contributes"]["grammars"]
    assert (folder / grammar["path"]).resolve() == TEXTMATE.resolve()
    assert (folder / language["configuration"]).is_file()
    assert "museslang" in (folder / package["main"]).read_text()
    assert re.search(r"\blsp\b", (folder / package["main"]).read_text())
