"""Golden tests: the exact rendering of diagnostics, one file per mistake.

Each `tests/golden/diagnostics/NAME.muses` has its expected `museslang check`
output in `NAME.expected`. Regenerate with MUSESLANG_UPDATE_GOLDEN=1 after an
intended change, and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.compiler import check_path
from museslang.diagnostics import render_all
from tests.conftest import GOLDEN, check_golden

CASES = sorted(
    p for p in (GOLDEN / "diagnostics").glob("*.muses") if not p.name.startswith("cycle_partner")
)


def rendered(path: Path) -> str:
    result = check_path(path.relative_to(Path.cwd()))
    return render_all(result.diagnostics.sorted(), result.sources) + "\n"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_diagnostic(path: Path) -> None:
    check_golden(path.with_suffix(".expected"), rendered(path))


def test_the_catalogue_is_covered() -> None:
    codes = set()
    for path in CASES:
        codes |= {d.code for d in check_path(path.relative_to(Path.cwd())).diagnostics}
    assert len(codes) >= 15
    expected = {
        "E001",
        "E002",
        "E003",
        "E004",
        "E010",
        "E011",
        "E012",
        "E013",
        "E014",
        "E015",
        "E016",
        "E017",
        "E018",
        "E019",
        "E020",
        "E021",
        "E022",
        "E030",
        "E031",
        "E032",
        "E033",
        "E040",
        "E041",
        "E042",
        "E043",
        "E044",
        "E045",
        "E050",
        "E051",
        "W001",
        "W002",
        "W003",
    }
    assert expected <= codes


def test_no_diagnostic_names_an_internal_terminal() -> None:
    for path in CASES:
        text = rendered(path)
        for internal in ("__ANON", "$END", "RBRACE", "LSQB", "Traceback"):
            assert internal not in text, (path.name, internal)
