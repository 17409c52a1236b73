"""The compiled-spec cache: a second run of an unchanged spec loads its compile instead of
parsing; any change to what it was compiled from (the spec, a module it imports, a prompt
template) or to the cached file itself is a miss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang import compile_cache
from museslang.cli import app

runner = CliRunner()

MODULE = 'template shout { wrap: "<{{user}}>{{text}}</{{user}}>" }\n'
SPEC = """import "./people.muses"

scenario s {
  family: meeting
  template: shout
  protocol { prompt: "agent.j2" }
  user Ana { prefers: [Tue 9:30] }
  user Ben { prefers: [Tue 9:30] }
}
"""


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MUSESLANG_CACHE", str(tmp_path / "cache"))
    (tmp_path / "people.muses").write_text(MODULE, encoding="utf-8")
    (tmp_path / "agent.j2").write_text("Book a meeting for {{ users | length }}.\n")
    path = tmp_path / "s.muses"
    path.write_text(SPEC, encoding="utf-8")
    return path


def compiled(spec: Path, out: Path) -> dict:
    done = runner.invoke(app, ["compile", str(spec), "--out", str(out)])
    assert done.exit_code == 0, done.output
    return json.loads(out.read_text(encoding="utf-8"))


def entries(cache: Path) -> list[Path]:
    """The compiled entries of a cache folder (not their manifests, the key, the tables)."""
    return [p for p in cache.glob("*.json") if not p.name.endswith(".manifest.json")]


def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    import museslang.compiler

    calls: list[Path] = []
    real = museslang.compiler.compile_path

    def counting(path, seed=None, **options):
        calls.append(path)
        return real(path, seed, **options)

    monkeypatch.setattr(museslang.compiler, "compile_path", counting)
    return calls


def test_a_second_run_of_an_unchanged_spec_does_not_parse(spec, tmp_path, monkeypatch) -> None:
    first = compiled(spec, tmp_path / "a.json")
    calls = parses(monkeypatch)
    assert compiled(spec, tmp_path / "b.json") == first
    assert calls == []
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


@pytest.mark.parametrize("edit", ["people.muses", "agent.j2", "s.muses"])
def test_any_input_that_changed_is_a_miss(spec, tmp_path, monkeypatch, edit: str) -> None:
    first = compiled(spec, tmp_path / "a.json")
    target = tmp_path / edit
    if edit == "people.muses":
        target.write_text(MODULE.replace("<{{user}}>", "[{{user}}]"), encoding="utf-8")
    elif edit == "agent.j2":
        target.write_text("Find a slot for {{ users | length }} people.\n")
    else:
        target.write_text(SPEC.replace("Tue 9:30] }\n}", "Tue 9:30, Wed 10:00] }\n}"))
    calls = parses(monkeypatch)
    again = compiled(spec, tmp_path / "b.json")
    assert len(calls) == 1 and again != first


def test_a_damaged_cache_entry_is_never_trusted(spec, tmp_path, monkeypatch) -> None:
    first = compiled(spec, tmp_path / "a.json")
    (entry,) = entries(tmp_path / "cache")
    entry.write_text(entry.read_text().replace("Ana", "Eve"), encoding="utf-8")
    calls = parses(monkeypatch)
    assert compiled(spec, tmp_path / "b.json") == first
    assert len(calls) == 1


def test_warnings_are_shown_again_and_off_means_off(spec, tmp_path, monkeypatch) -> None:
    spec.write_text(SPEC + "role unused { authority: 3 }\n", encoding="utf-8")
    first = runner.invoke(app, ["compile", str(spec), "--out", str(tmp_path / "a.json")])
    again = runner.invoke(app, ["compile", str(spec), "--out", str(tmp_path / "b.json")])
    assert "W001" in first.output and "W001" in again.output
    monkeypatch.setenv("MUSESLANG_CACHE", "off")
    assert compile_cache.folder() is None
    calls = parses(monkeypatch)
    compiled(spec, tmp_path / "c.json")
    assert len(calls) == 1


def test_a_second_check_of_an_unchanged_spec_repeats_its_output(spec, monkeypatch) -> None:
    spec.write_text(SPEC + "role unused { authority: 3 }\n", encoding="utf-8")
    first = runner.invoke(app, ["check", str(spec)])
    calls = parses(monkeypatch)
    again = runner.invoke(app, ["check", str(spec)])
    assert first.exit_code == again.exit_code == 0
    assert again.output == first.output and "W001" in again.output
    assert calls == []
    spec.write_text(SPEC, encoding="utf-8")  # the warning's cause removed: checked again
    third = runner.invoke(app, ["check", str(spec)])
    assert len(calls) == 1 and "W001" not in third.output


def test_a_failed_check_is_never_kept(spec, monkeypatch) -> None:
    spec.write_text(SPEC.replace("template: shout", "template: shoot"), encoding="utf-8")
    assert runner.invoke(app, ["check", str(spec)]).exit_code == 1
    calls = parses(monkeypatch)
    assert runner.invoke(app, ["check", str(spec)]).exit_code == 1
    assert len(calls) == 1


def test_a_new_process_loads_the_grammar_tables_from_the_cache(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "MUSESLANG_CACHE": str(tmp_path / "cache")}
    probe = (
        "import sys; from museslang.syntax.parser import _lark; _lark(); "
        "print(any(m.startswith('museslang.interop') for m in sys.modules))"
    )
    for _ in range(2):  # the first process writes the tables, the second reads them
        done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                              text=True, check=True)  # fmt: skip
    tables = list((tmp_path / "cache" / "parsers").glob("*.json"))
    assert len(tables) == 1 and tables[0].stat().st_size > 10_000
    assert done.stdout.strip() == "False"
    off = {**env, "MUSESLANG_CACHE": "off"}
    probe = ("from museslang.syntax.parser import _lark; _lark(); from pathlib import Path; "
             f"print(list(Path({str(tmp_path)!r}).rglob('*-lark*')))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], env=off | {"HOME": str(tmp_path / "h")},
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.strip() == str(tables)


def test_a_check_never_imports_the_official_interchange_format(spec: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from pathlib import Path; from museslang.gate import *; "
        "from museslang.compiler import compile_path; "
        f"r = compile_path(Path({str(spec)!r})); assert r.compiled is not None; "
        "from museslang import family; family.load(); "
        "print(sorted(m for m in sys.modules if 'muses_bench' in m))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"
    # and the stage that reads it still finds every family's layout
    from museslang.interop.muses_bench.common import FAMILIES

    assert {"meeting", "access_control", "shared_queue", "instruction_following"} <= set(
        FAMILIES.names()
    )
