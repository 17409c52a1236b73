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


def test_every_family_has_an_ir_golden() -> None:
    """Each built-in family and each family written in the standard library compiles in
    some golden (here, or tests/golden/compiled/ for meeting and budget)."""
    import json
    import pkgutil

    from museslang import families
    from museslang.resources import stdlib_root

    goldens = [*(ROOT / "tests" / "families").glob("*/*.json"),
               *(ROOT / "tests" / "golden" / "compiled").glob("*.json")]  # fmt: skip
    covered = {e["family"] for g in goldens for e in json.loads(g.read_text())["episodes"]}
    written = {p.stem for p in stdlib_root().glob("*.muses")
               if f"family {p.stem} " in p.read_text(encoding="utf-8")}  # fmt: skip
    assert written >= {"budget", "trip", "shift_swap"}
    # museslang's own folder of families, not what tests installed before this one
    built_in = {m.name for m in pkgutil.iter_modules(families.__path__)
                if m.ispkg and not m.name.startswith("_")}  # fmt: skip
    assert {"meeting", "access_control", "conversation"} <= built_in
    assert built_in | written <= covered
