"""Checking a spec that writes its own family changes nothing the process knows: the
family is checked and bound to its scenarios (through `museslang.family.using`), never
registered; compiling is what installs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, sys
from pathlib import Path
from museslang import family as families
from museslang.registry import Registry
from museslang.compiler import check_path

from museslang.metrics.scoring import common_outputs

families.load()  # every hook module: every registry a family can fill exists now
common_outputs()  # and the built-in metrics, which load on first use

def snapshot():
    found = [o for o in gc.get_objects() if isinstance(o, Registry)]
    return families.names(), {(r.what, id(r)): {n: id(r.get(n)) for n in r} for r in found}

before = snapshot()
result = check_path(Path(sys.argv[1]))
assert result.ok, result.diagnostics
bound = [sc.authored.name for sc in result.checked.scenarios if sc.authored is not None]
assert bound, "the spec's scenarios use a family written in museslang"
after = snapshot()
assert after[0] == before[0], (before[0], after[0])
assert after[1] == before[1], [k for k in after[1] if after[1][k] != before[1].get(k)]
print("unchanged", sorted(set(bound)), len(after[1]))
"""


@pytest.mark.parametrize("spec", ["specs/budget.muses", "tests/families/trip/trip.muses"])
def test_checking_a_written_family_registers_nothing(spec: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / spec)],
        capture_output=True, text=True, cwd=ROOT, env={"MUSESLANG_CACHE": "off", **_env()},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("unchanged")


def test_compiling_installs_the_written_family() -> None:
    probe = (
        "import sys; from pathlib import Path; from museslang import family as families; "
        "from museslang.compiler import compile_path; "
        "r = compile_path(Path(sys.argv[1])); assert r.ok; "
        "print(families.find('trip') is not None)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(ROOT / "tests/families/trip/trip.muses")],
        capture_output=True, text=True, cwd=ROOT, env={"MUSESLANG_CACHE": "off", **_env()},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_two_families_of_one_spec_may_not_declare_one_action_twice(tmp_path: Path) -> None:
    """Which family declared an action first is known from the spec itself, not from what
    the process installed before. Two families may share an action only as one declaration
    (as `family B extends A` inherits it); declared otherwise, it is refused."""
    from museslang.compiler import check_path

    text = (ROOT / "stdlib/trip.muses").read_text(encoding="utf-8")
    assert "family trip " in text and "action book " in text
    again = text.replace("family trip ", "family trip_again ")
    spec = tmp_path / "same.muses"
    spec.write_text(text + "\n" + again, encoding="utf-8")
    messages = [d.message for d in check_path(spec).diagnostics.items]
    assert not any("is already the" in m for m in messages), messages
    other = again.replace('action book "Book one trip', 'action book "Book a single trip', 1)
    assert other != again
    spec = tmp_path / "twice.muses"
    spec.write_text(text + "\n" + other, encoding="utf-8")
    messages = [d.message for d in check_path(spec).diagnostics.items]
    assert any("is already the trip family's" in m for m in messages), messages


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "MUSESLANG_CACHE"}
