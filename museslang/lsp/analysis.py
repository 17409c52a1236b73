"""What an editor asks of a spec, answered from one check of its current text.

`analyse` runs the checker on the editor's text (the file on disk is not read for the
open document; its imports are) and keeps what the answers need: the diagnostics, every
declaration and every resolved reference with their spans, and the checked entities.
Everything here is plain data and pure functions over it, so the language server only
translates positions and the tests need no editor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museslang.diagnostics import Diagnostic, Diagnostics
from museslang.semantics.check import CheckedProgram, check_file
from museslang.semantics.types import Symbol
from museslang.source import Span
from museslang.syntax import ast


@dataclass
class Analysis:
    """One check of one document: its diagnostics, and what its names point at."""

    path: Path
    text: str
    diagnostics: list[Diagnostic]
    checked: CheckedProgram | None
    references: list[tuple[Span, Symbol]] = field(default_factory=list)
    symbols: list[Symbol] = field(default_factory=list)

    @property
    def display(self) -> str:
        """The name the checker gives the document in spans."""
        if self.checked is None:
            return str(self.path)
        return self.checked.program.main

    def file_of(self, span: Span) -> Path | None:
        """The file a span is in (the document itself, an imported module or std)."""
        if self.checked is None:
            return None
        source = self.checked.program.sources.get(span.file)
        return source.path if source is not None else None

    def module(self) -> ast.Module | None:
        if self.checked is None:
            return None
        mod = self.checked.program.modules.get(self.checked.program.main)
        return mod.ast if mod is not None else None


def analyse(path: Path, text: str, gate: bool = False) -> Analysis:
    """Check `text` as the contents of `path`; with `gate` (a save: the file on disk holds
    `text`), compile it and play every episode with the oracle, as `museslang check` does."""
    try:
        if gate:
            from museslang.compiler import compile_path
            from museslang.gate import oracle_gate

            result = compile_path(path)
            if result.compiled is not None:
                oracle_gate(result)
            diags, checked = result.diagnostics, result.checked
        else:
            diags = Diagnostics()
            checked = check_file(path, diags, text)
    except RecursionError:
        diags = Diagnostics()
        diags.error("E005", "the input nests too deeply to check", None)
        return Analysis(path, text, diags.sorted(), None)
    assert checked is not None  # a compile always checks first
    return Analysis(path, text, diags.sorted(), checked, list(checked.references),
                    list(checked.symbols))  # fmt: skip


def contains(span: Span, line: int, column: int) -> bool:
    """Whether the 1-based (line, column) is inside the span (its end included, so that a
    cursor just after a name still finds it)."""
    if (line, column) < (span.line, span.column):
        return False
    return (line, column) <= (span.end_line, span.end_column)


def symbol_at(analysis: Analysis, line: int, column: int) -> tuple[Symbol, Span] | None:
    """The declaration named at a position of the document: a reference to it, or its
    own name where it is declared."""
    me = analysis.display
    for span, sym in analysis.references:
        if span.file == me and contains(span, line, column):
            return sym, span
    for sym in analysis.symbols:
        span = sym.span
        if span.file == me and contains(span, line, column):
            return sym, span
    return None


def import_at(analysis: Analysis, line: int, column: int) -> Path | None:
    """The file an `import` under the cursor loads."""
    if analysis.checked is None:
        return None
    program = analysis.checked.program
    mod = program.modules.get(program.main)
    if mod is None:
        return None
    for imp, target in mod.imports:
        if target is not None and contains(imp.span, line, column):
            loaded = program.modules.get(target)
            return loaded.source.path if loaded is not None else None
    return None


def decl_at(module: ast.Module, line: int, column: int) -> list[ast.Decl]:
    """The declarations around a position, outermost first."""
    chain: list[ast.Decl] = []
    decls = list(module.decls)
    while decls:
        inside = [d for d in decls if contains(d.span, line, column)]
        if not inside:
            break
        chain.append(inside[0])
        decls = list(inside[0].children)
    return chain


def field_at(decl: ast.Decl, line: int, column: int) -> ast.Field | None:
    for f in decl.fields:
        if contains(f.key.span, line, column):
            return f
    return None


def values(node: Any) -> Iterator[ast.Value]:
    """Every value under a node, nested lists, objects and calls included."""
    if isinstance(node, ast.Value):
        yield node
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            child = getattr(node, f.name)
            items = child if isinstance(child, tuple | list) else (child,)
            for item in items:
                if isinstance(item, ast.Node):
                    yield from values(item)
