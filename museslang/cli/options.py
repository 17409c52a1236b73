"""The options several commands share, each declared once: typed `Annotated` aliases for
single options, and `ModelFlags`, the model and backend options of `eval` and `generate`,
which `with_model_flags` spreads into a command's signature (typer sees one option per
field; the command receives one `ModelFlags`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_type_hints

import typer

if TYPE_CHECKING:
    from museslang.api.options import ModelOptions, RayOptions

Users = Annotated[
    str,
    typer.Option(
        help="Simulated users: scripted, openai:MODEL, or vllm-serve:MODEL (a vLLM server "
        "museslang starts; shared with the agent when it names the same model)."
    ),
]
Concurrency = Annotated[int, typer.Option(help="Episodes run at once.")]
Seed = Annotated[int | None, typer.Option(help="Base seed (default: the spec's).")]
Tags = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        help="Only the episodes of scenarios with this tag (`tags: [...]`); repeat it for "
        "those with any of several. A tag no episode has is an error.",
    ),
]
SweepSeed = Annotated[
    int | None, typer.Option("--seed", help="Base seed for sweep expansion (default: the spec's).")
]
BaseUrl = Annotated[
    str | None, typer.Option(help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1.")
]
ApiKeyEnv = Annotated[str, typer.Option(help="Environment variable that holds the API key.")]
MaxTokens = Annotated[int, typer.Option(help="Tokens per reply.")]
ToolMode = Annotated[
    str, typer.Option(help="tools: OpenAI tool calls; text: actions parsed from text.")
]
MaxRequests = Annotated[
    int | None,
    typer.Option(
        help="Requests in flight per endpoint, and its connection pool (default: --concurrency).",
    ),
]
Cache = Annotated[
    Path | None, typer.Option(help="Response cache folder: a rerun of a finished request is free.")
]
ShowProgress = Annotated[bool, typer.Option(help="Show a progress bar.")]
TopP = Annotated[float, typer.Option(help="Nucleus sampling: keep the top tokens of this mass.")]
RepetitionPenalty = Annotated[
    float,
    typer.Option(help="Penalise tokens already seen (hf:, vllm:, vLLM servers); 1 is off."),
]
Stop = Annotated[
    list[str] | None, typer.Option("--stop", help="A string that ends a reply (repeatable).")
]
Threads = Annotated[
    int | None,
    typer.Option(
        help="CPU threads for hf: (default: one fewer than the cores, at least one) and for "
        "vLLM's CPU build (vllm:, vllm-serve:; default: vLLM's own)."
    ),
]
TensorParallel = Annotated[int, typer.Option(help="vllm: GPUs to split the model over.")]
GpuMemory = Annotated[
    float | None, typer.Option(help="vllm: share of GPU memory to use (vLLM's default: 0.9).")
]
MaxModelLen = Annotated[
    int | None, typer.Option(help="vllm: context length (default: the model's).")
]
KvCacheSpace = Annotated[
    float | None,
    typer.Option(help="vllm: KV cache size in GiB (the CPU build's setting; default: vLLM's)."),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray",
        metavar="[ADDRESS]",
        help="Run the episodes on Ray actors (the [ray] extra): --ray alone starts Ray here; "
        "--ray ADDRESS joins a cluster (auto, HOST:PORT, ray://HOST:10001). docs/scale.md.",
    ),
]
Actors = Annotated[
    int | None, typer.Option(help="--ray: actors (default: one per CPU, at most --concurrency).")
]
GpusPerActor = Annotated[
    float, typer.Option(help="--ray: GPUs per actor, for vllm: and hf: models (e.g. 1).")
]
Judges = Annotated[
    list[str] | None,
    typer.Option(
        "--judge",
        help="A leak judge: openai:MODEL, vllm:MODEL, hf:PATH or reference:lenient|yes|no "
        "(repeat for a majority vote); reported as privacy_judged. docs/eval.md.",
    ),
]
JudgeBaseUrl = Annotated[
    str | None, typer.Option(help="Endpoint for openai: judges (default: --base-url).")
]
Temperature = Annotated[float, typer.Option(help="Sampling temperature.")]
Metrics = Annotated[
    str, typer.Option(help="Scoring: default, or compat (the official definitions).")
]


@dataclass(frozen=True)
class ModelFlags:
    """The model and backend options `eval` and `generate` both take, with one default and
    one help text each: how a model is reached, sampled and loaded, and where it runs."""

    base_url: BaseUrl = None
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY"
    max_tokens: MaxTokens = 1024
    tool_mode: ToolMode = "tools"
    cache: Cache = None
    top_p: TopP = 1.0
    repetition_penalty: RepetitionPenalty = 1.0
    stop: Stop = None
    threads: Threads = None
    tensor_parallel: TensorParallel = 1
    gpu_memory: GpuMemory = None
    max_model_len: MaxModelLen = None
    kv_cache_space: KvCacheSpace = None
    ray: RayAddress = None
    actors: Actors = None
    gpus_per_actor: GpusPerActor = 0.0

    def model(self, **own: Any) -> ModelOptions:
        """The API's model options: these flags and a command's own (`temperature`, ...)."""
        from museslang.api.options import ModelOptions

        return ModelOptions(
            base_url=self.base_url, api_key_env=self.api_key_env, max_tokens=self.max_tokens,
            tool_mode=self.tool_mode, cache=self.cache, top_p=self.top_p,
            repetition_penalty=self.repetition_penalty, stop=tuple(self.stop or ()),
            threads=self.threads, tensor_parallel=self.tensor_parallel,
            gpu_memory=self.gpu_memory, max_model_len=self.max_model_len,
            kv_cache_space=self.kv_cache_space, **own,
        )  # fmt: skip

    def ray_options(self) -> RayOptions | None:
        """`--ray` and its actors; None without --ray."""
        from museslang.api.options import RayOptions

        return None if self.ray is None else RayOptions(self.ray, self.actors, self.gpus_per_actor)

    def loose_ray_flags(self) -> dict[str, Any]:
        """--actors and --gpus-per-actor given without --ray: the API refuses them by name."""
        if self.ray is not None:
            return {}
        return {"actors": self.actors, "gpus_per_actor": self.gpus_per_actor}


MODEL_FLAGS = ModelFlags()  # the placeholder default: `with_model_flags` spreads it

Command = TypeVar("Command", bound=Callable[..., Any])


def with_model_flags(command: Command) -> Command:
    """The command with its `model: ModelFlags` parameter spread into one parameter per
    field, in its place: typer reads the spread signature, and a caller (typer, or the
    loop calling the command with keywords) passes the flags one by one; the command
    receives them gathered in one `ModelFlags`."""
    signature = inspect.signature(command, eval_str=True)
    hints = get_type_hints(ModelFlags, include_extras=True)
    names = [f.name for f in fields(ModelFlags)]
    spread = [
        inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=f.default,
                          annotation=hints[f.name])
        for f in fields(ModelFlags)
    ]  # fmt: skip
    params: list[inspect.Parameter] = []
    for p in signature.parameters.values():
        params.extend(spread if p.name == "model" else [p])
    if len(params) == len(signature.parameters):
        raise TypeError(f"{command.__name__} has no `model: ModelFlags` parameter")

    @functools.wraps(command)
    def spread_command(*args: Any, **kwargs: Any) -> Any:
        flags = ModelFlags(**{n: kwargs.pop(n) for n in names if n in kwargs})
        return command(*args, model=flags, **kwargs)

    spread_command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    spread_command.__annotations__ = {p.name: p.annotation for p in params}
    spread_command.__annotations__["return"] = signature.return_annotation
    return spread_command  # type: ignore[return-value]
