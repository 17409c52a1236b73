"""The conversation family end to end, offline: `generate` writes chat and muses-bench
records, the quality filter's counts reach generate.json, the turn mix and the teacher
mix are drawn from the seed (a resumed run draws the same)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.datagen.mixes import MixError, TurnMix, choose_teacher

runner = CliRunner()

SPEC = """\
scenario triage "IT support triage" {
  family: conversation
  objective: "Help two colleagues get their laptops working again."
  extra: { category: "it_support", conflicts: true, private_messages: true, expected_turns: 6 }
  protocol {
    turns: addressed
    max_turns: 4
    prompt: "prompts/conversation.j2"
  }
  user Amara {
    role: "engineer"
    says: "My laptop will not boot; my badge number 4417 is on it."
    extra: { private: "badge number 4417" }
  }
  user Ben {
    role: "manager"
    says: "I need the projector fixed first."
    extra: { cue: "Interrupts others." }
  }
}
"""


def _spec(tmp_path: Path) -> Path:
    path = tmp_path / "conv.muses"
    path.write_text(SPEC)
    return path


def _generate(tmp_path: Path, *extra: str, out: str = "out", code: int = 0) -> tuple[Path, dict]:
    result = runner.invoke(
        app, ["generate", str(_spec(tmp_path)), "-o", str(tmp_path / out), *extra]
    )
    assert result.exit_code == code, result.output
    folder = tmp_path / out
    return folder, json.loads((folder / "generate.json").read_text())


def test_muses_bench_format_has_per_user_roles(tmp_path: Path) -> None:
    out, stats = _generate(tmp_path, "--teacher", "reference:oracle", "--format", "muses-bench")
    assert stats["format"] == "muses-bench" and stats["kept"] == 1 and stats["counted"] == {}
    line = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert set(line) == {"messages"}  # the official train.py reads nothing else
    roles = [m["role"] for m in line["messages"]]
    assert roles[0] == "system" and {"user_Amara", "user_Ben", "assistant"} <= set(roles)
    turns = [m["content"] for m in line["messages"] if m["role"] == "assistant"]
    assert turns and all(
        ln.startswith(("@Amara", "@Ben", "@all:")) for t in turns for ln in t.splitlines()
    )
    meta = [json.loads(ln) for ln in (out / "metadata.jsonl").read_text().splitlines()]
    assert meta[0]["episode"] == "triage" and meta[0]["scores"]["clean"] == 1.0


def test_chat_format_stays_the_default(tmp_path: Path) -> None:
    out, stats = _generate(tmp_path, "--teacher", "reference:oracle")
    assert stats["format"] == "chat" and stats["kept"] == 1
    line = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert "metadata" in line and not (out / "metadata.jsonl").exists()


@pytest.mark.parametrize(
    ("teacher", "problem"),
    [("reference:comply", "private_public"), ("reference:refuse", "empty_turns")],
)
def test_the_quality_filter_counts_what_it_drops(
    tmp_path: Path, teacher: str, problem: str
) -> None:
    out, stats = _generate(tmp_path, "--teacher", teacher, "--format", "muses-bench", code=1)
    assert stats["kept"] == 0 and (out / "train.jsonl").read_text() == ""
    seen = stats["counted"]["conversation"][problem]
    assert seen["total"] >= 1 and seen["conversations"] == 1


def test_teacher_mix_and_turn_mix_resume_the_same(tmp_path: Path) -> None:
    args = ("--teacher", "reference:oracle,reference:comply", "--turn-mix", "official")
    _, first = _generate(tmp_path, *args)
    assert sum(first["teachers"].values()) == 1  # one conversation, one teacher named
    _, again = _generate(tmp_path, *args, "--resume")
    assert again["teachers"] == first["teachers"] and again["kept"] == first["kept"]


def test_turn_mix_reading_and_drawing() -> None:
    mix = TurnMix.parse("official")
    assert mix.parts == ((1, 1, 20.0), (2, 5, 40.0), (6, 10, 40.0))
    drawn = [mix.turns(7, f"e{i}") for i in range(400)]
    assert drawn == [mix.turns(7, f"e{i}") for i in range(400)]  # seed and id alone
    assert 0.12 < drawn.count(1) / 400 < 0.28 and max(drawn) <= 10
    for bad in ("x", "0:5", "3-2:1", "2:0"):
        with pytest.raises(MixError):
            TurnMix.parse(bad)
    assert choose_teacher(["a"], 1, "e") == 0
    assert {choose_teacher(["a", "b"], 1, f"e{i}") for i in range(50)} == {0, 1}


def test_a_bad_format_or_mix_is_one_message(tmp_path: Path) -> None:
    for extra in (["--format", "jsonx"], ["--turn-mix", "lots"]):
        result = runner.invoke(
            app,
            ["generate", str(_spec(tmp_path)), "-o", str(tmp_path / "o"), "--teacher",
             "reference:oracle", *extra],
        )  # fmt: skip
        assert result.exit_code != 0 and "Traceback" not in result.output
