"""A Pygments lexer for `.muses`, registered under the entry point `pygments.lexers`
(`pygmentize -l muses`, Sphinx and MkDocs code blocks, `rich`).

It follows `grammars/muses.lark` token for token (tests/test_highlight.py tokenises
every shipped spec with both and compares): the terminals' own patterns, tried in the
grammar's priority order, and one reading the grammar makes structural — the name that
opens a declaration (`KIND [NAME] ["label"] {`) is a keyword, the name before a `:` is a
field, the name before a `(` is a call. Which kinds and fields exist is the checker's
business, so the lexer never lists them and needs no update when a kind is added.
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, default
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

__all__ = ["MusesLexer"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_STRING = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
_LABEL = (Whitespace, String.Double, Whitespace)  # [ "label" ] before the `{`


class MusesLexer(RegexLexer):
    name = "museslang"
    aliases: ClassVar[list[str]] = ["muses", "museslang"]
    filenames: ClassVar[list[str]] = ["*.muses"]
    mimetypes: ClassVar[list[str]] = ["text/x-muses"]
    url = "https://github.com/museslang/museslang"

    tokens: ClassVar[dict[str, list]] = {
        "root": [
            (r"[ \t\r\n\f]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"""[\s\S]*?"""', String.Doc),
            (_STRING, String.Double),
            # TIME (priority 4), then DURATION and PERCENT (3), then NUMBER (2)
            (r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[ \t]+[0-9]{1,2}:[0-9]{2}(?![0-9])", Number.Other),
            (r"[0-9]+(\.[0-9]+)?(ms|s|m|h|d)(?![A-Za-z0-9_])", Number.Float),
            (r"[0-9]+(\.[0-9]+)?%", Number.Float),
            (r"-?[0-9]+(\.[0-9]+)?(?![0-9A-Za-z_])", Number),
            (r"(import|as)\b", Keyword.Namespace),
            # a declaration that extends another: KIND NAME extends PARENT ...
            (
                rf"({_NAME})(\s+)({_NAME})(\s+)(extends)\b",
                bygroups(Keyword.Declaration, Whitespace, Name.Class, Whitespace, Keyword),
                "parent",
            ),
            # a declaration: KIND [NAME] ["label"] {
            (
                rf"({_NAME})(\s+)({_NAME})(\s*)({_STRING})?(\s*)(?=\{{)",
                bygroups(Keyword.Declaration, Whitespace, Name.Class, *_LABEL),
            ),
            (
                rf"({_NAME})(\s*)({_STRING})?(\s*)(?=\{{)",
                bygroups(Keyword.Declaration, *_LABEL),
            ),
            (rf"{_NAME}(?=\s*:)", Name.Attribute),
            (rf"{_NAME}(?=\s*\()", Name.Function),
            (r"(true|false|everyone)\b", Keyword.Constant),
            (_NAME, Name),
            (r">=|<=|==|!=|>|<", Operator),
            (r"\.\.", Operator),
            (r"[{}\[\]():,.]", Punctuation),
            (r".", Error),  # nothing the grammar accepts reaches here
        ],
        # the (dotted) name after `extends`
        "parent": [
            (r"[ \t]+", Whitespace),
            (_NAME, Name.Class),
            (r"\.", Punctuation),
            default("#pop"),
        ],
    }
