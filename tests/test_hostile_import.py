"""Hostile official-format files: each bad record is reported with its line and the others
still import; nothing is a traceback or a hang (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT
from test_interop_muses_bench import access_record, meeting_record
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import check_path, compile_path
from museslang.interop.muses_bench import import_records

runner = CliRunner()


def write(tmp_path: Path, *lines: bytes | dict) -> Path:
    path = tmp_path / "records.jsonl"
    raw = [line if isinstance(line, bytes) else json.dumps(line).encode() for line in lines]
    path.write_bytes(b"\n".join(raw) + b"\n")
    return path


def problems(path: Path) -> list[str]:
    return [str(p) for p in import_records(path).problems]


def test_one_line_that_is_not_utf8_leaves_the_others(tmp_path: Path) -> None:
    path = write(tmp_path, meeting_record(), b'{"id": "caf\xe9"}', access_record())
    result = import_records(path)
    assert result.records == 2
    (problem,) = result.problems
    assert problem.line == 2 and "not UTF-8" in problem.message


def test_line_separators_inside_strings_are_text(tmp_path: Path) -> None:
    record = meeting_record()
    record["system_prompt"] = "Schedule\u2028it\u0085now."
    path = write(tmp_path, record)
    result = import_records(path)
    assert result.records == 1 and not result.problems


def test_repeated_ids_are_reported_and_check_agrees_with_compile(tmp_path: Path) -> None:
    path = write(tmp_path, meeting_record(), meeting_record())
    result = import_records(path)
    assert result.records == 1
    assert "repeats the id of line 1" in str(result.problems[0])
    cli = runner.invoke(app, ["import", "muses-bench", str(path), "-o", str(tmp_path / "i.muses")])
    assert cli.exit_code == 1
    # a hand-made copy of the scenario: check and compile both refuse the repeated id
    text = (tmp_path / "i.muses").read_text(encoding="utf-8")
    body = text[text.index("\nscenario ") + 1 :]
    twice = tmp_path / "twice.muses"
    twice.write_text(text + "\n" + body.replace("scenario ", "scenario again_", 1))
    checked = check_path(twice)
    compiled = compile_path(twice)
    assert [d.code for d in checked.diagnostics.errors] == ["E012"]
    assert not compiled.ok


def test_numbers_depth_and_size_past_the_limits_are_per_record(tmp_path: Path) -> None:
    deep: object = 1
    for _ in range(900):
        deep = [deep]
    huge_list = meeting_record() | {"extra_list": list(range(50_000))}
    huge_line = meeting_record() | {"padding": "x" * (17 * 1024 * 1024)}
    path = write(
        tmp_path,
        b'{"id": "n", "value": ' + b"9" * 5000 + b"}",
        meeting_record() | {"extra": deep},
        huge_list,
        huge_line,
        access_record(),
    )
    found = problems(path)
    assert len(found) == 4
    assert "holds a value Python cannot read" in found[0]
    assert "nests deeper than 64 levels" in found[1]
    assert "a list of 50,000 items" in found[2]
    assert "over the limit" in found[3]
    assert import_records(path).records == 1


def test_a_lone_surrogate_in_a_record_is_replaced(tmp_path: Path) -> None:
    record = meeting_record()
    record["system_prompt"] = "Schedule \ud800 it."
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")  # ensure_ascii: \ud800
    out = tmp_path / "s.muses"
    result = runner.invoke(app, ["import", "muses-bench", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    compiled = compile_path(out)
    assert compiled.ok and "\ufffd" in compiled.compiled.episodes[0].agent_prompt


def test_the_sample_still_imports_from_the_repo_root() -> None:
    assert (ROOT / "specs").is_dir()  # the hostile cases above do not touch shared files
