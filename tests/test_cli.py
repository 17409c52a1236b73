"""End-to-end CLI tests through typer's runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from museslang.cli import app

runner = CliRunner()


def test_help_on_every_command() -> None:
    import typer

    commands = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert len(commands) >= 18 and {"check", "eval", "generate", "guards"} <= set(commands)
    for args in (["--help"], *([c, "--help"] for c in commands)):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output, args
        assert "Traceback" not in result.output, args


def test_help_names_every_agent_backend_and_keeps_brackets() -> None:
    """Issue 16.11: eval --help left out vllm: and hf:; rich markup ate `[train]`."""
    from museslang.runtime.agents import registered

    wide = {"COLUMNS": "200"}
    text = " ".join(runner.invoke(app, ["eval", "--help"], env=wide).output.split())
    kinds = registered().names()
    assert set(kinds) >= {"reference", "openai", "vllm", "hf"}
    for kind in kinds:
        assert f"{kind}:" in text, kind
    for command in ("eval", "generate"):
        text = " ".join(runner.invoke(app, [command, "--help"], env=wide).output.split())
        assert "vllm:MODEL" in text and "hf:PATH" in text
    train = runner.invoke(app, ["train", "--help"], env=wide).output
    assert "Needs the [train] extra" in train and "museslang[train]" in train


def test_check_clean_spec_exits_zero() -> None:
    result = runner.invoke(app, ["check", "specs/meeting.muses"])
    assert result.exit_code == 0, result.output
    assert "ok (1 scenario; the oracle passes all 216 episodes)" in result.output


def test_check_reports_the_four_mistakes_and_exits_one() -> None:
    result = runner.invoke(app, ["check", "tests/fixtures/bad/four_mistakes.muses"])
    assert result.exit_code == 1
    out = result.output
    assert "Traceback" not in out
    for code, line in (
        ("E040", ":4:1:"),
        ("E016", ":11:25:"),
        ("E013", ":21:11:"),
        ("E003", ":23:4:"),
    ):
        assert f"error[{code}]" in out and line in out
    assert "did you mean 'Amara'?" in out
    assert "4 errors" in out


def test_compile_to_stdout_and_file(tmp_path) -> None:
    result = runner.invoke(app, ["compile", "tests/golden/compiled/small_sweep.muses"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.json"
    result2 = runner.invoke(
        app, ["compile", "tests/golden/compiled/small_sweep.muses", "-o", str(out), "--seed", "7"]
    )
    assert result2.exit_code == 0
    data = json.loads(out.read_text())
    assert len(data["episodes"]) == 4
    assert "compiled 4 episodes" in result2.output


def test_compile_refuses_a_bad_spec_without_output(tmp_path) -> None:
    out = tmp_path / "x.json"
    result = runner.invoke(
        app, ["compile", "tests/golden/diagnostics/e013_unknown_user.muses", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["check", "nope.muses"],
        ["compile", "nope.muses"],
        ["compile", "specs"],
        ["compile", "specs/meeting.muses", "-o", "/nonexistent-dir/x.json"],
        ["compile", "specs/meeting.muses", "--seed", "-4"],
    ],
)
def test_bad_arguments_give_one_clear_message(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "error" in result.output.lower()


def test_cli_runs_as_a_module(tmp_path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "museslang", "check", "specs/meeting.muses"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
