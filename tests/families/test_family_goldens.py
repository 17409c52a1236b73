"""Every family's IR golden: each `tests/families/<name>/*.muses` compiles to the JSON
beside it, byte for byte (MUSESLANG_UPDATE_GOLDEN=1 writes it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.compiler import compile_path, to_json
from tests.conftest import ROOT, check_golden

CASES = sorted((ROOT / "tests" / "families").glob("*/*.muses"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_family_golden(path: Path) -> None:
    result = compile_path(path)
    assert result.ok and result.compiled is not None, [d.message for d in result.diagnostics]
    check_golden(path.with_suffix(".json"), to_json(result.compiled))
