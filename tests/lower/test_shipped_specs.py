"""A fingerprint of the compiled output of every shipped spec: the specs, the golden
specs, the families' own goldens, the trust and leak fixtures that compile, and the
official sample as imported (when ../shared is beside the clone). A refactor that moves
code must leave every byte where it was; a change that means to alter the IR updates
`shipped.sha256` (MUSESLANG_UPDATE_GOLDEN=1) and says why in its commit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from museslang.compiler import compile_path, to_json
from tests.conftest import ROOT, SAMPLE, UPDATE_GOLDEN

SHA = ROOT / "tests" / "golden" / "compiled" / "shipped.sha256"
# minutes of drawing under the work budget each (the budget's own tests cover them)
SLOW = {"auction.muses", "auction_out_of_range.muses"}


def _specs() -> list[Path]:
    found = [*sorted((ROOT / "specs").glob("*.muses")),
             *sorted((ROOT / "tests" / "golden" / "compiled").glob("*.muses")),
             *sorted((ROOT / "tests" / "families").glob("*/*.muses")),
             *sorted((ROOT / "tests" / "fixtures" / "trust").glob("*.muses")),
             *sorted((ROOT / "tests" / "fixtures" / "leaks").glob("*.muses"))]  # fmt: skip
    return [p for p in found if not (p.parent.name == "trust" and p.name in SLOW)]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fingerprints(tmp: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in _specs():
        result = compile_path(path)
        if result.compiled is not None and result.ok:
            out[str(path.relative_to(ROOT))] = _digest(to_json(result.compiled))
    if SAMPLE.is_dir():
        from museslang.interop.muses_bench import import_records

        for records in sorted(SAMPLE.glob("*/*.jsonl")):
            spec = tmp / f"{records.stem}.muses"
            spec.write_text(import_records(records).source, encoding="utf-8")
            result = compile_path(spec)
            assert result.compiled is not None, records
            out[f"sample/{records.parent.name}/{records.name}"] = _digest(to_json(result.compiled))
    return out


def _read() -> dict[str, str]:
    lines = SHA.read_text(encoding="utf-8").splitlines() if SHA.exists() else []
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines if line)}


def test_every_shipped_spec_compiles_to_the_recorded_bytes(tmp_path: Path) -> None:
    got = _fingerprints(tmp_path)
    if UPDATE_GOLDEN:
        SHA.write_text("".join(f"{d}  {n}\n" for n, d in sorted(got.items())), encoding="utf-8")
        return
    recorded = _read()
    if not SAMPLE.is_dir():  # a fresh clone without ../shared: the sample's lines skip
        recorded = {n: d for n, d in recorded.items() if not n.startswith("sample/")}
    changed = sorted(n for n in got.keys() | recorded.keys() if got.get(n) != recorded.get(n))
    assert not changed, f"compiled output changed: {changed}"


def test_the_fingerprint_covers_every_family() -> None:
    if not SHA.exists():
        pytest.skip("no fingerprint yet")
    names = set(_read())
    for family in ("access_control", "shared_queue", "instruction_following", "trip"):
        assert f"tests/families/{family}/{family}.muses" in names
