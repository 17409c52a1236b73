"""The language reference and the README stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from museslang.compiler import compile_path
from museslang.diagnostics import CODES
from museslang.semantics.model import KINDS
from tests.conftest import ROOT


def test_language_reference_lists_every_kind_field_and_code() -> None:
    doc = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    for kind, spec in KINDS.items():
        assert f"### `{kind}`" in doc, kind
        for name in spec.fields:
            assert f"| `{name}` |" in doc, (kind, name)
    for code in CODES:
        assert f"| {code} |" in doc, code


def test_readme_example_compiles(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```\n(import std\.identity.*?)```", readme, re.S)
    assert example is not None
    spec = tmp_path / "example.muses"
    spec.write_text(example.group(1), encoding="utf-8")
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    assert not result.diagnostics.items
