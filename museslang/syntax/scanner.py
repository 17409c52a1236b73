"""The tokenizer, built from the grammar's own terminal definitions.

Lark's lexer stops at the first bad character; a language tool must report it
and keep going. So museslang scans with the grammar's terminals itself (same
priority order as lark's basic lexer), turns bad characters and unterminated
strings into diagnostics, and hands lark `Token`s to the LALR parser.
Comments are kept (for `fmt`) instead of being thrown away.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from lark import Lark, Token

from museslang.diagnostics import Diagnostics
from museslang.source import MAX_SOURCE_TOKENS, SourceFile, Span
from museslang.syntax.literals import bad_escape, lone_surrogate

IGNORED = {"WS", "COMMENT"}
# bad characters, unterminated strings ... before scanning stops: the stop is the 100th
# diagnostic of the file, the last one shown (MAX_PER_FILE)
MAX_BAD_INPUT = 99


@dataclass
class ScanResult:
    tokens: list[Token]
    comments: list[Token] = field(default_factory=list)
    # an unterminated text block ran to the end of the file: what the parser
    # then finds missing at the end is a consequence, not a second mistake
    ran_off_end: bool = False


class Scanner:
    def __init__(self, lark: Lark) -> None:
        terms = sorted(
            lark.terminals,
            key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
        )
        name_re = next(t for t in terms if t.name == "NAME").pattern.to_regexp()
        self.keywords: dict[str, str] = {}
        parts = []
        for term in terms:
            regexp = term.pattern.to_regexp()
            if term.pattern.type == "str" and re.fullmatch(name_re, term.pattern.value):
                self.keywords[term.pattern.value] = term.name
                continue
            parts.append(f"(?P<{term.name}>{regexp})")
        self._regex = re.compile("|".join(parts))

    def scan(self, src: SourceFile, diags: Diagnostics) -> ScanResult:
        text = src.text
        starts = [0] + [m.end() for m in re.finditer("\n", text)]

        def where(pos: int) -> tuple[int, int]:
            line = bisect_right(starts, pos)
            return line, pos - starts[line - 1] + 1

        def stop(code: str, message: str, hint: str) -> None:
            line, col = where(pos)
            diags.error(code, message, Span(src.display, line, col, line, col + 1), hint=hint)

        result = ScanResult(tokens=[])
        pos, n = 0, len(text)
        match = self._regex.match
        skipped = 0
        while pos < n:
            if len(result.tokens) >= MAX_SOURCE_TOKENS:
                stop("E006", f"the file is over the limit of {MAX_SOURCE_TOKENS:,} tokens",
                     "split it into modules, or fewer scenarios per file")  # fmt: skip
                return ScanResult(tokens=[], ran_off_end=True)
            m = match(text, pos)
            if m is None or m.end() == pos:
                skipped += 1
                if skipped > MAX_BAD_INPUT:  # 10 MB of noise: the first ones say it all
                    why = f"stopped reading after {MAX_BAD_INPUT} characters that start no token"
                    stop("E002", why, "is this a .muses file? fix the errors shown first")
                    result.ran_off_end = True
                    return result
                pos = self._bad_input(src, text, pos, where, diags, result)
                continue
            kind = m.lastgroup or ""
            value = m.group()
            end = m.end()
            if kind in IGNORED:
                if kind == "COMMENT":
                    result.comments.append(self._token(kind, value, pos, end, where))
                pos = end
                continue
            if kind == "STRING" and value == '""' and text.startswith('"""', pos):
                # `"""` with no closing `"""`: TEXT failed and STRING matched `""`.
                pos = self._bad_input(src, text, pos, where, diags, result)
                continue
            if kind == "NAME" and value in self.keywords:
                kind = self.keywords[value]
            if kind == "STRING" and "\\" in value and (bad := bad_escape(value)) is not None:
                line, col = where(pos + bad)
                shown = value[bad : bad + 2]
                if shown == "\\u":  # \u and the hex digits that follow it
                    shown += re.match(r"[0-9a-fA-F]{0,3}", value[bad + 2 :])[0]  # type: ignore[index]
                diags.error(
                    "E002",
                    f"invalid escape '{shown}'",
                    Span(src.display, line, col, line, col + len(shown)),
                    hint='a string\'s escapes are \\" \\\\ \\n \\t \\r \\0 and \\uXXXX; '
                    "write \\\\ for a backslash",
                )
            elif kind == "STRING" and (bad := lone_surrogate(value)) is not None:
                line, col = where(pos + bad)
                diags.error(
                    "E002",
                    f"invalid escape '{value[bad : bad + 6]}': half of a surrogate pair",
                    Span(src.display, line, col, line, col + 6),
                    hint="write the character itself, or both halves of the pair (\\uD83D\\uDE00)",
                )
            result.tokens.append(self._token(kind, value, pos, end, where))
            pos = end
        return result

    @staticmethod
    def _token(kind: str, value: str, start: int, end: int, where) -> Token:
        line, col = where(start)
        end_line, end_col = where(end)
        return Token(kind, value, start, line, col, end_line, end_col, end)

    def _bad_input(
        self, src: SourceFile, text: str, pos: int, where, diags: Diagnostics, out: ScanResult
    ) -> int:
        """Report the bad input at `pos` and return where scanning resumes.

        A malformed string or word still stands for a value, so a placeholder
        token takes its place and the parser does not report a second error.
        """
        line, col = where(pos)
        if text.startswith('"""', pos):
            span = Span(src.display, line, col, line, col + 3)
            diags.error(
                "E004",
                "unterminated text block",
                span,
                hint='close the text block with """',
            )
            out.tokens.append(self._token("TEXT", '""""""', pos, pos + 3, where))
            out.ran_off_end = True
            return len(text)
        if text[pos] == '"':
            eol = text.find("\n", pos)
            eol = len(text) if eol < 0 else eol
            span = Span(src.display, line, col, line, col + max(1, eol - pos))
            diags.error(
                "E004",
                "unterminated string",
                span,
                hint='close the string with " on the same line, or use a """text block""" '
                "for text that spans lines",
            )
            out.tokens.append(self._token("STRING", '""', pos, eol, where))
            return eol
        ch = text[pos]
        shown = repr(ch)[1:-1] if not ch.isprintable() else ch
        span = Span(src.display, line, col, line, col + 1)
        hint = None
        if ch in "'`":
            hint = 'strings use double quotes: "like this"'
        elif ch == ";":
            hint = "fields need no terminator: put each `name: value` on its own line"
        elif ch == "=":
            hint = "fields are written `name: value`"
        elif ch.isdigit():
            hint = "a number cannot run into letters; durations are written like 30m, 2h, 45s"
        if text.startswith(("//", "/*"), pos):
            # a comment in another language's syntax: one error for the rest of the line
            eol = text.find("\n", pos)
            eol = len(text) if eol < 0 else eol
            span = Span(src.display, line, col, line, col + 2)
            diags.error("E002", f"unexpected '{text[pos:pos + 2]}'", span,
                        hint="comments start with #")  # fmt: skip
            return eol
        end = pos + 1
        if ch.isdigit():
            # a malformed number: one diagnostic for the whole word, and a
            # placeholder so the parser sees a value where one was meant
            while end < len(text) and (text[end].isalnum() or text[end] in "_.%"):
                end += 1
            word = text[pos:end]
            span = Span(src.display, line, col, line, col + len(word))
            diags.error("E002", f"malformed number '{word}'", span, hint=hint)
            out.tokens.append(self._token("NUMBER", "0", pos, end, where))
            return end
        diags.error("E002", f"unexpected character '{shown}'", span, hint=hint)
        return end
