"""Literals: strings, text blocks, numbers, percentages, durations, times."""

from __future__ import annotations

import pytest

from museslang.syntax import ast
from tests.conftest import field_value, parse


def test_string_with_escapes() -> None:
    v = field_value(r'"say \"hi\"\n\tnow \u00e9"')
    assert isinstance(v, ast.Str) and not v.block
    assert v.value == 'say "hi"\n\tnow é'


def test_text_block_is_dedented_and_trimmed() -> None:
    v = field_value('"""\n      First line.\n        indented\n      last\n      """')
    assert isinstance(v, ast.Str) and v.block
    assert v.value == "First line.\n  indented\nlast"


def test_text_block_on_one_line() -> None:
    assert field_value('"""one line"""').value == "one line"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "value"), [("42", 42), ("-3", -3), ("2.5", 2.5), ("0", 0)])
def test_numbers(text: str, value: float) -> None:
    v = field_value(text)
    assert isinstance(v, ast.Number) and v.value == value and type(v.value) is type(value)


def test_percent() -> None:
    v = field_value("35%")
    assert isinstance(v, ast.Percent) and v.value == pytest.approx(0.35)


@pytest.mark.parametrize(
    ("text", "seconds"), [("250ms", 0.25), ("45s", 45), ("30m", 1800), ("2h", 7200), ("1d", 86400)]
)
def test_durations(text: str, seconds: float) -> None:
    v = field_value(text)
    assert isinstance(v, ast.Duration) and v.seconds == pytest.approx(seconds)


def test_time_is_one_token_and_keeps_bad_values_for_the_checker() -> None:
    v = field_value("Tue 9:30")
    assert isinstance(v, ast.Time) and (v.day, v.hour, v.minute) == ("Tue", 9, 30)
    bad = field_value("Tue 25:00")
    assert isinstance(bad, ast.Time) and bad.hour == 25  # validated later, with a span


def test_weekday_name_alone_is_a_name() -> None:
    v = field_value("Tuesday")
    assert isinstance(v, ast.Ref) and v.dotted == "Tuesday"


def test_malformed_number_is_one_error() -> None:
    _, diags = parse("x { v: 3x }")
    assert [d.code for d in diags] == ["E002"]
    assert "malformed number '3x'" in diags.items[0].message
