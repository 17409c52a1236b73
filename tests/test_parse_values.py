"""Compound values: names, lists, ranges, calls, comparisons, objects."""

from __future__ import annotations

from museslang.syntax import ast
from tests.conftest import field_value


def test_dotted_name() -> None:
    v = field_value("people.office")
    assert isinstance(v, ast.Ref) and v.parts == ("people", "office")


def test_list_with_trailing_comma_and_mixed_items() -> None:
    v = field_value('[Mon 9:00, "a", 3, name,]')
    assert isinstance(v, ast.ListValue)
    assert [type(i).__name__ for i in v.items] == ["Time", "Str", "Number", "Ref"]


def test_empty_list() -> None:
    v = field_value("[]")
    assert isinstance(v, ast.ListValue) and v.items == ()


def test_ranges_of_numbers_and_percentages() -> None:
    r = field_value("2..10")
    assert isinstance(r, ast.Range) and (r.low.value, r.high.value) == (2, 10)  # type: ignore[attr-defined]
    p = field_value("30%..70%")
    assert isinstance(p, ast.Range) and isinstance(p.low, ast.Percent)


def test_call_with_positional_and_named_arguments() -> None:
    v = field_value("receives(console, within: 3)")
    assert isinstance(v, ast.Call) and v.func.dotted == "receives"
    assert v.args[0].name is None and v.args[1].name is not None
    assert v.args[1].name.name == "within"


def test_dotted_call_for_instruction_ids() -> None:
    v = field_value('keywords.frequency(keyword: "future", frequency: 2)')
    assert isinstance(v, ast.Call) and v.func.parts == ("keywords", "frequency")


def test_comparison() -> None:
    v = field_value("authority >= 5")
    assert isinstance(v, ast.Compare) and v.op == ">=" and v.left.dotted == "authority"


def test_inline_object() -> None:
    v = field_value('{ keyword: "future", frequency: 2 }')
    assert isinstance(v, ast.Object)
    assert [f.key.name for f in v.fields] == ["keyword", "frequency"]
