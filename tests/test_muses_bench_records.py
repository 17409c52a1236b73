"""`generate --format muses-bench` writes records an SFT loader can read as they are: every
line one `{"messages": [...]}` of string roles and contents (one schema for `datasets`),
at least one agent turn in each (a conversation in which the agent only used tools is
dropped and counted, never written as `{"messages": []}`), and a system prompt that says
how these records carry the users (their roles), not how the live run wrapped them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from museslang.datagen.muses_bench_format import ROLES
from tests.conftest import ROOT

runner = CliRunner()


def _generate(tmp_path: Path, spec: str, *extra: str, code: int = 0) -> tuple[list[dict], dict]:
    out = tmp_path / Path(spec).stem
    args = ["generate", f"specs/{spec}", "--teacher", "reference:oracle", "--format",
            "muses-bench", "--no-progress", "-o", str(out), *extra]  # fmt: skip
    done = runner.invoke(app, args)
    assert done.exit_code == code, done.output
    lines = [json.loads(ln) for name in ("train.jsonl", "val.jsonl")
             for ln in (out / name).read_text(encoding="utf-8").splitlines()]  # fmt: skip
    return lines, json.loads((out / "generate.json").read_text(encoding="utf-8"))


def test_a_conversation_without_agent_text_is_dropped_and_counted(tmp_path: Path) -> None:
    lines, stats = _generate(tmp_path, "budget.muses", "--n", "2", code=1)  # tools only
    assert lines == [] and stats["kept"] == 0
    assert stats["textless_dropped"] == 2 and stats["by_family"]["budget"]["textless"] == 2


def test_records_share_one_schema_and_describe_their_roles(tmp_path: Path) -> None:
    describes = {e.identity.describe for e in compile_path(ROOT / "specs" / "access_control.muses")
                 .compiled.episodes} | {"Each user message arrives wrapped in tags"}  # fmt: skip
    for spec, extra in (("conversation.muses", ()), ("access_control.muses", ("--n", "3"))):
        lines, stats = _generate(tmp_path, spec, *extra)
        assert lines and stats["textless_dropped"] == 0
        for line in lines:
            assert set(line) == {"messages"}
            messages = line["messages"]
            assert all(set(m) == {"role", "content"} for m in messages)
            assert all(isinstance(m["role"], str) and isinstance(m["content"], str)
                       for m in messages)  # fmt: skip
            assert messages[0]["role"] == "system" and messages[-1]["role"] == "assistant"
            system = messages[0]["content"]
            assert ROLES in system and not any(d and d in system for d in describes)
            for m in messages:
                if m["role"].startswith("user_"):  # the role names the sender, not a tag
                    name = m["role"].removeprefix("user_")
                    assert not m["content"].startswith(f"<{name}>"), m["content"]
