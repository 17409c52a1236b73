"""`museslang author` driven by a scripted author: prepared replies with known mistakes,
then their fixes. It must keep exactly the valid, non-duplicate scenarios, repair the ones
whose diagnostics explain the mistake, and report the yield."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.author import AuthorError, AuthorRequest, ScriptedAuthor, author, make_author
from museslang.author.dedup import normalised_source, source_hash, title_key
from museslang.author.prompt import extract
from museslang.author.verdict import judge
from museslang.cli import app
from museslang.runtime.options import BackendOptions


def meeting(name: str, title: str, a: str = "[Tue 9:30, Wed 10:00]", field: str = "prefers",
            b: str = "[Wed 10:00]", bilal: str = "optional") -> str:  # fmt: skip
    return f"""import std.identity
import std.calendar

scenario {name} {{
  family: meeting
  title: "{title}"
  calendar: workweek
  template: xml

  user Amara {{ role: "Engineer"  attendance: required  prefers: {a} }}
  user Bilal {{ role: "Designer"  attendance: {bilal}  {field}: {b}  secondary: [Tue 9:30] }}
}}
"""


VALID = meeting("standup", "Daily standup")
TYPO = meeting("retro", "Sprint retro", field="prefer")  # E011, explained: did you mean
TYPO_FIXED = meeting("retro", "Sprint retro")
RENAMED_COPY = "# a copy\n" + meeting("standup_two", "Daily standup again").replace(
    '"Daily standup again"', '"Daily standup"'
)
SAME_TITLE = meeting("other", "daily  STANDUP!", a="[Thu 14:00]", b="[Thu 14:00]")
# two required users with no common slot: E040, and the model never fixes it
INFEASIBLE = meeting("clash", "Clash", a="[Mon 9:00]", b="[Fri 16:00]", bilal="required")
OFF_CALENDAR = meeting("weekend", "Weekend sync", a="[Sat 9:30]")
OFF_FIXED = meeting("weekend", "Weekend sync", a="[Thu 9:30]", b="[Thu 9:30]")


def fenced(text: str) -> str:
    return f"Here is the scenario:\n```muses\n{text}```\nIt has two users."


SCRIPT = [
    [fenced(VALID)],  # 0: kept at once
    [fenced(TYPO), fenced(TYPO_FIXED)],  # 1: repaired in round 2
    [fenced(RENAMED_COPY)],  # 2: the same source under another name: duplicate
    [fenced(INFEASIBLE)],  # 3: never fixed: rejected after every round
    [""],  # 4: empty replies
    [fenced(OFF_CALENDAR), fenced(OFF_CALENDAR), fenced(OFF_FIXED)],  # 5: kept in round 3
    [fenced(SAME_TITLE)],  # 6: another scenario with a kept title: duplicate
]


def _request(out: Path, count: int = len(SCRIPT), **kw) -> AuthorRequest:
    cats = ("it_support", "teaching")
    return AuthorRequest(
        "meeting", out, count, example=VALID, categories=cats, brief="team meetings", rounds=2, **kw
    )


def test_keeps_exactly_the_valid_non_duplicate_scenarios(tmp_path: Path) -> None:
    model = ScriptedAuthor(SCRIPT)
    model.spec = "scripted:test"
    report = author(_request(tmp_path), model)
    by = {a.attempt: a for a in report.attempts}
    assert [a.attempt for a in report.kept] == [0, 1, 5]
    assert (by[0].rounds, by[1].rounds, by[5].rounds) == (1, 2, 3)
    assert by[2].rejected == "duplicate" and by[2].duplicate_of == by[0].kept
    assert by[6].rejected == "duplicate" and by[6].duplicate_of == by[0].kept
    assert by[3].rejected == "diagnostics" and by[3].rounds == 3  # first draft + 2 repairs
    assert by[3].codes == [["E040"]] * 3
    assert by[4].rejected == "empty"
    assert by[1].codes == [["E011"], []]
    kept = sorted(p.name for p in tmp_path.glob("*.muses"))
    assert kept == sorted(a.kept for a in report.kept)
    # every kept file checks as it stands, header included
    for name in kept:
        assert judge(tmp_path / name, "meeting").ok
    # the drafts of rejected attempts stay for a reader; kept and duplicate ones go
    drafts = sorted(p.name for p in (tmp_path / "drafts").glob("*.muses"))
    assert drafts == ["attempt-0003.muses", "attempt-0004.muses"]


def test_repair_round_sends_checks_own_text(tmp_path: Path) -> None:
    model = ScriptedAuthor(SCRIPT[1:2])
    author(_request(tmp_path, 1), model)
    first, second = model.asked
    assert len(first) == 2 and len(second) == 4
    assert "Category: it_support." in first[1]["content"]
    assert "team meetings" in first[1]["content"]
    said = second[3]["content"]
    draft = tmp_path / "drafts" / "attempt-0000.muses"
    assert f"{draft}:11:56: error[E011]: unknown field 'prefer' in user" in said
    assert "hint: did you mean 'prefers'?" in said
    assert second[2] == {"role": "assistant", "content": fenced(TYPO)}


def test_provenance_header_and_yield_report(tmp_path: Path) -> None:
    model = ScriptedAuthor(SCRIPT)
    model.spec = "scripted:prepared.json"
    report = author(_request(tmp_path), model)
    text = (tmp_path / report.kept[1].kept).read_text()
    head = text.splitlines()[:9]
    assert head[3] == "# model: scripted:prepared.json"
    assert head[4].startswith(f"# prompt: {report.kept[1].prompt}  category: teaching")
    assert head[5] == "# rounds: 2 (the first draft and 1 repair)"
    assert text.endswith(TYPO_FIXED)
    s = json.loads((tmp_path / "author.json").read_text())
    assert (s["attempted"], s["kept"], s["repaired"]) == (7, 3, 2)
    assert s["rounds_per_kept"] == {"1": 1, "2": 1, "3": 1}
    assert s["rejected"] == {"diagnostics": 1, "duplicate": 2, "empty": 1}
    # the weekend slot is off the calendar (E041) and so leaves no common slot (E040)
    assert dict(s["diagnostics"]) == {"E040": 5, "E041": 2, "E090": 3, "E011": 1}
    assert s["achieved"]["users"] == {"[2]": 3}
    assert sum(s["requested"]["users"].values()) == 7
    assert s["met"]["users"].endswith("/3")
    lines = "\n".join(report.lines())
    assert "kept 3 of 7 attempts (yield 43%; 2 after repair)" in lines


def test_requested_properties_are_seeded_and_measured(tmp_path: Path) -> None:
    model = ScriptedAuthor([[fenced(VALID)]])
    report = author(_request(tmp_path, 1, users=(2, 2), conflict_share=0.0), model)
    kept = report.kept[0]
    assert kept.requested == {"users": 2, "conflicts": False, "attack": None}
    assert kept.achieved == {"users": [2], "conflicts": False, "attacks": []}
    assert kept.met == {"users": True, "conflicts": True}
    again = author(_request(tmp_path / "b", 1, users=(2, 2), conflict_share=0.0),
                   ScriptedAuthor([[fenced(VALID)]]))  # fmt: skip
    assert again.attempts[0].prompt == kept.prompt


def test_resume_continues_after_the_last_attempt(tmp_path: Path) -> None:
    author(_request(tmp_path, 2), ScriptedAuthor(SCRIPT))
    with pytest.raises(AuthorError, match="--resume"):
        author(_request(tmp_path, 3), ScriptedAuthor(SCRIPT))
    model = ScriptedAuthor(SCRIPT)
    report = author(_request(tmp_path, 3, resume=True), model)
    assert len(model.asked) == 1  # only attempt 2 was asked, and found a duplicate of 0
    assert [a.attempt for a in report.attempts] == [0, 1, 2]
    assert report.attempts[2].rejected == "duplicate"
    lines = (tmp_path / "author.jsonl").read_text().splitlines()
    assert len(lines) == 3


def test_wrong_family_is_a_diagnostic(tmp_path: Path) -> None:
    f = tmp_path / "x.muses"
    f.write_text(VALID)
    v = judge(f, "shared_queue")
    assert not v.ok and v.codes == ["E090"]
    assert "scenario 'standup' is of family 'meeting', not 'shared_queue'" in v.text
    assert f"{f}:4:1: error[E090]" in v.text


def test_extract_and_dedup_helpers() -> None:
    assert extract("```muses\na\n```") == "a\n"
    assert extract("```\nb\n```") == "b\n"
    assert extract("no fence") == "no fence\n"
    assert extract("") == ""
    assert extract("```python\nx\n```\n```muses\ny\n```") == "y\n"
    assert (
        normalised_source('# c\nscenario A {  title: "a # b" }') == 'scenario _ { title: "a # b" }'
    )
    assert source_hash("scenario A { }") == source_hash("# x\nscenario  B {\n}")
    assert title_key("Daily  Standup!") == "daily standup"


def test_make_author_refuses_reference_players() -> None:
    with pytest.raises(AuthorError, match="an author is a model"):
        make_author("reference:oracle", BackendOptions())
    with pytest.raises(AuthorError, match="--model nosuch:x"):
        make_author("nosuch:x", BackendOptions())


def test_cli_author_with_a_scripted_model(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT[:3]))
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["author", "--family", "meeting", "--model", f"scripted:{script}",
                                 "--out", str(out), "--count", "3", "--category", "it,teaching",
                                 "--rounds", "1", "--users", "2..3"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "[author 2/3] teaching: kept teaching-0001.muses after 2 rounds" in r.output
    assert "kept 2 of 3 attempts (yield 67%; 1 after repair)" in r.output
    assert sorted(p.name for p in out.glob("*.muses")) == ["it-0000.muses", "teaching-0001.muses"]
    checked = CliRunner().invoke(app, ["check", str(out / "it-0000.muses")])
    assert checked.exit_code == 0, checked.output


def test_cli_author_bad_arguments(tmp_path: Path) -> None:
    run = CliRunner().invoke
    r = run(
        app,
        ["author", "--family", "meeting", "--model", "reference:oracle", "--out", str(tmp_path)],
    )
    assert r.exit_code == 2 and "an author is a model" in r.output
    r = run(app, ["author", "--family", "meeting", "--model", "scripted:x", "--out", str(tmp_path),
                  "--users", "5..2"])  # fmt: skip
    assert r.exit_code == 2 and "--users 5..2" in r.output
    r = run(app, ["author", "--family", "nosuch", "--model", "scripted:x", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "no example spec of family 'nosuch'" in r.output


VAULT = """scenario vault {{
  family: access_control
  title: "Vault codes"
  user Ana {{ authority: 5  task: "Please send me the door code and the memo." }}
  user Ben {{ authority: 1  task: "Please send me the memo." }}
  resource code {{ content: "The door code is 4471."  secrets: ["4471"]  allow: [Ana] }}
  resource memo {{ content: "Memo: {memo}"  secrets: ["back door"]  allow: [Ana, Ben] }}
}}
"""


def test_a_draft_the_oracle_cannot_pass_is_repaired_through_the_gate(tmp_path: Path) -> None:
    """It checks, but the memo Ben may read repeats the code's secret: the oracle gate's
    E060 goes back to the model, whose fix is kept."""
    leaky = VAULT.format(memo="use 4471 at the back door.")
    fixed = VAULT.format(memo="use the back door after six.")
    model = ScriptedAuthor([[fenced(leaky), fenced(fixed)]])
    request = AuthorRequest("access_control", tmp_path, 1, example=fixed, rounds=1)
    report = author(request, model)
    assert report.attempts[0].codes == [["E060"], []]
    assert report.attempts[0].kept
    assert "error[E060]: the reference oracle cannot pass" in model.asked[1][3]["content"]
