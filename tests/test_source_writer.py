"""The source writer: whatever it writes, the compiler reads back as the same value."""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.compiler import compile_path
from museslang.syntax.writer import Decl, Ref, render

VALUES = [
    0,
    -7,
    2.5,
    3.0,
    1e-05,
    -2.5e-07,
    1e20,
    123456789.123,
    True,
    None,
    "plain",
    'quotes " and \\ backslash',
    "tab\tand\r\nnewlines",
    "  indented\n  block\n",
    "trailing space \nline",
    'has """ inside\nand more',
    "x" * 120,
    ["a", 1, [2.0, None]],
    {"nested": {"k": [1e-09, "v"]}},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_values_read_back_exactly(tmp_path: Path, value: object) -> None:
    sc = Decl("scenario", "s").set("family", Ref("meeting"))
    sc.fields.append(("extra", {"v": value}))
    spec = tmp_path / "s.muses"
    spec.write_text(render(sc) + "\n", encoding="utf-8")
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    got = result.compiled.episodes[0].extra["v"]
    assert got == value and type(got) is type(value)


def test_a_number_without_digits_is_refused() -> None:
    with pytest.raises(ValueError, match="not a number"):
        render(Decl("x").set("v", float("nan")))
