"""Every shipped spec and stdlib module passes `check` with no diagnostics at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.compiler import check_path
from tests.conftest import ROOT

FILES = sorted((ROOT / "specs").glob("*.muses")) + sorted((ROOT / "stdlib").rglob("*.muses"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_checks_clean(path: Path) -> None:
    result = check_path(path)
    assert not result.diagnostics.items, [f"{d.span}: {d.message}" for d in result.diagnostics]
