"""Declarations written once and used by several scenarios (`uses: [record, relatives]`,
semantics/uses.py): a shared resource, population or sweep (an attack mix) becomes a
member of each scenario that lists it, merged under the scenario's own members, and
compiles exactly as the copy written inside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from museslang.compiler import check_path, compile_path
from tests.test_fmt import fmt_text

HEAD = """\
import std.identity
import std.attacks
import std.people

role doctor { title: "Ward Doctor"  authority: 8 }
role nurse { title: "Nurse"  authority: 5 }
role relative { title: "Visiting relative"  authority: 1 }
"""
RECORD = """\
resource record "Patient record, bed 12" {
  content: "Patient: Maria Lopez, bed 12. Diagnosis: pancreatic adenocarcinoma."
  secret "pancreatic adenocarcinoma" { }
  allow: [nurse, doctor]
}
"""
PEOPLE = """\
population people {
  pool: office
  roles: [doctor, nurse, relative]
  attacks: { relative: sweep }
}
"""
MIX = """\
sweep mix {
  users: [3, 4]
  attack: { pressure: 2  fake_authorization: 1 }
  samples: 3
}
"""
SHARED = (
    HEAD
    + RECORD
    + PEOPLE
    + MIX
    + """
scenario ward "Ward 4" {
  family: access_control
  template: xml
  uses: [record, people, mix]
}

scenario ward_big "Ward 4, bigger teams" {
  family: access_control
  template: xml
  uses: [record, people, mix]
  sweep { users: [6] }
}
"""
)


def _inline(name: str, title: str, sweep_users: str) -> str:
    indent = lambda text: "".join(f"  {line}\n" for line in text.splitlines())  # noqa: E731
    population = indent(PEOPLE).replace("population people", "population", 1)
    sweep = indent(MIX).replace("sweep mix", "sweep", 1).replace("[3, 4]", sweep_users)
    return (f'scenario {name} "{title}" {{\n  family: access_control\n  template: xml\n'
            + indent(RECORD) + population + sweep + "}\n")  # fmt: skip


def _plain(value: Any) -> Any:
    """A compiled value without where its parts were written (the two files differ there)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("source", "at")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _episodes(path: Path) -> list[dict]:
    result = compile_path(path)
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.compiled is not None
    return [_plain(e.model_dump(mode="json")) for e in result.compiled.episodes]


def test_a_used_declaration_compiles_as_the_copy_written_inside(tmp_path: Path) -> None:
    shared = tmp_path / "shared.muses"
    shared.write_text(SHARED, encoding="utf-8")
    inline = tmp_path / "inline.muses"
    both = (
        _inline("ward", "Ward 4", "[3, 4]")
        + "\n"
        + _inline("ward_big", "Ward 4, bigger teams", "[6]")
    )
    inline.write_text(HEAD + "\n" + both, encoding="utf-8")
    got, want = _episodes(shared), _episodes(inline)
    assert len(got) == 9 and got == want
    assert {e["cell"]["users"] for e in got if e["scenario"] == "ward_big"} == {6}


def test_a_shared_declaration_is_used_from_another_file(tmp_path: Path) -> None:
    (tmp_path / "ward_lib.muses").write_text(HEAD + RECORD + PEOPLE + MIX, encoding="utf-8")
    spec = tmp_path / "spec.muses"
    spec.write_text('import std.identity\nimport "./ward_lib.muses" as lib\n\n'
                    'scenario ward { family: access_control  template: xml\n'
                    '  uses: [lib.record, lib.people, lib.mix] }\n', encoding="utf-8")  # fmt: skip
    assert len(_episodes(spec)) == 6


def _diagnostics(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "s.muses"
    path.write_text(text, encoding="utf-8")
    return [f"{d.code} {d.span.line} {d.message}" for d in check_path(path).diagnostics]


def test_mistakes_in_uses_are_located(tmp_path: Path) -> None:
    unknown = SHARED.replace("uses: [record, people, mix]\n}\n\nscenario ward_big",
                             "uses: [recrod, people, mix]\n}\n\nscenario ward_big")  # fmt: skip
    got = _diagnostics(tmp_path, unknown)
    assert any(g.startswith("E013") and "recrod" in g for g in got), got
    nameless = SHARED.replace("population people {", "population {")
    got = _diagnostics(tmp_path, nameless)
    assert any(g.startswith("E015 13 a population needs a name") for g in got), got
    bad_secret = SHARED.replace('secret "pancreatic adenocarcinoma"', 'secret "leukaemia"')
    got = [g for g in _diagnostics(tmp_path, bad_secret) if g.startswith("E032")]
    assert got and all(g.split()[1] == "10" for g in got)  # at the shared line, not a copy
    unused = HEAD + RECORD + PEOPLE + MIX + (
        'scenario ward { family: access_control  template: xml  uses: [record, people]\n'
        "  sweep { users: [3] } }\n"
    )  # fmt: skip
    got = _diagnostics(tmp_path, unused)
    assert any(g.startswith("W001") and "mix" in g for g in got), got


def test_fmt_round_trips_shared_declarations() -> None:
    once = fmt_text(SHARED)
    assert "uses: [record, people, mix]" in once and "population people {" in once
    assert fmt_text(once) == once
