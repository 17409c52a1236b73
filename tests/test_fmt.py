"""`museslang fmt`: canonical, idempotent, comment-keeping, meaning-preserving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path, to_json
from museslang.diagnostics import Diagnostics
from museslang.fmt import format_source
from museslang.source import SourceFile
from museslang.testing.fuzz import valid_specs
from tests.conftest import ROOT

runner = CliRunner()
SHIPPED = sorted([*ROOT.glob("specs/*.muses"), *ROOT.glob("stdlib/*.muses")])

MESSY = '''# header comment

import std.identity
import   std.calendar   # the grid


role lead{title:"Team Lead" authority:5}
role intern { title: "Intern",authority: 1 }
scenario  demo  "A demo" {
    family : meeting   # which family
  objective: """
      Find a slot.
        Indented line kept.
      """
  # before the users
  user Ana { role: lead  prefers: [Mon 9:00, Tue 9:30]  attendance: required }
  user Ben {
        role: intern,
        prefers: [Mon 9:00,
                  Wed 10:00]
        secondary: [Thu 11:00]   # backup
  }



  metrics: [success, utility, turns]
  protocol { max_turns: 6 prompt: "prompts/meeting.j2" }
  # trailing comment in the block
}
# the end
'''


def fmt_text(text: str, name: str = "t.muses") -> str:
    out = format_source(SourceFile(Path(name), name, text), Diagnostics())
    assert out is not None
    return out


def _compiled(path: Path) -> dict:
    """Compiled output without source positions and the text hash, which layout moves."""

    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in {"source", "spec_sha256"}}
        return [strip(x) for x in o] if isinstance(o, list) else o

    result = compile_path(path)
    assert result.compiled is not None, [d.message for d in result.diagnostics.errors]
    return strip(json.loads(to_json(result.compiled)))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_files_are_formatted(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert fmt_text(text, str(path)) == text


def test_a_messy_spec_gets_the_canonical_layout(tmp_path: Path) -> None:
    out = fmt_text(MESSY)
    assert fmt_text(out) == out  # idempotent
    assert out.startswith(
        "# header comment\n\nimport std.identity\nimport std.calendar  # the grid\n\n"
    )
    assert 'role lead { title: "Team Lead"  authority: 5 }\n' in out
    assert 'role intern { title: "Intern"  authority: 1 }\n\nscenario demo "A demo" {\n' in out
    assert "  family: meeting  # which family\n" in out
    assert "  # before the users\n  user Ana { role: lead" in out
    assert "  user Ben {\n    role: intern\n    prefers: [Mon 9:00, Wed 10:00]\n" in out
    assert "    secondary: [Thu 11:00]  # backup\n  }\n\n  metrics:" in out  # 3 blanks -> 1
    assert "  # trailing comment in the block\n}\n# the end\n" in out
    comments = [line.strip() for line in MESSY.splitlines() if "#" in line]
    assert len([c for c in comments if c]) == sum("#" in line for line in out.splitlines())


def test_formatting_keeps_the_meaning(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "meeting.j2").write_text(
        (ROOT / "stdlib" / "prompts" / "meeting.j2").read_text(encoding="utf-8"), encoding="utf-8"
    )
    before, after = tmp_path / "before.muses", tmp_path / "after.muses"
    before.write_text(MESSY, encoding="utf-8")
    after.write_text(fmt_text(MESSY), encoding="utf-8")
    assert _compiled(before) | {"spec": ""} == _compiled(after) | {"spec": ""}


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(valid_specs())
def test_generated_specs_format_idempotently(text: str) -> None:
    out = fmt_text(text)
    assert fmt_text(out) == out


def test_the_command(tmp_path: Path) -> None:
    spec = tmp_path / "m.muses"
    spec.write_text(MESSY, encoding="utf-8")
    check = runner.invoke(app, ["fmt", "--check", str(spec)])
    assert check.exit_code == 1 and "would be reformatted" in check.output
    assert spec.read_text(encoding="utf-8") == MESSY  # --check writes nothing
    done = runner.invoke(app, ["fmt", str(spec)])
    assert done.exit_code == 0 and "1 of 1 file reformatted" in done.output
    assert runner.invoke(app, ["fmt", "--check", str(spec)]).exit_code == 0
    broken = tmp_path / "broken.muses"
    broken.write_text(
        "scenario s {\n  family: meeting\n  user A { prefers: [Mon 9:00 }\n", encoding="utf-8"
    )
    bad = runner.invoke(app, ["fmt", str(broken)])
    assert bad.exit_code == 1 and "error[E" in bad.output and "1 not formatted" in bad.output
    assert "Traceback" not in bad.output


def test_imported_files_are_already_formatted(tmp_path: Path) -> None:
    from tests.conftest import NO_SAMPLE, SHARED

    sample = sorted((SHARED / "muses-bench-sample").glob("*/*.jsonl"))
    if not sample:
        pytest.skip(NO_SAMPLE)
    out = tmp_path / "imported"
    imported = runner.invoke(
        app, ["import", "muses-bench", *map(str, sample[:2]), "--dir", str(out)]
    )
    assert imported.exit_code == 0, imported.output
    check = runner.invoke(app, ["fmt", "--check", *map(str, sorted(out.glob("*.muses")))])
    assert check.exit_code == 0 and "0 of 2 files would be reformatted" in check.output
