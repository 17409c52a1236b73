"""Hostile spec text: every case is a diagnostic with a position, never a traceback or a hang.

Each case is a reproducer from the adversarial pass over the checker (issue 22); the
large ones are generated here instead of stored.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from museslang.compiler import check_path, compile_path, to_json
from museslang.diagnostics import MAX_PER_FILE, TOO_MANY, render_all

MEETING = "scenario s {{\n  family: meeting\n  {body}\n  user A {{ prefers: [Tue 9:30] }}\n}}\n"


def checked(tmp_path: Path, text: str, name: str = "t.muses"):
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    return check_path(spec)


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics.sorted()]


def test_a_number_with_thousands_of_digits_is_out_of_range(tmp_path: Path) -> None:
    result = checked(tmp_path, MEETING.format(body=f"protocol {{ max_turns: {'9' * 5000} }}"))
    (diag,) = result.diagnostics.errors
    assert diag.code == "E017" and "(5000 digits) is out of range" in diag.message


def test_chained_comparisons_are_one_syntax_error(tmp_path: Path) -> None:
    chain = " >= ".join(["authority"] * 5000)
    text = (
        "scenario s {\n  family: access_control\n"
        f'  resource r {{ content: "x" allow: [authority >= {chain}] }}\n}}\n'
    )
    result = checked(tmp_path, text)
    errors = result.diagnostics.errors
    assert [d.code for d in errors] == ["E001"]
    assert "unexpected '>='" in errors[0].message and "one operator" in (errors[0].hint or "")


def test_half_a_surrogate_pair_is_an_escape_error(tmp_path: Path) -> None:
    result = checked(tmp_path, MEETING.format(body='title: "bad \\uD800 here"'))
    (diag,) = result.diagnostics.errors
    assert diag.code == "E002" and "\\uD800" in diag.message and diag.span.column == 15


def test_a_full_surrogate_pair_is_one_character_and_compiles(tmp_path: Path) -> None:
    spec = tmp_path / "t.muses"
    spec.write_text(MEETING.format(body='title: "party \\uD83C\\uDF89"'), encoding="utf-8")
    result = compile_path(spec)
    assert result.ok and result.compiled is not None
    assert result.compiled.episodes[0].title == "party \U0001f389"
    to_json(result.compiled)  # writable as UTF-8


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("./a\\u0000b.muses", "cannot be empty or contain a NUL"),
        ("./" + "a" * 300 + ".muses", "import name of 308 characters"),
        ("/", "is not a .muses file"),
        ("./notes.txt", "is not a .muses file"),
        ("./folder.muses", "not found"),
        ("./loop.muses", "cannot"),
    ],
    ids=["nul", "long", "root", "not-muses", "directory", "symlink-loop"],
)
def test_odd_import_paths_are_e020(tmp_path: Path, target: str, message: str) -> None:
    (tmp_path / "notes.txt").write_text("hello\nworld\n", encoding="utf-8")
    (tmp_path / "folder.muses").mkdir()
    os.symlink(tmp_path / "loop.muses", tmp_path / "loop.muses")
    result = checked(tmp_path, f'import "{target}"\nscenario s {{ family: meeting }}\n')
    errors = result.diagnostics.errors
    assert errors and errors[0].code == "E020" and message in errors[0].message, errors
    assert "hello" not in render_all(result.diagnostics.sorted(), result.sources)


def test_a_chain_of_a_thousand_imports_loads(tmp_path: Path) -> None:
    n = 1000
    for i in range(n):
        nxt = f'import "./m{i + 1}.muses"\n' if i + 1 < n else ""
        (tmp_path / f"m{i}.muses").write_text(f"{nxt}role r{i} {{ authority: 1 }}\n")
    text = 'import "./m0.muses"\nscenario s {\n  family: meeting\n'
    text += "  user A { role: r0 prefers: [Tue 9:30] }\n}\n"
    result = checked(tmp_path, text)
    assert not result.diagnostics.has_errors, codes(result)
    assert len(result.checked.program.modules) == n + 1


def test_a_prompt_template_that_is_not_utf8_is_e051(tmp_path: Path) -> None:
    (tmp_path / "p.j2").write_bytes(b"caf\xe9 {{ title }}")
    result = checked(tmp_path, MEETING.format(body='protocol { prompt: "p.j2" }'))
    (diag,) = result.diagnostics.errors
    assert diag.code == "E051" and "not UTF-8" in diag.message


def test_ten_thousand_bad_lines_stop_the_scan_after_99(tmp_path: Path) -> None:
    result = checked(tmp_path, "$\n" * 10_000)
    shown = result.diagnostics.sorted()
    assert len(shown) == MAX_PER_FILE and shown[-1].code == "E002"
    text = render_all(shown, result.sources)
    assert "t.muses:100:1: error[E002]: stopped reading after 99 characters" in text
    assert text.endswith("100 errors")


def test_other_errors_past_the_cap_are_counted(tmp_path: Path) -> None:
    result = checked(tmp_path, "scenario s { family: meeting " + "bad: 1\n" * 300 + "}\n")
    shown = result.diagnostics.sorted()
    assert len(shown) == MAX_PER_FILE + 1 and shown[-1].code == TOO_MANY
    assert "200 more errors not shown" in render_all(shown, result.sources)


def test_random_non_ascii_text_is_bounded(tmp_path: Path) -> None:
    rng = random.Random(7)
    noise = "".join(chr(rng.randrange(0x100, 0x3000)) for _ in range(60_000))
    result = checked(tmp_path, noise)
    assert len(result.diagnostics.items) <= MAX_PER_FILE
    assert len(render_all(result.diagnostics.sorted(), result.sources)) < 100_000


def test_a_long_line_is_shown_as_a_window_around_the_caret(tmp_path: Path) -> None:
    result = checked(tmp_path, MEETING.format(body=f'title: "{"x" * 5000}" bogus: 1'))
    text = render_all(result.diagnostics.sorted(), result.sources)
    assert "unknown field 'bogus'" in text
    assert max(len(line) for line in text.splitlines()) < 200
    source, caret = [line for line in text.splitlines() if "|" in line][1:3]
    assert caret.index("^") == source.index("bogus")


def test_an_empty_calendar_is_an_error_not_the_work_week(tmp_path: Path) -> None:
    text = "calendar c { days: [] hours: [] }\n" + MEETING.format(body="calendar: c")
    result = checked(tmp_path, text)
    assert codes(result).count("E017") == 2


def test_an_instruction_count_no_answer_could_meet_is_refused(tmp_path: Path) -> None:
    text = (
        'scenario s {\n  family: instruction_following\n  user A { task: "x" constraints: '
        "[detectable_format.number_bullet_lists(num_bullets: 1000000000)] }\n}\n"
    )
    result = checked(tmp_path, text)
    (diag,) = result.diagnostics.errors
    assert diag.code == "E014" and "from 0 to 10,000" in diag.message
