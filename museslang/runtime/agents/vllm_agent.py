"""`vllm:MODEL`: vLLM in this process (`vllm.LLM.chat`), for generation and evaluation on a GPU.

All pending turns go to `LLM.chat` as one list of conversations with per-request
sampling parameters (each seeded from its episode, turn and trial). Prefix caching is
on, so the append-only conversations reuse the previous turn's KV cache; `--lora PATH`
serves an adapter through a LoRA request. Tool calls come back as Hermes-style
`<tool_call>` blocks (see `batch`). Needs the [vllm] extra and a GPU; `vllm serve`
with `openai:MODEL` is the other way to use vLLM (docs/training.md).
"""

from __future__ import annotations

from museslang.lower.seeds import derive_seed
from museslang.runtime.agents import AGENTS
from museslang.runtime.agents.batch import BatchAgent, Generated, chat_messages, missing_extra
from museslang.runtime.engine import Agent, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions


class VLLMAgent(BatchAgent):
    def __init__(self, model: str, options: BackendOptions) -> None:
        super().__init__(options, max_batch=1024)
        try:
            from vllm import LLM, SamplingParams
        except ImportError as exc:
            raise missing_extra("vllm", exc) from None
        self.sampling = SamplingParams
        self.llm = LLM(model=model, enable_prefix_caching=True, enable_lora=bool(options.lora))
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
                    temperature=self.options.temperature,
                    max_tokens=self.options.max_tokens,
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
                    first.text, len(out.prompt_token_ids or []), len(first.token_ids or [])
                )
        return [results[i] for i in range(len(views))]


@AGENTS.register("vllm")
def _vllm(arg: str | None, options: BackendOptions) -> Agent:
    if not arg:
        raise BackendError("name the model: vllm:MODEL (a Hugging Face id or a local folder)")
    return VLLMAgent(arg, options)
