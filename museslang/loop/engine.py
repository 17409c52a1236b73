"""One vLLM engine for all of a loop's model evaluations.

Each `museslang eval --agent vllm:MODEL` starts its own engine, which on a CPU costs one
to several minutes (and a compile the first time); a loop evaluates the base model and
its adapter on several specs and seeds. Here the engine is started once, with LoRA on
when the trained adapter is among the evaluations, and the `vllm:` agent factory is
replaced for the duration by one that hands out agents on that engine (the base model
without a LoRA request, the adapter with one), then restored. The sampling, the seeds
and the scoring are those of `vllm:`: only the engine's start is shared.

The engine must be created in the main process of a program whose entry point is
guarded by `if __name__ == "__main__":` (vLLM spawns its engine process, which imports
it): `museslang` and `python -m museslang` are.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from museslang.loop.plan import Plan


@contextlib.contextmanager
def shared_vllm(plan: Plan, adapter: Path | None) -> Iterator[None]:
    from museslang.runtime.agents import AGENTS
    from museslang.runtime.agents.batch import missing_extra
    from museslang.runtime.agents.vllm_agent import VLLMAgent
    from museslang.runtime.options import BackendError, BackendOptions
    from museslang.runtime.vllm_options import cpu_env, engine_args, vllm_device, vllm_hint

    e = plan.evaluation
    options = BackendOptions(
        tool_mode=plan.tool_mode, lora=str(adapter) if adapter else None,
        kv_cache_space=e.kv_cache_space, threads=e.threads, max_model_len=e.max_model_len,
    )  # fmt: skip
    try:
        from vllm import LLM
    except ImportError as exc:
        raise missing_extra("vllm", exc, vllm_hint()) from None
    device = vllm_device()
    if device == "cpu":
        os.environ.update(cpu_env(options))
    args = engine_args(options, device)
    if adapter is not None and "max_lora_rank" not in args:
        args["max_lora_rank"] = 16
    try:
        llm = LLM(model=str(Path(plan.base).expanduser()), **args)
    except (OSError, ValueError) as exc:
        raise BackendError(f"vllm:{plan.base}: cannot start the engine ({exc})") from None
    before = AGENTS.get("vllm")

    def on_this_engine(arg: str | None, opts: BackendOptions) -> VLLMAgent:
        agent = VLLMAgent(arg or plan.base, opts, llm=llm)
        return agent

    AGENTS.replace("vllm", on_this_engine)
    try:
        yield None
    finally:
        AGENTS.replace("vllm", before)
        with contextlib.suppress(Exception):
            llm.llm_engine.engine_core.shutdown()
