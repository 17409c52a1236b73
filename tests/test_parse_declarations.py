"""Declarations, fields, nesting, imports and comments; spans on every node."""

from __future__ import annotations

from museslang.syntax import ast
from tests.conftest import parse_ok


def test_declaration_forms() -> None:
    m = parse_ok('scenario s "A title" { sweep { samples: 2 } user A { x: 1 } }')
    (s,) = m.decls
    assert (s.kind.name, s.name.name, s.label.value) == ("scenario", "s", "A title")  # type: ignore[union-attr]
    assert [c.title for c in s.children] == ["sweep", "user A"]
    assert s.children[0].name is None


def test_fields_on_one_line_with_optional_commas() -> None:
    m = parse_ok('user A { role: "x", authority: 3 attendance: required }')
    assert [f.key.name for f in m.decls[0].fields] == ["role", "authority", "attendance"]


def test_spans_are_one_based_and_cover_the_node() -> None:
    m = parse_ok('\nuser Amara {\n  role: "Engineer"\n}\n')
    decl = m.decls[0]
    assert (decl.span.line, decl.span.column, decl.span.end_line) == (2, 1, 4)
    f = decl.fields[0]
    assert (f.key.span.line, f.key.span.column) == (3, 3)
    assert (f.value.span.column, f.value.span.end_column) == (9, 19)


def test_imports() -> None:
    m = parse_ok('import std.identity\nimport "./people.muses" as people\n')
    a, b = m.imports
    assert (a.target, a.is_path, a.alias) == ("std.identity", False, None)
    assert (b.target, b.is_path, b.alias.name) == ("./people.muses", True, "people")  # type: ignore[union-attr]


def test_keywords_are_names_where_they_cannot_start_an_import() -> None:
    m = parse_ok("x { import: 1  as: 2 }")
    assert [f.key.name for f in m.decls[0].fields] == ["import", "as"]


def test_comments_are_kept_with_positions() -> None:
    m = parse_ok("# header\nuser A { x: 1 }  # trailing\n")
    assert [(c.text, c.span.line) for c in m.comments] == [(" header", 1), (" trailing", 2)]


def test_empty_file() -> None:
    m = parse_ok("")
    assert m.decls == [] and m.imports == []
    assert isinstance(m, ast.Module)
