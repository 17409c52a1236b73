"""`family B extends A { ... }`: a family that refines another's facts, goals and players,
merged on the AST as scenarios are (semantics/inherit.py). The parent's actions are
inherited as the same declarations, so both families run side by side in one spec."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import check_path, compile_path

ROOT = Path(__file__).resolve().parent.parent
TRIP = (ROOT / "tests" / "families" / "trip" / "trip.muses").read_text(encoding="utf-8")
CHILD = """
# trip, plus a metric and a soft goal: a cheap trip where one fits
family trip_cheap extends trip "book one trip every required traveller can make, cheaply" {
  metric cheap { value: "book.trip.price <= 600"  doc: "the trip costs 600 or less" }
  goal thrifty { holds: "book.trip.price <= 600"  weight: 1 }
}
"""


def _spec(tmp_path: Path, child: str = CHILD) -> Path:
    both = (
        TRIP
        + child
        + TRIP.split("scenario offsite", 1)[1]
        .join(["\nscenario cheap_offsite", ""])
        .replace("family: trip\n", "family: trip_cheap\n")
    )
    path = tmp_path / "s.muses"
    path.write_text(both, encoding="utf-8")
    return path


def test_an_extending_family_has_its_parents_members_and_its_own(tmp_path: Path) -> None:
    result = compile_path(_spec(tmp_path))
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.compiled is not None
    fams = {f.name: f for f in result.compiled.families}
    trip, cheap = fams["trip"], fams["trip_cheap"]
    assert cheap.actions == trip.actions and cheap.success == trip.success
    names = {m.name for m in cheap.measures}
    assert names == {*(m.name for m in trip.measures), "cheap", "thrifty"}
    assert [f.name for f in cheap.facts] == [f.name for f in trip.facts]
    assert cheap.summary.endswith("cheaply")
    families = {e.scenario: e.family for e in result.compiled.episodes}
    assert families == {"offsite": "trip", "cheap_offsite": "trip_cheap"}


def test_both_families_run_in_one_spec(tmp_path: Path) -> None:
    out = tmp_path / "run"
    got = CliRunner().invoke(app, ["eval", str(_spec(tmp_path)), "--agent", "reference:oracle",
                                   "--no-progress", "--out", str(out)])  # fmt: skip
    assert got.exit_code == 0, got.output
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {r["family"] for r in rows} == {"trip", "trip_cheap"}
    assert all(r["metrics"]["success"] == 1.0 for r in rows)
    assert all("preferences" in r["metrics"] for r in rows if r["family"] == "trip_cheap")


def test_a_redefined_action_and_a_cycle_are_errors(tmp_path: Path) -> None:
    nights = '  action book "Book a trip." { params: { trip: option  nights: 1..7 } }\n'
    call = '{ action: book  trip: "argmin(o in options: o.price)"  nights: "3" }'
    plays = "".join(f"  play {p} {{ calls: [{call}] }}\n" for p in ("oracle", "comply"))
    redefined = CHILD.replace("  metric cheap", nights + plays + "  metric cheap")
    got = [d.message for d in check_path(_spec(tmp_path, redefined)).diagnostics.errors]
    assert any(m.startswith("action 'book' is already the trip") for m in got), got
    looped = TRIP.replace("family: trip\n", "family: a\n") + (
        'family a extends b "a" { }\nfamily b extends a "b" { }\n'
    )
    path = tmp_path / "loop.muses"
    path.write_text(looped, encoding="utf-8")
    got = [d.message for d in check_path(path).diagnostics.errors]
    assert any(m.startswith("families that extend each other") for m in got), got
