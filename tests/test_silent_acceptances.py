"""What museslang used to accept silently is an error, and what it wrongly refused is
accepted (issue 28, items 10 and 11): a compiled file defining one family twice or naming
a turn mode that does not exist, a user named like the broadcast address, escapes the
language does not have, two modules under one alias, a key given twice; a byte-order
mark at the start of a spec or of an official records file; an official record whose
text asks for a title in triple braces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "muses-bench-sample" / "instruction_following"
runner = CliRunner()

MEETING = """scenario s {{
  family: meeting{extra}
  user Ana {{ prefers: [Tue 9:30] }}
  user {second} {{ prefers: [Tue 9:30] }}
}}
"""


def errors(tmp_path: Path, text: str, name: str = "s.muses") -> list[tuple[str, str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return [(d.code, d.message) for d in compile_path(path).diagnostics.errors]


@pytest.fixture(scope="module")
def compiled_budget(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("c") / "budget.json"
    done = runner.invoke(app, ["compile", str(ROOT / "specs" / "budget.muses"), "-o", str(out)])
    assert done.exit_code == 0, done.output
    return json.loads(out.read_text(encoding="utf-8"))


def _eval_compiled(tmp_path: Path, data: dict):
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(app, ["eval", str(path), "--limit", "1", "--no-progress", "--out",
                               str(tmp_path / "run")])  # fmt: skip


def test_a_compiled_file_defining_one_family_twice_is_refused(compiled_budget, tmp_path):
    data = json.loads(json.dumps(compiled_budget))
    other = json.loads(json.dumps(data["families"][0]))
    other["max_turns"] = 2
    data["families"].append(other)
    done = _eval_compiled(tmp_path, data)
    assert done.exit_code == 2 and "family 'budget' is defined twice, differently" in done.output
    data["families"][1] = data["families"][0]  # the same definition twice is one family
    assert _eval_compiled(tmp_path, data).exit_code == 0


def test_a_compiled_file_naming_an_unknown_turn_mode_is_refused(compiled_budget, tmp_path):
    data = json.loads(json.dumps(compiled_budget))
    data["families"][0]["turns"] = "telepathy"
    done = _eval_compiled(tmp_path, data)
    assert done.exit_code == 2 and "is not compiled museslang output" in done.output
    assert "turns" in done.output


@pytest.mark.parametrize("name", ["all", "All", "everyone", "agent"])
def test_a_user_named_like_the_broadcast_address_or_the_agent_is_an_error(tmp_path, name):
    found = errors(tmp_path, MEETING.format(extra="", second=name))
    assert [c for c, _ in found] == ["E012"] and f"cannot be named '{name}'" in found[0][1]


@pytest.mark.parametrize(
    ("escape", "shown"),
    [("\\q", "\\q"), ("\\x41", "\\x"), ("\\u12", "\\u12"), ("\\u12zz", "\\u12"), ("\\", "\\ ")],
)
def test_an_escape_the_language_does_not_have_is_an_error(tmp_path, escape, shown) -> None:
    title = f'\n  title: "before {escape} after"'
    found = errors(tmp_path, MEETING.format(extra=title, second="Ben"))
    assert found == [("E002", f"invalid escape '{shown}'")]


def test_the_escapes_the_language_has_still_read(tmp_path) -> None:
    title = '\n  title: "a\\"b\\\\c\\n\\t\\r\\0\\u00e9"'
    assert errors(tmp_path, MEETING.format(extra=title, second="Ben")) == []


def test_two_modules_under_one_alias_is_an_error(tmp_path) -> None:
    (tmp_path / "a.muses").write_text("role r { authority: 1 }\n", encoding="utf-8")
    (tmp_path / "b.muses").write_text("role q { authority: 2 }\n", encoding="utf-8")
    head = 'import "./a.muses" as m\nimport "./b.muses" as m\n'
    found = errors(tmp_path, head + MEETING.format(extra="", second="Ben"))
    assert ("E023", "'m' names two modules") in found


def test_a_key_given_twice_in_an_object_is_an_error(tmp_path) -> None:
    found = errors(tmp_path, MEETING.format(extra="\n  extra: { a: 1, a: 2 }", second="Ben"))
    assert found == [("E019", "key 'a' is given twice")]


def test_a_spec_that_starts_with_a_byte_order_mark_checks(tmp_path) -> None:
    text = (ROOT / "specs" / "meeting.muses").read_text(encoding="utf-8")
    path = tmp_path / "bom.muses"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    done = runner.invoke(app, ["check", "--no-oracle-gate", str(path)])
    assert done.exit_code == 0, done.output
    plain = tmp_path / "plain.muses"
    plain.write_text(text, encoding="utf-8")
    one, other = compile_path(path).compiled, compile_path(plain).compiled
    assert one is not None and other is not None
    assert len(one.episodes) == len(other.episodes) == 216


def _record() -> dict:
    if not SAMPLE.is_dir():
        pytest.skip("no ../shared/muses-bench-sample")
    return json.loads((SAMPLE / "aligned_sample.jsonl").read_text().splitlines()[0])


def test_an_official_file_that_starts_with_a_byte_order_mark_imports_every_record(tmp_path):
    lines = (SAMPLE / "aligned_sample.jsonl").read_text().splitlines() if SAMPLE.is_dir() else []
    if not lines:
        pytest.skip("no ../shared/muses-bench-sample")
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines[:5]).encode() + b"\n")
    done = runner.invoke(app, ["import", "muses-bench", str(path), "-o", str(tmp_path / "o.muses")])
    assert done.exit_code == 0, done.output
    assert "imported 5 records" in done.output and "left out" not in done.output


def test_an_official_record_asking_for_a_title_in_triple_braces_checks(tmp_path) -> None:
    record = _record()
    record["users"][0]["instructions"][0] += (
        " Your answer must contain a title, wrapped in triple curly braces, such as "
        "{{{title}}}, and end with {{{your answer}}}."
    )
    path = tmp_path / "title.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    spec = tmp_path / "title.muses"
    done = runner.invoke(app, ["import", "muses-bench", str(path), "-o", str(spec)])
    assert done.exit_code == 0, done.output
    checked = runner.invoke(app, ["check", str(spec)])
    assert checked.exit_code == 0, checked.output  # was E060: "an unrendered template"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("wrap it as {{{title}}}", None),
        ("write {{your answer}} here", None),
        ("a {{ placeholder }} of the user's own", None),
        ("Hi, I'm {{ name }}", "{{ name }}"),
        ("send the {{resource|upper}}", "{{resource|upper}}"),
        ("{{- role -}} and more", "{{- role -}}"),
    ],
)
def test_only_museslangs_own_variables_are_an_unrendered_template(text, found) -> None:
    from museslang.prompts import unrendered

    assert unrendered(text) == found
