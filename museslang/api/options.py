"""The API's options, as frozen dataclasses: what `eval` and `generate` share about the
models (`ModelOptions`), where the episodes run (`RayOptions`), and each call's own
(`EvalOptions`, `RescoreOptions`, `ReportOptions`). At module level it imports only the
API's errors, so building options costs nothing; the checks say what cannot work, with
the same words as the command line (`OptionError`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museslang.api.errors import OptionError

if TYPE_CHECKING:
    from museslang.run.cluster import ClusterOptions
    from museslang.runtime.options import BackendOptions


@dataclass(frozen=True)
class ModelOptions:
    """How the agent's and the simulated users' models are reached and sampled."""

    base_url: str | None = None
    users_base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.5
    temperature: float = 0.0
    max_tokens: int = 1024
    tool_mode: str = "tools"
    max_requests: int | None = None  # None: the call's concurrency
    cache: Path | None = None
    lora: Path | None = None
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    stop: tuple[str, ...] = ()
    threads: int | None = None
    tensor_parallel: int = 1
    gpu_memory: float | None = None
    max_model_len: int | None = None
    kv_cache_space: float | None = None

    def check_requests(self) -> None:
        """The request options (`eval`'s order of checks)."""
        if self.cache is not None and self.cache.exists() and not self.cache.is_dir():
            raise OptionError("cache", f"--cache {self.cache} is not a folder")

    def check_limits(self) -> None:
        if self.timeout <= 0 or self.retries < 0 or self.backoff < 0 or self.max_tokens < 1:
            raise OptionError(
                "timeout",
                "--timeout and --max-tokens must be positive, --retries and --backoff >= 0",
            )

    def check_lora(self, agent: str | None) -> None:
        """An adapter only means something to a model this process loads."""
        if self.lora is None:
            return
        if (agent or "").partition(":")[0] not in {"vllm", "hf", "vllm-serve"}:
            raise OptionError("lora", "--lora applies to vllm:MODEL, vllm-serve:MODEL and "
                              "hf:PATH agents (serve adapters for openai: with vllm serve "
                              "--lora-modules)")  # fmt: skip
        if not self.lora.is_dir():
            raise OptionError("lora", f"--lora {self.lora} is not a folder")

    def settings(self) -> dict[str, Any]:
        """The sampling and engine options every model command shares, checked."""
        if not 0 < self.top_p <= 1:
            raise OptionError("top_p", "--top-p must be above 0 and at most 1")
        if self.repetition_penalty <= 0:
            raise OptionError("repetition_penalty",
                              "--repetition-penalty must be positive (1 is off)")  # fmt: skip
        if self.threads is not None and self.threads < 1:
            raise OptionError("threads", "--threads must be at least 1")
        if self.tensor_parallel < 1:
            raise OptionError("tensor_parallel", "--tensor-parallel must be at least 1")
        if self.gpu_memory is not None and not 0 < self.gpu_memory <= 1:
            raise OptionError("gpu_memory", "--gpu-memory must be above 0 and at most 1")
        if self.max_model_len is not None and self.max_model_len < 1:
            raise OptionError("max_model_len", "--max-model-len must be positive")
        if self.kv_cache_space is not None and self.kv_cache_space <= 0:
            raise OptionError("kv_cache_space", "--kv-cache-space must be positive (GiB)")
        return {
            "top_p": self.top_p, "repetition_penalty": self.repetition_penalty,
            "stop": tuple(s for s in self.stop or () if s), "threads": self.threads,
            "tensor_parallel": self.tensor_parallel, "gpu_memory": self.gpu_memory,
            "max_model_len": self.max_model_len, "kv_cache_space": self.kv_cache_space,
        }  # fmt: skip

    def backend(
        self, concurrency: int, *, compat: bool = False, log_dir: str | None = None,
        users_verify: int = 0,
    ) -> BackendOptions:  # fmt: skip
        """The backends' options; the secrets they carry are registered with the redactor."""
        from museslang.runtime.options import BackendOptions

        options = BackendOptions(
            **self.settings(),
            log_dir=log_dir,  # a server museslang starts logs here
            max_requests=self.max_requests or concurrency,
            users_verify=users_verify,
            empty_ok=compat,  # the official runner takes an empty reply as one
            base_url=self.base_url,
            users_base_url=self.users_base_url,
            api_key_env=self.api_key_env,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            tool_mode=self.tool_mode,
            cache_dir=str(self.cache) if self.cache is not None else None,
            lora=str(self.lora) if self.lora is not None else None,
        )
        options.register_secrets()
        return options


@dataclass(frozen=True)
class RayOptions:
    """Run the episodes on Ray actors: `address` "" or "local" starts Ray here."""

    address: str = "local"
    actors: int | None = None
    gpus_per_actor: float = 0.0


def cluster(
    ray: RayOptions | None, model: ModelOptions, *, actors: int | None = None,
    gpus_per_actor: float = 0.0,
) -> ClusterOptions | None:  # fmt: skip
    """The Ray options, checked; None without Ray (`actors`/`gpus_per_actor`: the command
    line's flags given without --ray)."""
    from museslang.run.cluster import ClusterOptions

    several = any("," in (u or "") for u in (model.base_url, model.users_base_url))
    if ray is None:
        if actors is not None or gpus_per_actor:
            raise OptionError("actors", "--actors and --gpus-per-actor need --ray")
        if several:
            raise OptionError("base_url", "several --base-url endpoints (a,b,...) need --ray: "
                              "each actor takes one")  # fmt: skip
        return None
    if ray.actors is not None and ray.actors < 1:
        raise OptionError("actors", "--actors must be at least 1")
    if ray.gpus_per_actor < 0:
        raise OptionError("gpus_per_actor", "--gpus-per-actor must be at least 0")
    return ClusterOptions(address=ray.address.strip() or "local", actors=ray.actors,
                          gpus_per_actor=ray.gpus_per_actor)  # fmt: skip


@dataclass(frozen=True)
class EvalOptions:
    """One evaluation: which users, how many episodes, where the run goes."""

    users: str = "scripted"
    users_verify: int = 0
    concurrency: int = 16
    limit: int | None = None
    sample: int | None = None
    seed: int | None = None
    out: Path | None = None  # None: runs/SPEC-AGENT-TIME
    resume: bool = False
    trials: int = 1
    metrics: str = "default"
    judge: tuple[str, ...] = ()
    judge_base_url: str | None = None
    ray: RayOptions | None = None
    report: bool = True  # write report.md and report.html into the run folder
    tags: tuple[str, ...] = ()  # run only the episodes of scenarios with one of these tags
    guard: tuple[str, ...] = ()  # guard names, stacked in order (`--guard acl,spotlight`)

    def check(self, model: ModelOptions) -> None:
        """Every check `museslang eval` makes of its options, in its order."""
        from museslang.ir.results import MAX_TRIALS

        if self.concurrency < 1:
            raise OptionError("concurrency", "--concurrency must be at least 1")
        if not 1 <= self.trials <= MAX_TRIALS:
            raise OptionError("trials", f"--trials must be from 1 to {MAX_TRIALS:,}")
        scheme(self.metrics)
        model.check_requests()
        if self.limit is not None and self.limit < 1:
            raise OptionError("limit", "--limit must be at least 1")
        if self.sample is not None and self.sample < 1:
            raise OptionError("sample", "--sample must be at least 1")
        model.check_limits()
        if self.resume and self.out is None:
            raise OptionError("resume", "--resume needs --out DIR (the run to continue)")
        if model.max_requests is not None and model.max_requests < 1:
            raise OptionError("max_requests", "--max-requests must be at least 1")
        if self.users_verify < 0:
            raise OptionError("users_verify", "--users-verify must be at least 0")


@dataclass(frozen=True)
class RescoreOptions:
    metrics: str = "default"
    spec: Path | None = None  # the spec the run used, when it moved
    judge: tuple[str, ...] = ()
    judge_base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    cache: Path | None = None


@dataclass(frozen=True)
class ReportOptions:
    out: Path | None = None  # default: the run folder, or ./report for several runs


def scheme(name: str) -> None:
    """A scoring scheme's name, checked."""
    from museslang.diagnostics import did_you_mean
    from museslang.metrics.registry import SCHEMES

    if name not in SCHEMES:
        hint = did_you_mean(name, SCHEMES)
        raise OptionError("metrics", f"unknown --metrics '{name}'{'; ' + hint if hint else ''} "
                          "(default or compat)")  # fmt: skip
