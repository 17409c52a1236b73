"""Which std module declares a name: the hint for a reference whose import is missing.

`template: xml` without `import std.identity` is the commonest first mistake; the fix
is one line, and the checker can name it only if it knows what every std module holds.
Parsed once per process, with the same parser as any spec.
"""

from __future__ import annotations

from functools import cache

from museslang.diagnostics import Diagnostics
from museslang.resources import stdlib_root
from museslang.source import SourceFile
from museslang.syntax.parser import parse_source


@cache
def std_declarations() -> dict[tuple[str, str], str]:
    """(kind, name) -> the std module that declares it."""
    index: dict[tuple[str, str], str] = {}
    for path in sorted(stdlib_root().glob("*.muses")):
        text = path.read_text(encoding="utf-8")
        module = parse_source(SourceFile(path, f"<std>/{path.name}", text), Diagnostics())
        for decl in module.decls:
            if decl.name is not None:
                index.setdefault((decl.kind.name, decl.name.name), path.stem)
    return index


def import_hint(name: str, kinds: tuple[str, ...] | list[str]) -> str | None:
    """'add `import std.identity`' when a std module declares `name` as one of `kinds`."""
    for kind in kinds:
        module = std_declarations().get((kind, name))
        if module is not None:
            return f"'{name}' is the {kind} in std.{module}: add `import std.{module}`"
    return None
