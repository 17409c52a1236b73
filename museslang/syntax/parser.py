"""Parsing: text -> lark tree -> AST, with error recovery.

The LALR parser is driven token by token (lark's interactive parser). On a
syntax error the driver reports it in plain words, then recovers to the
innermost open block: it drops the half-written member and resumes at the next
line that starts a member, or at the block's closing brace. One mistake gives
one diagnostic, and the rest of the file is still parsed and checked. At end of
file, blocks left open are closed (and reported once), so a missing `}` does
not hide the semantic errors elsewhere.
"""

from __future__ import annotations

import re
from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedToken

from museslang.diagnostics import Diagnostics, Label
from museslang.parser_tables import lark_parser
from museslang.resources import grammar_path
from museslang.source import SourceFile, Span
from museslang.syntax import ast
from museslang.syntax.scanner import Scanner
from museslang.syntax.transformer import ToAst

MAX_SYNTAX_ERRORS = 25


@cache
def _lark() -> Lark:
    text = grammar_path().read_text(encoding="utf-8")
    return lark_parser(
        text, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=True
    )


@cache
def _scanner() -> Scanner:
    return Scanner(_lark())


# Plain words for each terminal, used in "expected ..." lists.
TERMINAL_WORDS: dict[str, str] = {
    "NAME": "a name",
    "STRING": "a string",
    "TEXT": "a text block",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "DURATION": "a duration",
    "TIME": "a time such as Tue 9:30",
    "IMPORT": "'import'",
    "AS": "'as'",
    "EXTENDS": "'extends'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COLON": "':'",
    "COMMA": "','",
    "DOTDOT": "'..'",
    "DOT": "'.'",
    "CMP": "a comparison such as >=",
    "$END": "end of file",
}
_VALUE_STARTS = {"STRING", "TEXT", "NUMBER", "PERCENT", "DURATION", "TIME", "NAME", "LSQB"}
_ORDER = list(TERMINAL_WORDS)
_KEYWORDS = {"IMPORT", "AS", "EXTENDS"}  # reserved only where their construct can start


def describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type in {"NAME", "NUMBER", "PERCENT", "DURATION", "TIME", "CMP"}:
        value = str(tok.value)
        return f"'{value[:40]}…'" if len(value) > 40 else f"'{value}'"
    if tok.type == "STRING":
        return "a string"
    if tok.type == "TEXT":
        return "a text block"
    return TERMINAL_WORDS.get(tok.type, repr(tok.value))


def describe_expected(expected: set[str]) -> str:
    # A place that takes any value lists "a value" once, not all its literal kinds.
    words: list[str] = []
    names = set(expected)
    if "NAME" in names:
        names -= _KEYWORDS  # keywords are names in most places
    if names >= _VALUE_STARTS:
        words.append("a value")
        names -= _VALUE_STARTS - {"NAME"}
        names.discard("NAME")
    for term in sorted(names, key=lambda t: _ORDER.index(t) if t in _ORDER else 99):
        words.append(TERMINAL_WORDS.get(term, term.lower()))
    if len(words) <= 1:
        return words[0] if words else "nothing"
    return ", ".join(words[:-1]) + " or " + words[-1]


def _tok_span(src: SourceFile, tok: Token) -> Span:
    if tok.type == "$END" or tok.line is None:
        return src.end_span()
    return Span(src.display, tok.line, tok.column, tok.end_line, tok.end_column)


MAX_NESTING = 64
_OPEN = {"LBRACE": "RBRACE", "LSQB": "RSQB", "LPAR": "RPAR"}
_CLOSE = frozenset(_OPEN.values())


def _flatten_deep(src: SourceFile, tokens: list[Token], diags: Diagnostics) -> list[Token]:
    """Drop whatever nests deeper than MAX_NESTING, with one error per dropped region.

    Every later stage walks the tree recursively; a value nested thousands deep
    (a fuzzer's favourite) would overflow Python's stack instead of being reported.
    The region goes from the too-deep opener to its closer, so `[[...]]` becomes `[]`
    and the rest of the file still parses and checks."""
    if sum(t.type in _OPEN for t in tokens) <= MAX_NESTING:
        return tokens
    out: list[Token] = []
    depth = 0
    skip_from: int | None = None  # depth at which the dropped region started
    for tok in tokens:
        if tok.type in _OPEN:
            depth += 1
            if skip_from is None and depth > MAX_NESTING:
                skip_from = depth
                diags.error(
                    "E005",
                    f"nesting deeper than {MAX_NESTING} levels",
                    _tok_span(src, tok),
                    hint="flatten the value; no declaration needs this depth",
                )
                continue
        elif tok.type in _CLOSE:
            depth = max(depth - 1, 0)
            if skip_from is not None:
                if depth < skip_from - 1:
                    skip_from = None
                else:
                    continue
        if skip_from is None:
            out.append(tok)
    return out


def parse_source(src: SourceFile, diags: Diagnostics) -> ast.Module:
    """Parse one file; syntax errors go to `diags`, the AST is as complete as recovery allows."""
    scanned = _scanner().scan(src, diags)
    scanned.tokens = _flatten_deep(src, scanned.tokens, diags)
    errors_before = len(diags.errors)
    driver = _Driver(src, diags, scanned.tokens, quiet_at_end=scanned.ran_off_end)
    tree = driver.run()
    module = ToAst(src).module(tree)
    module.comments = [
        ast.Comment(_tok_span(src, c), c.value[1:].rstrip()) for c in scanned.comments
    ]
    module.had_syntax_errors = len(diags.errors) > errors_before
    return module


class _Driver:
    def __init__(
        self, src: SourceFile, diags: Diagnostics, tokens: list[Token], quiet_at_end: bool = False
    ) -> None:
        self.src = src
        self.diags = diags
        self.tokens = tokens
        self.ip = _lark().parse_interactive("")
        self.state = self.ip.parser_state
        self.table = self.state.parse_conf.parse_table.states
        self.errors = 0
        self.quiet_at_end = quiet_at_end
        self.last_sync: int | None = None
        self.last_error_line: int | None = None

    def _accepts(self, term: str) -> bool:
        return term in self.table[self.state.position]

    def _feed(self, tok: Token) -> None:
        # Keywords are only reserved where they could start their construct:
        # elsewhere `import` / `as` / `extends` are ordinary names.
        if tok.type in _KEYWORDS and not self._accepts(tok.type) and self._accepts("NAME"):
            tok = Token(
                "NAME",
                tok.value,
                tok.start_pos,
                tok.line,
                tok.column,
                tok.end_line,
                tok.end_column,
                tok.end_pos,
            )
        self.state.feed_token(tok, tok.type == "$END")

    def run(self) -> Tree:
        i = 0
        tokens = self.tokens
        while i < len(tokens):
            tok = tokens[i]
            try:
                self._feed(tok)
                i += 1
            except UnexpectedToken as err:
                # one diagnostic per line: what follows a mistake on its own line
                # is usually a consequence of it
                if tok.line != self.last_error_line:
                    self._report(tok, err.expected)
                    self.last_error_line = tok.line
                if self.errors >= MAX_SYNTAX_ERRORS:
                    i = len(tokens)
                    break
                i = self._recover(i)
        return self._finish()

    # ---- end of file ----------------------------------------------------------
    def _finish(self) -> Tree:
        end_span = self.src.end_span()
        eof = Token(
            "$END",
            "",
            len(self.src.text),
            end_span.line,
            end_span.column,
            end_span.line,
            end_span.column,
            len(self.src.text),
        )
        reported = self.quiet_at_end
        for _ in range(10_000):
            try:
                result = self.state.feed_token(eof, True)
                if isinstance(result, Tree):
                    return result
            except UnexpectedToken as err:
                if not reported:
                    self._report(eof, err.expected)
                    reported = True
                if not self._repair_at_end(err.expected):
                    break
        return Tree("start", [])

    def _repair_at_end(self, expected: set[str]) -> bool:
        """Feed a closing token (or drop a dangling half-member) so the tree can complete."""
        pos = len(self.src.text)
        for closer, text in (("RBRACE", "}"), ("RSQB", "]"), ("RPAR", ")")):
            if closer in expected:
                # `expected` lists what the state's reductions might accept; only trying
                # a closer on a copy tells whether it really fits (`[[1` needs `]` first)
                trial = self.state.copy(deepcopy_values=False)
                try:
                    trial.feed_token(Token(closer, text, pos, 0, 0, 0, 0, pos))
                except UnexpectedToken:
                    continue
                self.state = trial
                return True
        # A member cut off half-way: drop it back to the enclosing block.
        return self._truncate_to_block()

    # ---- mid-file errors ---------------------------------------------------------
    def _recover(self, i: int) -> int:
        """Drop back to the innermost block and skip to where the next member starts:
        a name that begins a line, or the block's closing brace."""
        self._truncate_to_block()
        tokens = self.tokens
        depth = 0
        for j in range(i, len(tokens)):
            tok = tokens[j]
            if depth == 0:
                starts_line = j == 0 or tok.line > tokens[j - 1].end_line
                if tok.type == "RBRACE" and self._accepts("RBRACE"):
                    return j
                if tok.type in {"NAME", "IMPORT"} and starts_line and self.last_sync != j:
                    # never resume twice at the same token: that guarantees progress
                    self.last_sync = j
                    return j
            if tok.type in {"LBRACE", "LSQB", "LPAR"}:
                depth += 1
            elif tok.type in {"RBRACE", "RSQB", "RPAR"} and depth:
                depth -= 1
        return len(tokens)

    def _truncate_to_block(self) -> bool:
        """Cut the parser stacks back to the start of the current member."""
        values = self.state.value_stack
        states = self.state.state_stack
        keep = 0
        for idx in range(len(values) - 1, -1, -1):
            v = values[idx]
            if isinstance(v, Token) and v.type == "LBRACE":
                keep = idx + 1
                break
        # keep the complete members already reduced after that brace
        while (
            keep < len(values)
            and isinstance(values[keep], Tree)
            and (
                values[keep].data in {"field", "decl", "import_stmt"}
                or str(values[keep].data).startswith("__")
            )
        ):
            keep += 1
        del values[keep:]
        del states[keep + 1 :]
        return True

    # ---- messages --------------------------------------------------------------
    def _report(self, tok: Token, expected: set[str]) -> None:
        self.errors += 1
        span = _tok_span(self.src, tok)
        exp = {e for e in expected if e.isupper()}
        words = describe_expected(exp)
        if tok.type == "$END":
            opener = self._unclosed_opener()
            if opener is not None and "RBRACE" in exp:
                what = self._block_title(opener)
                self.diags.error(
                    "E003",
                    f"unexpected end of file: the '{{' of {what} is never closed",
                    span,
                    hint=f"add '}}' to close {what}",
                    labels=[Label(_tok_span(self.src, opener), "this '{' is not closed")],
                )
            else:
                self.diags.error(
                    "E003",
                    f"unexpected end of file; expected {words}",
                    span,
                    hint="the file ends in the middle of a declaration",
                )
            return
        message = f"unexpected {describe_token(tok)}; expected {words}"
        hint = None
        prev = self._previous(tok)
        if ("COLON" in exp and tok.type in _VALUE_STARTS - {"NAME"}) or (
            "COLON" in exp and tok.type == "NAME" and "LBRACE" in exp
        ):
            hint = "a field is written `name: value`; add ':' after the field name"
        elif tok.type == "RBRACE" and exp >= _VALUE_STARTS:
            message = f"missing value before '}}'; expected {words}"
            hint = "give the field a value, or delete it"
        elif _looks_like_a_time(prev, tok):
            hint = (
                "a slot is written `Tue 9:30`: a three-letter day and a 24-hour time with ':' "
                "(`Tue 9.30` -> `Tue 9:30`, `Tue 2pm` -> `Tue 14:00`)"
            )
        elif exp & {"COMMA", "RSQB"} == {"COMMA", "RSQB"} and tok.type in _VALUE_STARTS:
            hint = "separate list items with ','"
        elif prev is not None and prev.type == "COLON" and tok.type in {"COLON", "RBRACE"}:
            hint = "give the field a value"
        elif tok.type == "NAME" and "LBRACE" in exp and prev is not None and prev.type == "STRING":
            hint = "a field is written `name: value`; add ':' after the field name"
        elif tok.type == "EXTENDS" and prev is not None and prev.type == "STRING":
            hint = 'the parent comes before the title: `scenario B extends A "Title" {`'
        elif tok.type == "CMP":
            hint = "a comparison has one operator and a value: write `authority >= 5`"
        self.diags.error("E001", message, span, hint=hint)

    def _previous(self, tok: Token) -> Token | None:
        prev = None
        for t in self.tokens:
            if t.start_pos >= tok.start_pos:
                break
            prev = t
        return prev

    def _unclosed_opener(self) -> Token | None:
        """Guess which '{' was left open: the innermost one whose block ends at a
        '}' indented less than its own line (the brace that '}' was meant for
        was never written), else the outermost one still open."""
        stack: list[Token] = []
        suspect: Token | None = None
        for tok in self.tokens:
            if tok.type == "LBRACE":
                stack.append(tok)
            elif tok.type == "RBRACE" and stack:
                opener = stack.pop()
                if self._indent(tok.line) < self._indent(opener.line) and suspect is None:
                    suspect = opener
        if suspect is not None:
            return suspect
        return stack[0] if stack else None

    def _indent(self, line: int) -> int:
        text = self.src.line(line)
        return len(text) - len(text.lstrip())

    def _block_title(self, opener: Token) -> str:
        words = []
        for t in self.tokens:
            if t.start_pos >= opener.start_pos:
                break
            if t.line == opener.line and t.type in {"NAME", "STRING"}:
                words.append(t.value)
        title = " ".join(words).strip()
        return f"'{title}' (line {opener.line})" if title else f"the block at line {opener.line}"


_DAYS = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)(day|sday|nesday|rsday|urday)?\.?", re.IGNORECASE)
_AM_PM = re.compile(r"(a|p)\.?m\.?|h|hrs?", re.IGNORECASE)


def _looks_like_a_time(prev: Token | None, tok: Token) -> bool:
    """`Tue 9.30`, `Tuesday 9:30`, `Tue 10:00am`: someone writing a slot another way."""
    if prev is None:
        return False
    after_day = prev.type == "NAME" and _DAYS.fullmatch(str(prev)) is not None
    if after_day and tok.type in {"NUMBER", "COLON"}:
        return True
    return (
        prev.type in {"TIME", "NUMBER"} and tok.type == "NAME" and bool(_AM_PM.fullmatch(str(tok)))
    )
