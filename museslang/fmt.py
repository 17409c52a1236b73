"""`museslang fmt`: one canonical layout for every spec, comments kept.

The layout: imports first, one per line; one blank line between top-level
declarations; two-space indentation; one member per line in a block (a
declaration written on one line stays on one line while it fits); lists, calls
and objects inline up to 100 columns, otherwise one item per line with a
trailing comma; field commas dropped; at most one blank line where the source
had any. Literals are written exactly as they were (quotes, escapes, text
blocks, `30%`, `Tue 9:30`), so no value can change. Comments stay with the
member they precede, or at the end of the line they ended.

Formatting is checked before anything is written: the result must parse, and
its tokens (less commas) must equal the original's. A file with syntax errors
is not formatted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from museslang.diagnostics import Diagnostics
from museslang.source import SourceFile
from museslang.syntax import ast
from museslang.syntax.literals import text_block_value
from museslang.syntax.parser import _scanner, parse_source
from museslang.syntax.writer import text_block

WIDTH = 100
INDENT = "  "
SHORT = 24  # list items up to this long are packed several to a line (names, roles)
_SCALARS = (ast.Str, ast.Number, ast.Percent, ast.Duration, ast.Time, ast.Ref)


class FormatError(RuntimeError):
    """The formatter would have changed the file's meaning; nothing is written."""


@dataclass
class _Printer:
    src: SourceFile
    comments: list[ast.Comment]
    out: list[str] = field(default_factory=list)
    next_comment: int = 0
    last_line: int = 0  # last source line accounted for (for blank-line preservation)
    trailing: dict[int, str] = field(default_factory=dict)  # output line -> its end comment

    # ---- comments and blank lines ------------------------------------------------
    def _leading(self, line: int, depth: int) -> None:
        """Comments before source line `line`, each on its own line."""
        while self.next_comment < len(self.comments):
            c = self.comments[self.next_comment]
            if c.span.line >= line:
                break
            self._gap(c.span.line)
            self.out.append(INDENT * depth + "#" + c.text)
            self.last_line = c.span.line
            self.next_comment += 1

    def _trailing(self, line: int) -> None:
        """A comment that ends source line `line` goes at the end of the last line out."""
        if self.next_comment < len(self.comments):
            c = self.comments[self.next_comment]
            if c.span.line == line:
                self.trailing[len(self.out) - 1] = c.text
                self.next_comment += 1

    def _gap(self, line: int) -> None:
        """One blank line where the source had at least one (never right after a '{')."""
        gap = self.last_line and line - self.last_line > 1
        if gap and self.out and self.out[-1].strip() and not self.out[-1].endswith("{"):
            self.out.append("")

    # ---- values ------------------------------------------------------------------
    def raw(self, node: ast.Node) -> str:
        s = node.span
        lines = self.src.lines
        if s.line == s.end_line:
            return lines[s.line - 1][s.column - 1 : s.end_column - 1]
        parts = [lines[s.line - 1][s.column - 1 :]]
        parts += lines[s.line : s.end_line - 1]
        parts.append(lines[s.end_line - 1][: s.end_column - 1])
        return "\n".join(parts)

    def value(self, v: ast.Value, col: int, depth: int) -> str:
        """`v` written starting at column `col` of a line indented `depth` levels."""
        if isinstance(v, ast.Str) and v.block:
            # re-indented to where it now stands, when a block can hold the text exactly
            return text_block(v.value, INDENT * depth) or self.raw(v)
        inline = self.inline(v)
        if "\n" not in inline and col + len(inline) <= WIDTH:
            return inline
        inner = INDENT * (depth + 1)
        if isinstance(v, ast.ListValue) and v.items:
            if all(isinstance(i, _SCALARS) and len(self.inline(i)) <= SHORT for i in v.items):
                return "[\n" + "\n".join(self._filled(v.items, inner)) + "\n" + INDENT * depth + "]"
            items = [inner + self.value(i, len(inner), depth + 1) + "," for i in v.items]
            return "[\n" + "\n".join(items) + "\n" + INDENT * depth + "]"
        if isinstance(v, ast.Call) and v.args:
            args = [inner + self.arg(a, len(inner), depth + 1) + "," for a in v.args]
            return f"{v.func.dotted}(\n" + "\n".join(args) + "\n" + INDENT * depth + ")"
        if isinstance(v, ast.Object) and v.fields:
            fields = [inner + self.field_text(f, depth + 1) for f in v.fields]
            return "{\n" + "\n".join(fields) + "\n" + INDENT * depth + "}"
        return inline  # a long string or a text block: written as it was

    def _filled(self, items: tuple[ast.Value, ...], inner: str) -> list[str]:
        """Short literals packed several to a line, as people write name lists."""
        lines: list[str] = []
        line = inner
        for item in items:
            text = self.inline(item) + ","
            if line.strip() and len(line) + 1 + len(text) > WIDTH:
                lines.append(line)
                line = inner
            line = line + (" " if line.strip() else "") + text
        lines.append(line)
        return lines

    def arg(self, a: ast.Arg, col: int, depth: int) -> str:
        if a.name is None:
            return self.value(a.value, col, depth)
        head = f"{a.name.name}: "
        return head + self.value(a.value, col + len(head), depth)

    def inline(self, v: ast.Value) -> str:
        if isinstance(v, ast.ListValue):
            return "[" + ", ".join(self.inline(i) for i in v.items) + "]"
        if isinstance(v, ast.Call):
            args = [(f"{a.name.name}: " if a.name else "") + self.inline(a.value) for a in v.args]
            return f"{v.func.dotted}({', '.join(args)})"
        if isinstance(v, ast.Object):
            if not v.fields:
                return "{}"
            return (
                "{ " + "  ".join(f"{f.key.name}: {self.inline(f.value)}" for f in v.fields) + " }"
            )
        if isinstance(v, ast.Range):
            return f"{self.inline(v.low)}..{self.inline(v.high)}"
        if isinstance(v, ast.Compare):
            return f"{v.left.dotted} {v.op} {self.inline(v.right)}"
        if isinstance(v, ast.Ref):
            return v.dotted
        return self.raw(v)  # literals exactly as written

    def field_text(self, f: ast.Field, depth: int) -> str:
        head = f"{f.key.name}: "
        return head + self.value(f.value, len(INDENT * depth) + len(head), depth)

    # ---- structure ---------------------------------------------------------------
    def member(self, m: ast.Field | ast.Decl, depth: int) -> None:
        self._leading(m.span.line, depth)
        self._gap(m.span.line)
        if isinstance(m, ast.Decl):
            self.decl(m, depth)
        else:
            self.out.extend((INDENT * depth + self.field_text(m, depth)).split("\n"))
            self.last_line = m.span.end_line
            self._trailing(m.span.end_line)

    def head(self, d: ast.Decl) -> str:
        parts = [d.kind.name]
        if d.name:
            parts.append(d.name.name)
        if d.parent:
            parts += ["extends", d.parent.dotted]
        if d.label:
            parts.append(self.raw(d.label))
        return " ".join(parts)

    def decl(self, d: ast.Decl, depth: int) -> None:
        members = sorted([*d.fields, *d.children], key=lambda m: (m.span.line, m.span.column))
        pad = INDENT * depth
        if not members:
            self.out.append(f"{pad}{self.head(d)} {{}}")
        elif self._one_line(d, members, depth):
            body = "  ".join(self.field_text(f, depth) for f in members)  # type: ignore[arg-type]
            self.out.append(f"{pad}{self.head(d)} {{ {body} }}")
        else:
            self.out.append(f"{pad}{self.head(d)} {{")
            self._trailing(d.head.end_line if d.head.end_line == d.span.line else d.span.line)
            self.last_line = d.span.line
            for m in members:
                self.member(m, depth + 1)
            self._leading(d.span.end_line, depth + 1)
            self.out.append(pad + "}")
        self.last_line = d.span.end_line
        self._trailing(d.span.end_line)

    def _one_line(self, d: ast.Decl, members: list, depth: int) -> bool:
        if d.span.line != d.span.end_line or d.children:
            return False
        body = "  ".join(self.field_text(f, depth) for f in members)
        line = f"{INDENT * depth}{self.head(d)} {{ {body} }}"
        return "\n" not in line and len(line) <= WIDTH

    def module(self, module: ast.Module) -> str:
        items = sorted([*module.imports, *module.decls], key=lambda i: i.span.line)
        previous: ast.Node | None = None
        for item in items:
            # imports stay together; a blank line after them and around any declaration
            # that takes several lines; elsewhere, the source's blank lines (at most one)
            apart = previous is not None and (
                isinstance(previous, ast.Import) != isinstance(item, ast.Import)
                or _tall(previous)
                or _tall(item)
            )
            if apart and self.out and self.out[-1] != "":
                self.out.append("")
            self._leading(item.span.line, 0)
            self._gap(item.span.line)
            if isinstance(item, ast.Import):
                self.out.append(self.import_text(item))
                self.last_line = item.span.end_line
                self._trailing(item.span.end_line)
            else:
                self.decl(item, 0)
            previous = item
        self._leading(10**9, 0)
        while self.out and self.out[-1] == "":
            self.out.pop()
        self._align_trailing()
        return "\n".join(self.out) + "\n" if self.out else ""

    def _align_trailing(self) -> None:
        """End-of-line comments on consecutive lines start in one column."""
        rows = sorted(self.trailing)
        group: list[int] = []
        for i, row in enumerate(rows):
            group.append(row)
            if i + 1 == len(rows) or rows[i + 1] != row + 1:
                column = max(len(self.out[r]) for r in group) + 2
                for r in group:
                    self.out[r] = self.out[r].ljust(column) + "#" + self.trailing[r]
                group = []

    def import_text(self, imp: ast.Import) -> str:
        target = self.raw_span(imp.target_span)
        alias = f" as {imp.alias.name}" if imp.alias else ""
        return f"import {target}{alias}"

    def raw_span(self, span) -> str:
        return self.src.lines[span.line - 1][span.column - 1 : span.end_column - 1]


def _tall(node: ast.Node) -> bool:
    """A declaration written over several lines (it gets blank lines around it)."""
    return isinstance(node, ast.Decl) and node.span.line != node.span.end_line


def _meaning(src: SourceFile) -> list[tuple[str, str]]:
    """The token stream less commas: what the parser turns into the AST."""
    scanned = _scanner().scan(src, Diagnostics())
    return [
        (t.type, text_block_value(t.value) if t.type == "TEXT" else str(t.value))
        for t in scanned.tokens
        if t.type != "COMMA"
    ]


def format_source(src: SourceFile, diags: Diagnostics) -> str | None:
    """The canonical text, or None when the file has syntax errors (in `diags`)."""
    module = parse_source(src, diags)
    if module.had_syntax_errors or diags.has_errors:
        return None
    comments = sorted(module.comments, key=lambda c: (c.span.line, c.span.column))
    text = _Printer(src, comments).module(module)
    again = SourceFile(src.path, src.display, text)
    check = Diagnostics()
    reparsed = parse_source(again, check)
    if check.has_errors or reparsed.had_syntax_errors or _meaning(again) != _meaning(src):
        raise FormatError(f"formatting {src.display} would change it; the file is left as it is")
    if len(reparsed.comments) != len(module.comments):
        raise FormatError(f"formatting {src.display} would lose a comment; left as it is")
    return text


def canonical(text: str, name: str = "<generated>") -> str:
    """`text` in the canonical layout; as it is when it cannot be formatted (never raises).

    For source that museslang writes itself (imports), so that `fmt --check` is clean
    on it from the start."""
    try:
        formatted = format_source(SourceFile(Path(name), name, text), Diagnostics())
    except FormatError:
        return text
    return formatted if formatted is not None else text
