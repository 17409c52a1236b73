"""`vllm:MODEL`: vLLM in this process (`vllm.LLM.chat`), for generation and evaluation on a GPU.

All pending turns go to `LLM.chat` as one list of conversations with per-request
sampling parameters (each seeded from its episode, turn and trial). Prefix caching is
on, so the append-only conversations reuse the previous turn's KV cache; `--lora PATH`
serves an adapter through a LoRA request. Tool calls come back as Hermes-style
`<tool_call>` blocks (see `batch`). Needs the [vllm] extra and a GPU; `vllm serve`
with `openai:MODEL` is the other way to use vLLM (docs/training.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from museslang.lower.seeds import derive_seed
from museslang.runtime.agents import AGENTS
from museslang.runtime.agents.batch import BatchAgent, Generated, chat_messages, missing_extra
from museslang.runtime.engine import Agent, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions

LORA_RANKS = (16, 32, 64, 128, 256, 320, 512)  # vLLM's accepted max_lora_rank values


def lora_rank(adapter: str) -> int | None:
    """The adapter's rank from its `adapter_config.json` (PEFT's `r`), if it says."""
    try:
        config = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rank = config.get("r") if isinstance(config, dict) else None
    return rank if isinstance(rank, int) and rank > 0 else None


def engine_args(options: BackendOptions) -> dict[str, Any]:
    """`vllm.LLM` arguments: prefix caching on; a LoRA adapter's rank as the engine's
    maximum (vLLM's default of 16 refuses a rank-64 adapter); parallelism and memory as
    asked. Kept apart from the engine so that it can be checked without a GPU."""
    args: dict[str, Any] = {"enable_prefix_caching": True, "enable_lora": bool(options.lora)}
    if options.lora:
        rank = lora_rank(options.lora)
        if rank is not None:  # vLLM takes one of its supported sizes: the next one up
            args["max_lora_rank"] = next((r for r in LORA_RANKS if r >= rank), rank)
    if options.tensor_parallel > 1:
        args["tensor_parallel_size"] = options.tensor_parallel
    if options.gpu_memory is not None:
        args["gpu_memory_utilization"] = options.gpu_memory
    if options.max_model_len is not None:
        args["max_model_len"] = options.max_model_len
    return args


def sampling_args(options: BackendOptions) -> dict[str, Any]:
    args: dict[str, Any] = {"temperature": options.temperature, "max_tokens": options.max_tokens}
    if options.top_p != 1.0:
        args["top_p"] = options.top_p
    if options.repetition_penalty != 1.0:
        args["repetition_penalty"] = options.repetition_penalty
    if options.stop:
        args["stop"] = list(options.stop)
    return args


class VLLMAgent(BatchAgent):
    def __init__(self, model: str, options: BackendOptions) -> None:
        super().__init__(options, max_batch=1024)
        try:
            from vllm import LLM, SamplingParams
        except ImportError as exc:
            raise missing_extra("vllm", exc) from None
        self.sampling = SamplingParams
        self.llm = LLM(model=model, **engine_args(options))
        self.lora = None
        if options.lora:
            from vllm.lora.request import LoRARequest

            self.lora = LoRARequest("museslang-adapter", 1, options.lora)

    def generate(self, views: list[EpisodeView]) -> list[Generated]:
        results: dict[int, Generated] = {}
        groups: dict[int, list[int]] = {}  # one LLM.chat call per distinct tool list
        for i, v in enumerate(views):
            groups.setdefault(id(v.tools), []).append(i)
        for indices in groups.values():
            params = [
                self.sampling(
                    **sampling_args(self.options),
                    seed=derive_seed(views[i].episode.seed, "agent", views[i].turn, views[i].trial)
                    % 2**31,
                )
                for i in indices
            ]
            outputs = self.llm.chat(
                [chat_messages(views[i]) for i in indices],
                sampling_params=params,
                tools=views[indices[0]].tools,
                lora_request=self.lora,
                use_tqdm=False,
            )
            for i, out in zip(indices, outputs, strict=True):
                first = out.outputs[0]
                results[i] = Generated(
                    first.text,
                    len(out.prompt_token_ids or []),
                    len(first.token_ids or []),
                    stopped=getattr(first, "finish_reason", "stop") != "length",
                )
        return [results[i] for i in range(len(views))]


@AGENTS.register("vllm")
def _vllm(arg: str | None, options: BackendOptions) -> Agent:
    if not arg:
        raise BackendError("name the model: vllm:MODEL (a Hugging Face id or a local folder)")
    return VLLMAgent(arg, options)
