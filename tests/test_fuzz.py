"""Fuzzing: generated and mutated specs compile cleanly or give diagnostics, never raise.

A few hundred cases here; benchmarks/fuzz.py runs 10,000 with a time limit each.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from museslang.compiler import compile_path
from museslang.testing.fuzz import compile_text, mutated_specs, valid_specs

FAST = settings(
    max_examples=120,
    deadline=30000,  # ms per case: a hang fails the test instead of stalling CI (a busy
    # machine takes ~10 s on the slowest case, so the margin is wide)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    derandomize=True,  # the same cases on every run: CI stays deterministic
)


@FAST
@given(valid_specs())
def test_generated_specs_compile(text: str) -> None:
    assert compile_text(text) == "ok", text


@settings(FAST, max_examples=300)
@given(mutated_specs())
def test_mutated_specs_compile_or_give_diagnostics(text: str) -> None:
    assert compile_text(text) in {"ok", "diagnostics"}


def _codes(tmp_path: Path, text: str) -> list[str]:
    spec = tmp_path / "s.muses"
    spec.write_text(text, encoding="utf-8")
    return [d.code for d in compile_path(spec).diagnostics]


def test_deep_nesting_is_a_diagnostic_not_a_stack_overflow(tmp_path: Path) -> None:
    deep = "[" * 5000 + "1" + "]" * 5000
    text = f"scenario s {{\n  family: meeting\n  extra: {{ a: {deep} }}\n"
    text += "  user A { prefers: [Mon 9:00] }\n}\n"
    assert _codes(tmp_path, text) == ["E005"]  # the rest of the file still checks
    unclosed = "scenario s {\n  family: meeting\n  extra: { a: " + "[" * 500 + "\n}\n"
    assert "E005" in _codes(tmp_path, unclosed)


def test_a_list_cut_off_after_a_value_is_an_end_of_file_error(tmp_path: Path) -> None:
    # the end-of-file repair used to feed '}' where only ']' fits, and raised
    assert _codes(tmp_path, "scenario s {\n  family: meeting\n  extra: { a: [[1") == ["E003"]


def test_integers_too_large_for_a_float_are_out_of_range(tmp_path: Path) -> None:
    big = "9" * 400  # found by benchmarks/fuzz.py: message formatting raised OverflowError
    user = f'user Ana {{ authority: {big}  task: "x"  constraints: [punctuation.no_comma()] }}'
    spec = f"scenario s {{\n  family: instruction_following\n  {user}\n}}\n"
    assert _codes(tmp_path, spec) == ["E017"]
    rule = f'resource d {{ content: "code 12"  secrets: ["12"]  allow: [authority >= {big}] }}'
    spec = f"scenario s {{\n  family: access_control\n  user A {{ authority: 3 }}\n  {rule}\n}}\n"
    assert "E017" not in _codes(tmp_path, spec)  # a bound nobody reaches: a warning at most
