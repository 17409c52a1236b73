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


SCENARIOS = (
    sorted((ROOT / "specs").glob("*.muses"))
    + sorted((ROOT / "tests" / "golden" / "compiled").glob("*.muses"))
    + sorted((ROOT / "tests" / "fixtures").glob("*.muses"))
)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_scenario_passes_the_gate_and_renders_every_template(path: Path) -> None:
    """Issue 16: shipped and test scenarios compile, the oracle passes them, and no
    `{{...}}` reaches a transcript (comply lets every attacker speak every move)."""
    from museslang.compiler import compile_path
    from museslang.gate import failures
    from tests.conftest import run_episodes

    compiled = compile_path(path)
    assert compiled.ok, [d.message for d in compiled.diagnostics if d.is_error]
    episodes = compiled.compiled.episodes
    sample = episodes[:: max(1, len(episodes) // 24)]
    assert [f.reason for f in failures(sample) if not f.soft] == []
    for agent in ("reference:oracle", "reference:comply"):
        results = run_episodes(sample, agent=agent)
        assert [m.text for r in results.values() for m in r.transcript if "{{" in m.text] == []
