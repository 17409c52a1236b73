"""`museslang generate`: guided teacher episodes, rejection sampling, SFT data that loads."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from museslang.datagen.sft import is_validation
from museslang.datagen.teacher import GuidedAgent
from museslang.runtime.engine import Agent, AgentTurn, Engine, EpisodeView
from museslang.runtime.options import BackendOptions
from museslang.runtime.users import make_users
from tests.conftest import ROOT

runner = CliRunner()


def _generate(out: Path, *extra: str, spec: str = "specs/access_control.muses") -> str:
    result = runner.invoke(app, ["generate", spec, "--teacher", "reference:oracle", "--n", "24",
                                 "--out", str(out), "--no-progress", *extra])  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_offline_generation_writes_chat_data_with_tools_and_metadata(tmp_path: Path) -> None:
    output = _generate(tmp_path / "d")
    assert "kept 24/24 episodes (100.0%" in output
    train, val = _lines(tmp_path / "d" / "train.jsonl"), _lines(tmp_path / "d" / "val.jsonl")
    assert len(train) + len(val) == 24 and len(val) >= 1
    for line in train + val:
        roles = [m["role"] for m in line["messages"]]
        assert roles[:2] == ["system", "user"] and "assistant" in roles and "tool" in roles
        assert "PRIVILEGED GUIDANCE" not in json.dumps(line)  # the student never sees it
        calls = [c for m in line["messages"] for c in m.get("tool_calls") or []]
        assert calls and all(isinstance(c["function"]["arguments"], dict) for c in calls)
        assert {t["function"]["name"] for t in line["tools"]} >= {"share_resource"}
        meta = line["metadata"]
        assert meta["scores"]["overall"] == 1.0 and meta["teacher"] == "reference:oracle"
        assert set(meta) >= {"spec_sha256", "episode", "cell", "seed", "family"}
        assert is_validation(meta["episode"], 0.1) == (line in val)
    stats = json.loads((tmp_path / "d" / "generate.json").read_text())
    assert stats["kept"] == 24 and stats["kept_ratio"] == 1.0


def test_generation_is_deterministic_and_resumable(tmp_path: Path) -> None:
    _generate(tmp_path / "a")
    _generate(tmp_path / "b")
    for name in ("train.jsonl", "val.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    again = _generate(tmp_path / "a", "--resume")
    assert "played 0 episodes now, 24 resumed" in again
    assert (tmp_path / "a" / "train.jsonl").read_bytes() == (
        tmp_path / "b" / "train.jsonl"
    ).read_bytes()


def test_only_perfect_episodes_are_kept(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "specs/meeting.muses", "--teacher", "reference:comply",
                                 "--out", str(tmp_path / "c"), "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    kept = json.loads((tmp_path / "c" / "generate.json").read_text())
    assert 0 < kept["kept"] < kept["episodes"] == 216  # comply books a good slot only sometimes
    lines = _lines(tmp_path / "c" / "train.jsonl") + _lines(tmp_path / "c" / "val.jsonl")
    assert all(line["metadata"]["scores"]["success"] == 1.0 for line in lines)
    keys = {json.dumps(line["messages"], sort_keys=True) for line in lines}
    assert len(keys) == len(lines)  # duplicate conversations were dropped
    none = runner.invoke(app, ["generate", "specs/access_control.muses", "--teacher",
                               "reference:refuse", "--n", "4", "--out", str(tmp_path / "r"),
                               "--no-progress"])  # fmt: skip
    assert none.exit_code == 1 and "kept 0/4" in none.output


class _Recorder(Agent):
    spec = "test:recorder"

    def __init__(self) -> None:
        self.systems: list[str] = []

    async def act(self, view: EpisodeView) -> AgentTurn:
        self.systems.append(view.messages[0]["content"])
        return AgentTurn(actions=[])


def test_the_teacher_sees_the_ground_truth_and_the_record_does_not() -> None:
    compiled = compile_path(ROOT / "specs" / "access_control.muses").compiled
    episode = compiled.episodes[0]
    inner = _Recorder()
    engine = Engine(GuidedAgent(inner), make_users("scripted", BackendOptions()))
    run = asyncio.run(engine.run(episode))
    entitled = compiled.episodes[0].truth.entitled
    readers = ", ".join(entitled["payroll"])
    assert (
        "PRIVILEGED GUIDANCE" in inner.systems[0]
        and f"share only with {readers}" in inner.systems[0]
    )
    assert "PRIVILEGED GUIDANCE" not in run.conversation[0]["content"]


def test_the_files_load_with_datasets(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    _generate(tmp_path / "d")
    _generate(tmp_path / "m", spec="specs/meeting.muses")
    for folder in ("d", "m"):
        files = {"train": str(tmp_path / folder / "train.jsonl"),
                 "validation": str(tmp_path / folder / "val.jsonl")}  # fmt: skip
        ds = datasets.load_dataset("json", data_files=files, cache_dir=str(tmp_path / "hf"))
        stats = json.loads((tmp_path / folder / "generate.json").read_text())
        assert ds["train"].num_rows + ds["validation"].num_rows == stats["kept"]
        assert set(ds["train"].column_names) == {"messages", "tools", "metadata"}


def test_bad_generate_arguments_are_one_message(tmp_path: Path) -> None:
    args = ["generate", "specs/meeting.muses", "--out", str(tmp_path / "x")]
    lora = runner.invoke(app, [*args, "--teacher", "reference:oracle", "--lora", str(tmp_path)])
    message = "--lora applies to vllm:MODEL, vllm-serve:MODEL and hf:PATH"
    assert lora.exit_code == 2 and message in lora.output
    val = runner.invoke(app, [*args, "--teacher", "reference:oracle", "--val", "1.5"])
    assert val.exit_code == 2 and "--val must be" in val.output
    resume = runner.invoke(app, [*args, "--teacher", "reference:oracle", "--resume"])
    assert resume.exit_code == 2 and "nothing to resume" in resume.output
