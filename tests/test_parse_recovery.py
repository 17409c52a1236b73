"""Syntax errors: plain-word messages, one per mistake, and recovery."""

from __future__ import annotations

from tests.conftest import parse


def test_missing_colon_gets_a_hint_and_the_rest_parses() -> None:
    m, diags = parse('scenario s {\n  user A {\n    role "x"\n    attendance: required\n  }\n}\n')
    assert [d.code for d in diags] == ["E001"]
    assert "add ':'" in (diags.items[0].hint or "")
    assert [f.key.name for f in m.decls[0].children[0].fields] == ["attendance"]


def test_one_error_per_broken_member() -> None:
    text = "s {\n  a: [1 2]\n  b: 1 2\n  c: 3\n}\n"
    m, diags = parse(text)
    assert [(d.code, d.span.line) for d in diags] == [("E001", 2), ("E001", 3)]
    assert [f.key.name for f in m.decls[0].fields] == ["c"]


def test_unclosed_brace_is_reported_once_and_the_tree_is_kept() -> None:
    m, diags = parse("scenario s {\n  user A {\n    x: 1\n  }\n")
    assert [d.code for d in diags] == ["E003"]
    assert "'scenario s'" in diags.items[0].message
    assert m.decls[0].children[0].title == "user A"


def test_expected_lists_use_words_not_terminal_names() -> None:
    _, diags = parse("s { a: }")
    msg = diags.items[0].message
    assert "RBRACE" not in msg and "__ANON" not in msg and "$END" not in msg


def test_unterminated_string_and_text_block() -> None:
    _, diags = parse('s {\n  a: "open\n  b: 1\n}\n')
    assert [d.code for d in diags] == ["E004"]
    _, diags = parse('s {\n  a: """never closed\n}\n')
    assert [d.code for d in diags] == ["E004"]


def test_garbage_never_raises() -> None:
    for text in ["}}}", "{{{", "::::", "a b c d", '"""', "import", "x { y: z(", "@#$%^&"]:
        _, diags = parse(text)
        assert diags.has_errors
