"""In-process models: the `hf:` batch backend and the `train` recipe on a tiny local model.

These run when the [hf] and [train] extras are installed (and are skipped cleanly
otherwise, as in CI). The model is built here, randomly initialised, with no
download. `vllm:` needs a GPU: its test is marked `gpu` and skipped by default.
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from tests.conftest import ROOT

pytestmark = pytest.mark.extras
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from museslang.testing.tiny_model import build_tiny_model

    corpus = [(ROOT / p).read_text(encoding="utf-8") for p in
              ("specs/meeting.muses", "specs/shared_queue.muses", "stdlib/prompts/meeting.j2",
               "stdlib/people.muses")]  # fmt: skip
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), corpus)


def test_the_batch_backend_advances_every_live_episode_together(tiny: Path) -> None:
    from museslang.runtime.agents import make_agent
    from museslang.runtime.engine import Engine
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    options = BackendOptions(max_tokens=6)
    agent = make_agent(f"hf:{tiny}", options)
    users = make_users("scripted", options)
    episodes = compile_path(ROOT / "specs" / "meeting.muses").compiled.episodes[:4]

    async def play():
        engine = Engine(agent, users)
        return await asyncio.gather(*(engine.run(e) for e in episodes))

    runs = asyncio.run(play())
    assert all(r.error is None for r in runs)
    turns = max(r.turns for r in runs)
    # one batch per step while all four run: never one request at a time
    assert agent.batches[0] == 4 and sum(agent.batches) == sum(r.turns for r in runs)
    assert len(agent.batches) <= turns + 1
    assert all(r.agent_usage.prompt_tokens > 0 for r in runs)


def test_eval_and_generate_run_on_the_local_model(tiny: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "specs/shared_queue.muses", "--agent", f"hf:{tiny}",
                                 "--limit", "3", "--max-tokens", "6", "--out",
                                 str(tmp_path / "e"), "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3/3 episodes ok" in result.output
    made = runner.invoke(app, ["generate", "specs/shared_queue.muses", "--teacher", f"hf:{tiny}",
                               "--n", "3", "--max-tokens", "6", "--out", str(tmp_path / "g"),
                               "--no-progress"])  # fmt: skip
    # a random model never decides right: every episode is rejected, and that is reported
    assert made.exit_code == 1 and "kept 0/3 episodes" in made.output


def test_a_missing_extra_is_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_vllm(name, *args, **kwargs):
        if name == "vllm" or name.startswith("vllm."):
            raise ImportError("No module named 'vllm'", name="vllm")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_vllm)
    result = runner.invoke(app, ["eval", "specs/meeting.muses", "--agent", "vllm:some/model"])
    assert result.exit_code == 2
    assert "needs the optional [vllm] extra (vllm is not installed)" in result.output


def test_train_a_few_steps_and_load_the_adapter_back(tiny: Path, tmp_path: Path) -> None:
    pytest.importorskip("trl")
    pytest.importorskip("peft")
    pytest.importorskip("datasets")
    data = tmp_path / "data"
    made = runner.invoke(app, ["generate", "specs/shared_queue.muses", "--teacher",
                               "reference:oracle", "--n", "12", "--out", str(data),
                               "--no-progress"])  # fmt: skip
    assert made.exit_code == 0, made.output
    out = tmp_path / "adapter"
    trained = runner.invoke(app, ["train", str(data), "--base", str(tiny), "--out", str(out),
                                  "--max-steps", "3", "--cpu", "--max-length", "4096"])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    summary = json.loads((out / "museslang-train.json").read_text())
    assert summary["steps"] == 3 and math.isfinite(summary["train_loss"]) and summary["finite"]
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    loaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny), out)
    assert any("lora" in name for name, _ in loaded.named_parameters())
    served = runner.invoke(app, ["eval", "specs/shared_queue.muses", "--agent", f"hf:{tiny}",
                                 "--lora", str(out), "--limit", "2", "--max-tokens", "4",
                                 "--out", str(tmp_path / "e"), "--no-progress"])  # fmt: skip
    assert served.exit_code == 0 and "2/2 episodes ok" in served.output


@pytest.mark.gpu
def test_vllm_runs_episodes_on_a_gpu(tmp_path: Path) -> None:
    pytest.importorskip("vllm")
    model = "Qwen/Qwen2.5-0.5B-Instruct"
    result = runner.invoke(app, ["eval", "specs/shared_queue.muses", "--agent", f"vllm:{model}",
                                 "--limit", "8", "--out", str(tmp_path / "v"),
                                 "--no-progress"])  # fmt: skip
    assert result.exit_code == 0 and "8/8 episodes ok" in result.output
