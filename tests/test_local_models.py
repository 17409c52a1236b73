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


def test_kv_generation_matches_plain_generate_and_reuses_each_episodes_cache(tiny: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from museslang.runtime.agents.kv_generate import KVGenerator, Request

    tok = AutoTokenizer.from_pretrained(tiny)
    model = AutoModelForCausalLM.from_pretrained(tiny).eval()
    gen = KVGenerator(model, {tok.eos_token_id})
    texts = ["Amara prefers Tue 9:30", "the queue has one worker and three orders to decide",
             "hi"]  # fmt: skip
    ids = [tok(t)["input_ids"] for t in texts]
    first = gen.generate([Request(str(i), x, 12, 0) for i, x in enumerate(ids)])
    with torch.no_grad():  # batched, left-padded decoding gives plain generate's tokens
        for x, out in zip(ids, first, strict=True):
            plain = model.generate(torch.tensor([x]), max_new_tokens=12, do_sample=False,
                                   pad_token_id=tok.pad_token_id)[0, len(x):].tolist()  # fmt: skip
            assert out.ids == [t for t in plain if t != tok.eos_token_id][: len(out.ids)]
    more = tok(" and then?")["input_ids"]
    grown = [x + out.ids + more for x, out in zip(ids, first, strict=True)]
    second = gen.generate([Request(str(i), x, 4, 0) for i, x in enumerate(grown)])
    # everything but the new words came from the cache kept since the first turn
    assert [o.reused_tokens for o in second] == [
        len(x) + len(o.ids) - (0 if o.stopped else 1) for x, o in zip(ids, first, strict=True)
    ]
    # a seeded sample does not depend on what else shares the batch
    alone = KVGenerator(model, {tok.eos_token_id}).generate([Request("a", ids[0], 8, 7, 1.0)])
    shared = KVGenerator(model, {tok.eos_token_id}).generate(
        [Request("b", ids[1], 8, 3, 1.0), Request("a", ids[0], 8, 7, 1.0)]
    )
    assert alone[0].ids == shared[1].ids


def test_hf_takes_a_model_whose_template_knows_no_tools(tiny: Path, tmp_path: Path) -> None:
    """SmolLM2's template renders role and content only: tools go into the text, and an
    assistant turn that only called tools renders instead of failing on `None`."""
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(tiny, plain)
    config = json.loads((plain / "tokenizer_config.json").read_text())
    # as SmolLM2's: string concatenation, so a `None` content is an error, not "None"
    template = ("{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] + '<|end|>' }}"
                "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")  # fmt: skip
    config["chat_template"] = template
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    done = runner.invoke(app, ["eval", "specs/meeting.muses", "--agent", f"hf:{plain}",
                               "--limit", "2", "--max-tokens", "4", "--out",
                               str(tmp_path / "e"), "--no-progress"])  # fmt: skip
    assert done.exit_code == 0 and "2/2 episodes ok" in done.output, done.output
    data = tmp_path / "data"
    made = runner.invoke(app, ["generate", "specs/access_control.muses", "--teacher",
                               "reference:oracle", "--n", "4", "--out", str(data),
                               "--no-progress"])  # fmt: skip
    assert made.exit_code == 0, made.output
    pytest.importorskip("trl")
    trained = runner.invoke(app, ["train", str(data), "--base", str(plain), "--out",
                                  str(tmp_path / "a"), "--max-steps", "1", "--cpu",
                                  "--max-length", "512"])  # fmt: skip
    assert trained.exit_code == 0, trained.output


@pytest.mark.gpu
def test_vllm_runs_episodes_on_a_gpu(tmp_path: Path) -> None:
    pytest.importorskip("vllm")
    model = "Qwen/Qwen2.5-0.5B-Instruct"
    result = runner.invoke(app, ["eval", "specs/shared_queue.muses", "--agent", f"vllm:{model}",
                                 "--limit", "8", "--out", str(tmp_path / "v"),
                                 "--no-progress"])  # fmt: skip
    assert result.exit_code == 0 and "8/8 episodes ok" in result.output
