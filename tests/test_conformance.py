"""The conformance suite (museslang.testing.conformance) on every family museslang ships
and on the test plug-in: oracle passes, refuse fails, every metric scored, every damage
killed, compiles byte-identical, no simulated user flagged on the oracle's episodes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from museslang.testing.conformance import conform
from tests.test_family_plugins import PLUGINS, install

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["meeting", "access_control", "shared_queue", "instruction_following", "budget", "trip"]


@pytest.mark.parametrize("family", SHIPPED)
def test_a_shipped_family_conforms(family: str) -> None:
    checks = conform(ROOT / "specs" / f"{family}.muses", sample=6)
    assert [c.name for c in checks] == ["compiles", "oracle", "refuse", "metrics", "mutations",
                                        "users"]  # fmt: skip
    failed = [c.line() for c in checks if not c.ok]
    assert not failed, failed


def test_the_test_plug_in_conforms(tmp_path: Path) -> None:
    env = install(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "museslang.testing.conformance", str(PLUGINS / "greeting.muses")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   mutations: greeting: 1 of 1 killed" in done.stdout


def test_a_family_that_does_not_conform_is_told_why(tmp_path: Path) -> None:
    text = (ROOT / "tests" / "fixtures" / "trust" / "auction.muses").read_text()
    spec = tmp_path / "loose.muses"
    spec.write_text(text.replace("success: [highest_wins, second_price, sealed]",
                                 "success: [highest_wins, second_price]"))  # fmt: skip
    checks = {c.name: c for c in conform(spec, sample=3)}
    assert not checks["mutations"].ok
    assert "is told to" in checks["mutations"].detail
