from __future__ import annotations

import os
from pathlib import Path

import pytest

from museslang.diagnostics import Diagnostics
from museslang.source import SourceFile
from museslang.syntax import ast
from museslang.syntax.parser import parse_source

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SHARED = ROOT.parent / "shared"
UPDATE_GOLDEN = os.environ.get("MUSESLANG_UPDATE_GOLDEN") == "1"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Diagnostics name files relative to the working directory: pin it."""
    monkeypatch.chdir(ROOT)


def parse(text: str) -> tuple[ast.Module, Diagnostics]:
    diags = Diagnostics()
    module = parse_source(SourceFile(Path("t.muses"), "t.muses", text), diags)
    return module, diags


def parse_ok(text: str) -> ast.Module:
    module, diags = parse(text)
    assert not diags.items, [d.message for d in diags]
    return module


def field_value(text: str, key: str = "v") -> ast.Value:
    """Parse `x { v: <text> }` and return the value node."""
    module = parse_ok(f"x {{ {key}: {text} }}")
    return module.decls[0].fields[0].value


def check_golden(path: Path, actual: str) -> None:
    if UPDATE_GOLDEN or not path.exists():
        if not UPDATE_GOLDEN:
            pytest.fail(f"missing golden file {path}; run with MUSESLANG_UPDATE_GOLDEN=1")
        path.write_text(actual, encoding="utf-8")
        return
    assert actual == path.read_text(encoding="utf-8")
