"""The `museslang` command line.

Every command turns bad input into one clear message and a non-zero exit:
spec errors are rendered diagnostics on stderr (exit 1), unusable arguments
such as a missing file are a one-line error (exit 2). No traceback reaches
the user.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # commands import what they use when they run: `--help` stays fast
    from museslang.ir.models import CompiledSpec, EpisodeGraph
    from museslang.metrics.summary import RunSummary
    from museslang.run.cluster import ClusterOptions
    from museslang.run.runner import RunOutcome
    from museslang.runtime.engine import Agent, UserBackend
    from museslang.runtime.options import BackendOptions

# options shared by several commands, declared once
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


app = typer.Typer(
    name="museslang",
    help="Compile multi-user agent scenarios (.muses) into checked, runnable episodes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    from museslang.safetext import redact

    typer.echo(f"museslang: error: {redact(message)}", err=True)
    return typer.Exit(code)


def _spec_file(path: Path) -> Path:
    from museslang.api.compile import spec_file

    with _api():
        return spec_file(path)


def _version(value: bool) -> None:
    from museslang import __version__

    if value:
        typer.echo(f"museslang {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """museslang: checked, reproducible multi-user agent benchmarks from source code."""
    _redact_output()


def _redact_output() -> None:
    """Every line any command prints passes one redactor: no secret museslang was given
    (an API key, URL credentials) reaches the terminal or a log, however it got there."""
    from museslang.safetext import RedactingStream

    before = sys.stdout, sys.stderr
    if isinstance(sys.stderr, RedactingStream):
        return
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)

    def restore() -> None:
        sys.stdout, sys.stderr = before

    import click

    context = click.get_current_context(silent=True)
    if context is not None:  # put back when the command ends (tests run many in one process)
        context.call_on_close(restore)


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="One or more .muses files.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    oracle_gate: Annotated[
        bool,
        typer.Option(
            "--oracle-gate/--no-oracle-gate",
            help="Also play every episode with the reference oracle; an episode it cannot "
            "pass is an error.",
        ),
    ] = True,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="A generated episode drawn again (its first draw was one the oracle could "
            "not pass) is an error, not a count.",
        ),
    ] = False,
    audit: Annotated[
        bool,
        typer.Option(
            "--audit",
            help="Run the mutation audit on every episode (not a sample) and print each "
            "family's mutation score.",
        ),
    ] = False,
) -> None:
    """Check specs for errors; exit 0 when clean (warnings allowed), 1 on errors.

    The oracle gate compiles every episode and plays it offline with the reference
    oracle and scripted users: a spec no agent could pass never reaches a model run.
    Episodes drawn again are counted per scenario and cell; a scenario that keeps few of
    its draws is a warning (W009). The mutation audit damages the oracle's play the ways
    the family's actions allow and scores it again: a damaged play that still succeeds is
    an error (E062). It runs on a sample (every episode of a family written in museslang,
    one per scenario of the others); `--audit` runs it on every episode.
    """
    from museslang import compile_cache

    failed = False
    if audit and not oracle_gate:
        raise _fail("--audit needs the oracle gate (drop --no-oracle-gate)")
    mode = f"{oracle_gate}{'-strict' * strict}{'-audit' * audit}"
    for path in files:
        _spec_file(path)
        passed = compile_cache.passed_check(path, mode) if oracle_gate else None
        if passed is not None:  # clean before, and nothing it read has changed
            if not quiet:
                typer.echo("\n".join(part for part in passed if part), err=True)
            continue
        from museslang.compiler import check_path, compile_path
        from museslang.diagnostics import render_all
        from museslang.gate import gate as run_gate
        from museslang.lower.mixtures import lines as mixture_lines
        from museslang.lower.redraws import lines as redraw_lines
        from museslang.lower.targets import lines as target_lines

        result = compile_path(path, strict=strict) if oracle_gate else check_path(path)
        gated = ""
        scores = []
        if oracle_gate and result.compiled is not None:
            before = len(result.diagnostics.warnings)
            report = run_gate(result, "all" if audit else "sample")
            scores = list((report.audit or {}).values()) if audit else []
            n = len(result.compiled.episodes)
            soft = sum(d.code == "W006" for d in result.diagnostics.warnings[before:])
            gated = f"; the oracle passes all {n} episode{'s' if n != 1 else ''}"
            if soft:
                gated = (f"; the oracle passes every episode but those of the {soft} "
                         "W006 warning" + ("s" if soft != 1 else ""))  # fmt: skip
        shown = [d for d in result.diagnostics.sorted() if d.is_error or not quiet]
        if shown:
            typer.echo(render_all(shown, result.sources), err=True)
        audited = ["mutation audit:", *(f"  {f.line()}" for f in scores)] if scores else []
        if result.diagnostics.has_errors:
            failed = True
            if audited:
                typer.echo("\n".join(audited), err=True)
        else:
            n = len(result.checked.scenarios) if result.checked else 0
            line = f"{path}: ok ({n} scenario{'s' if n != 1 else ''}{gated})"
            if result.compiled is not None:
                episodes = result.compiled.episodes
                line = "\n".join([line, *mixture_lines(episodes), *target_lines(episodes),
                                  *redraw_lines(episodes), *audited])  # fmt: skip
            if not quiet:
                typer.echo(line, err=True)
            if oracle_gate and result.compiled is not None:
                warnings = render_all(result.diagnostics.sorted(), result.sources)
                compile_cache.store_check(path, mode, compile_cache.made_from(result),
                                          result.compiled.spec_sha256, warnings, line)  # fmt: skip
    raise typer.Exit(1 if failed else 0)


@app.command()
def fmt(
    files: Annotated[list[Path], typer.Argument(help="The .muses files to format in place.")],
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 when a file is not formatted."),
    ] = False,
) -> None:
    """Rewrite specs in the canonical layout, comments kept; the meaning never changes.

    A file with syntax errors is reported and left as it is.
    """
    from museslang.diagnostics import Diagnostics, render_all
    from museslang.fmt import FormatError, format_source
    from museslang.source import SourceFile, decode_source, display_path

    failed = changed = 0
    for path in files:
        _spec_file(path)
        text = decode_source(path.read_bytes())
        src = SourceFile(path, display_path(path), text)
        diags = Diagnostics()
        try:
            formatted = format_source(src, diags)
        except FormatError as exc:
            typer.echo(f"museslang: error: {exc}", err=True)
            failed += 1
            continue
        if formatted is None:
            typer.echo(render_all(diags.sorted(), {src.display: src}), err=True)
            failed += 1
            continue
        if formatted == text:
            continue
        changed += 1
        if check_only:
            typer.echo(f"{path}: would be reformatted", err=True)
        else:
            _write_atomic(path, formatted)
            typer.echo(f"{path}: reformatted", err=True)
    verb = "would be reformatted" if check_only else "reformatted"
    typer.echo(
        f"{changed} of {len(files)} file{'s' if len(files) != 1 else ''} {verb}"
        + (f", {failed} not formatted" if failed else ""),
        err=True,
    )
    raise typer.Exit(1 if failed or (check_only and changed) else 0)


@app.command("compile")
def compile_cmd(
    file: Annotated[Path, typer.Argument(help="The .muses file to compile.")],
    seed: SweepSeed = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the JSON here instead of stdout.")
    ] = None,
) -> None:
    """Compile a spec into episode graphs (JSON): one per sweep cell and sample."""
    from museslang.compiler import to_json

    _spec_file(file)
    t0 = time.perf_counter()
    compiled = _compile_or_exit(file, seed)
    _emit(to_json(compiled), out)
    episodes = compiled.episodes
    users = sum(len(e.participants) for e in episodes)
    wall = time.perf_counter() - t0
    dest = f" -> {out}" if out else ""
    how = " (from the cache: nothing it was compiled from changed)" if _CACHED["hit"] else ""
    typer.echo(
        f"compiled {len(episodes)} episode{'s' if len(episodes) != 1 else ''} "
        f"({users} users) from {file} in {wall:.2f} s{how}{dest}",
        err=True,
    )
    from museslang.lower.mixtures import lines as mixture_lines
    from museslang.lower.redraws import lines as redraw_lines
    from museslang.lower.targets import lines as target_lines

    for line in [*mixture_lines(episodes), *target_lines(episodes), *redraw_lines(episodes)]:
        typer.echo(line, err=True)


def _emit(text: str, out: Path | None) -> None:
    """A command's output: to stdout, or atomically to `out`."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_atomic(out, text)


@contextmanager
def _api() -> Iterator[None]:
    """The API's errors as the command line says them: a spec's diagnostics (exit 1), an
    option by its flag, anything else in one line (exit 2)."""
    from museslang.api.errors import MuseslangError, OptionError, SpecError

    try:
        yield
    except SpecError as exc:
        if exc.rendered:
            typer.echo(exc.rendered, err=True)
        raise typer.Exit(1) from None
    except OptionError as exc:
        raise _fail(exc.as_flag()) from None
    except MuseslangError as exc:
        raise _fail(str(exc)) from None


def _notice(text: str) -> None:
    typer.echo(text, err=True)


class _Bar:
    """The progress bar on stderr, as the API's `Progress` (hidden with --no-progress)."""

    def __init__(self, show: bool):
        self.show = show
        self.errors = 0

    def start(self, total: int, done: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
        )
        self.bar = Progress(*columns, console=Console(stderr=True), disable=not self.show)
        self.bar.__enter__()
        self.task = self.bar.add_task("eval", total=total, completed=done, errors=0)

    def result(self, result) -> None:
        self.errors += result.status != "ok"
        self.bar.update(self.task, advance=1, errors=self.errors)

    def close(self) -> None:
        self.bar.__exit__(None, None, None)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename: an interrupted write leaves the old file intact."""
    from museslang.api.report import write_text

    with _api():
        write_text(path, text)


def _load_episodes(file: Path, seed: int | None) -> CompiledSpec:
    """A .muses spec (compiled now) or an already compiled .json file."""
    from museslang.api.compile import load

    with _api():
        done = load(file, seed=seed)
    _CACHED["hit"] = done.cached
    if done.warnings:
        typer.echo(done.warnings, err=True)
    return done.spec


_CACHED = {"hit": False}  # whether the latest compile came from the cache


def _compile_or_exit(file: Path, seed: int | None) -> CompiledSpec:
    """Compile, print any diagnostics, and exit 1 when there were errors."""
    from museslang.api.compile import compile as compile_spec

    with _api():
        done = compile_spec(file, seed=seed)
    _CACHED["hit"] = done.cached
    if done.warnings:
        typer.echo(done.warnings, err=True)
    return done.spec


@app.command("eval")
def eval_cmd(
    file: Annotated[Path, typer.Argument(help="A .muses spec, or its compiled .json.")],
    agent: Annotated[
        str | None,
        typer.Option(
            help="reference:oracle|comply|refuse, openai:MODEL (any OpenAI-compatible "
            "endpoint), vllm:MODEL (in-process vLLM; GPU or its CPU build), vllm-serve:MODEL "
            "(a vLLM server museslang starts and stops) or hf:PATH (transformers; CPU or "
            "GPU). Default: reference:oracle."
        ),
    ] = None,
    users: Users = "scripted",
    users_verify: Annotated[
        int,
        typer.Option(
            help="Ask a simulated user again, up to N times, when the simulated-user audit "
            "flags their message (tau-bench's verify); what is still wrong is recorded."
        ),
    ] = 0,
    fail_on_error: Annotated[
        str,
        typer.Option(
            help="Exit 1 when errored results reach this: any (the default), never, a count "
            "N, or a share (0.1 or 10%) of the results."
        ),
    ] = "any",
    concurrency: Concurrency = 16,
    max_requests: MaxRequests = None,
    limit: Annotated[int | None, typer.Option(help="Run only the first N episodes.")] = None,
    sample: Annotated[
        int | None,
        typer.Option(help="Run N episodes drawn across the sweep by the seed (not the first N)."),
    ] = None,
    seed: Seed = None,
    tag: Tags = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default: runs/SPEC-AGENT-TIME)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the run in --out: skip finished episodes.")
    ] = False,
    base_url: BaseUrl = None,
    users_base_url: Annotated[
        str | None, typer.Option(help="Endpoint for openai: users (default: --base-url).")
    ] = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 60.0,
    retries: Annotated[int, typer.Option(help="Retries on 429, 5xx and connection errors.")] = 4,
    backoff: Annotated[float, typer.Option(help="First retry delay in seconds (doubles).")] = 0.5,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.0,
    max_tokens: MaxTokens = 1024,
    tool_mode: ToolMode = "tools",
    trials: Annotated[
        int, typer.Option(help="Run each episode K times, each trial with its own derived seed.")
    ] = 1,
    cache: Cache = None,
    lora: Annotated[
        Path | None,
        typer.Option(help="A LoRA adapter folder for vllm:, vllm-serve: and hf: agents."),
    ] = None,
    metrics: Annotated[
        str, typer.Option(help="Scoring: default, or compat (the official definitions).")
    ] = "default",
    progress: ShowProgress = True,
    top_p: TopP = 1.0,
    repetition_penalty: RepetitionPenalty = 1.0,
    stop: Stop = None,
    threads: Threads = None,
    tensor_parallel: TensorParallel = 1,
    gpu_memory: GpuMemory = None,
    max_model_len: MaxModelLen = None,
    kv_cache_space: KvCacheSpace = None,
    ray: RayAddress = None,
    actors: Actors = None,
    gpus_per_actor: GpusPerActor = 0.0,
    judge: Judges = None,
    judge_base_url: JudgeBaseUrl = None,
    guard: Annotated[
        list[str] | None,
        typer.Option(
            help="Guards between the agent and the users, stacked in order: NAME[,NAME...] "
            "(repeatable; `museslang guards` lists them). The run's results, summary and "
            "tables carry the setting as the `guards` axis."
        ),
    ] = None,
) -> None:
    """Run a benchmark against an agent and score it; results go to a run directory."""
    from museslang import api
    from museslang.api.evaluate import default_out
    from museslang.runtime.agents import DEFAULT_AGENT

    model = api.ModelOptions(
        base_url=base_url, users_base_url=users_base_url, api_key_env=api_key_env,
        timeout=timeout, retries=retries, backoff=backoff, temperature=temperature,
        max_tokens=max_tokens, tool_mode=tool_mode, max_requests=max_requests, cache=cache,
        lora=lora, top_p=top_p, repetition_penalty=repetition_penalty, stop=tuple(stop or ()),
        threads=threads, tensor_parallel=tensor_parallel, gpu_memory=gpu_memory,
        max_model_len=max_model_len, kv_cache_space=kv_cache_space,
    )  # fmt: skip
    ray_options = None if ray is None else api.RayOptions(ray, actors, gpus_per_actor)
    options = api.EvalOptions(
        users=users, users_verify=users_verify, concurrency=concurrency, limit=limit,
        sample=sample, seed=seed, out=out, resume=resume, trials=trials, metrics=metrics,
        judge=tuple(judge or ()), judge_base_url=judge_base_url, ray=ray_options,
        tags=tuple(tag or ()),
        guard=tuple(guard or ()),
    )  # fmt: skip
    with _api():
        options.check(model)
    too_many = _error_limit(fail_on_error)
    if out is None:
        options = replace(options, out=default_out(file, agent or DEFAULT_AGENT))
    try:
        with _api():
            flags = {} if ray is not None else {"actors": actors, "gpus_per_actor": gpus_per_actor}
            done = api.evaluate(file, agent, options, model, _Bar(progress), _notice, **flags)
    except KeyboardInterrupt:
        run = options.out
        assert run is not None
        typer.echo(
            f"museslang: interrupted; finished episodes are in {run / 'results.jsonl'} "
            f"(continue with --out {run} --resume)",
            err=True,
        )
        raise typer.Exit(130) from None
    summary = done.summary
    _print_summary(summary)
    reuse = ""
    if summary.prefix_reuse is not None and summary.prefix_kept is not None:
        reuse = (
            f"; prefix reuse {summary.prefix_reuse:.3f} (append-only: {summary.prefix_kept == 1.0})"
        )
    cached = summary.agent_usage.cached + summary.user_usage.cached
    reuse += f"; {cached} requests from the cache" if cache is not None else ""
    counted = f"{summary.ok}/{summary.results} episodes ok"
    if trials > 1:
        counted = (
            f"{summary.ok}/{summary.results} results ok ({summary.episodes} × {trials} trials)"
        )
    typer.echo(
        f"{counted}, {summary.errored} errored ({done.ran} run now, {done.resumed} resumed)"
        f"{reuse}",
        err=True,
    )
    _print_actors(summary)
    typer.echo(
        f"results: {done.results_path}\nsummary: {done.summary_path}\nreport: {done.report}",
        err=True,
    )
    if summary.errored and too_many(summary.errored, summary.results):
        typer.echo(
            f"museslang: {summary.errored} of {summary.results} results errored "
            f"(--fail-on-error {fail_on_error}); the first: {_first_error(done.results)}",
            err=True,
        )
        raise typer.Exit(1)


def _error_limit(text: str):
    """--fail-on-error as a test of (errored, results): `museslang.run.error_limit`."""
    from museslang.run.error_limit import error_limit

    try:
        return error_limit(text)
    except ValueError as exc:
        raise _fail(f"--fail-on-error {exc}") from None


def _first_error(results) -> str:
    first = next((r for r in results if getattr(r, "status", "ok") != "ok"), None)
    error = getattr(first, "error", None) if first is not None else None
    return f"{first.id}: {error}" if first is not None and error else "see results.jsonl"


def _where(file: Path) -> str:
    """The spec's path as run.json keeps it: absolute, so `rescore` works from anywhere."""
    from museslang.api.evaluate import where

    return where(file)


def _belongs(episodes: list[EpisodeGraph]):
    """Why a stored result is not one this spec could have produced (for --resume)."""
    from museslang.run.belongs import belongs

    return belongs(episodes)


def _model_settings(
    top_p: float,
    repetition_penalty: float,
    stop: list[str] | None,
    threads: int | None,
    tensor_parallel: int,
    gpu_memory: float | None,
    max_model_len: int | None,
    kv_cache_space: float | None = None,
) -> dict[str, object]:
    """The sampling and engine options every model command shares, checked."""
    from museslang.api.options import ModelOptions

    with _api():
        return ModelOptions(
            top_p=top_p, repetition_penalty=repetition_penalty, stop=tuple(stop or ()),
            threads=threads, tensor_parallel=tensor_parallel, gpu_memory=gpu_memory,
            max_model_len=max_model_len, kv_cache_space=kv_cache_space,
        ).settings()  # fmt: skip


def _lora_fits(lora: Path | None, agent: str | None) -> None:
    """An adapter only means something to a model this process loads."""
    from museslang.api.options import ModelOptions

    with _api():
        ModelOptions(lora=lora).check_lora(agent)


def _served_here(cluster: ClusterOptions | None, *specs: str) -> None:
    from museslang.api.evaluate import served_here

    with _api():
        served_here(cluster, *specs)


def _print_summary(summary: RunSummary) -> None:
    from rich.console import Console

    from museslang.metrics.table import tables

    console = Console(width=None if sys.stdout.isatty() else 80)
    for table in tables(summary, console.width):
        console.print(table)


def _scheme(name: str) -> None:
    from museslang.api.options import scheme

    with _api():
        scheme(name)


async def _run_eval(job, agent: Agent | None, users: UserBackend | None, show: bool) -> RunOutcome:
    """Run the job with a progress bar: here with these backends, or on Ray (`job.cluster`,
    where each actor builds its own and `agent` and `users` are None)."""
    from museslang.api.evaluate import run_job

    return await run_job(job, agent, users, _Bar(show))


def _judge(specs: list[str] | None, options: BackendOptions, base_url: str | None,
           metrics: str):  # fmt: skip
    """The leak judge of `--judge` (None without one), its models built, or one message."""
    from museslang.api.evaluate import judge as make_judge

    with _api():
        return make_judge(specs, options, base_url, metrics)


def _cluster(
    ray: str | None,
    actors: int | None,
    gpus_per_actor: float,
    base_url: str | None,
    users_base_url: str | None,
) -> ClusterOptions | None:
    """The --ray options, checked; None without --ray."""
    from museslang.api.options import ModelOptions, RayOptions, cluster

    model = ModelOptions(base_url=base_url, users_base_url=users_base_url)
    ray_options = None if ray is None else RayOptions(ray, actors, gpus_per_actor)
    with _api():
        return cluster(ray_options, model, actors=actors, gpus_per_actor=gpus_per_actor)


def _print_actors(summary: RunSummary) -> None:
    if summary.actors:
        rates = ", ".join(f"#{a.actor} {a.node} {a.results} ({a.per_s:.3g}/s)"
                          for a in summary.actors)  # fmt: skip
        typer.echo(f"actors: {rates}", err=True)


@app.command()
def generate(
    file: Annotated[Path, typer.Argument(help="A .muses spec, or its compiled .json.")],
    teacher: Annotated[
        str,
        typer.Option(
            help="The agent that demonstrates: reference:oracle (offline), "
            "openai:MODEL, vllm:MODEL, vllm-serve:MODEL or hf:PATH; several, comma-separated, "
            "take conversations in turn (one drawn per conversation by the seed)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for train.jsonl, val.jsonl.")],
    users: Users = "scripted",
    n: Annotated[
        int | None, typer.Option("--n", help="Episodes to play, drawn by the seed (default: all).")
    ] = None,
    seed: Seed = None,
    tag: Tags = None,
    val: Annotated[float, typer.Option(help="Share of episodes for validation.")] = 0.1,
    concurrency: Concurrency = 16,
    resume: Annotated[bool, typer.Option(help="Continue a generation in --out.")] = False,
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.7,
    max_tokens: MaxTokens = 1024,
    tool_mode: ToolMode = "tools",
    lora: Annotated[
        Path | None, typer.Option(help="A LoRA adapter for vllm:, vllm-serve: or hf: teachers.")
    ] = None,
    cache: Cache = None,
    progress: ShowProgress = True,
    top_p: TopP = 1.0,
    repetition_penalty: RepetitionPenalty = 1.0,
    stop: Stop = None,
    threads: Threads = None,
    tensor_parallel: TensorParallel = 1,
    gpu_memory: GpuMemory = None,
    max_model_len: MaxModelLen = None,
    kv_cache_space: KvCacheSpace = None,
    ray: RayAddress = None,
    actors: Actors = None,
    gpus_per_actor: GpusPerActor = 0.0,
    turn_mix: Annotated[str | None, typer.Option(
        help="Agent turns per conversation, drawn by the seed: LOW[-HIGH]:WEIGHT,... or "
        "'official' (1:20,2-5:40,6-10:40); default: the spec's turn limit.")] = None,
    data_format: Annotated[str, typer.Option(
        "--format", help="chat (museslang's chat+tools records) or muses-bench (the official "
        "per-user-role {\"messages\"} records its train.py reads).")] = "chat",
) -> None:
    """Synthetic training data: the teacher plays episodes with the ground truth as privileged
    guidance; only perfectly scored episodes are kept, as chat SFT data with tools."""
    import asyncio

    from museslang import __version__
    from museslang.datagen.generate import FORMATS, STATS, choose, write_dataset
    from museslang.datagen.mixes import MixError, TurnMix
    from museslang.datagen.teacher import GuidedAgent
    from museslang.registry import UnknownName
    from museslang.run.cluster import ClusterError
    from museslang.run.store import ResultsStore, StoreError
    from museslang.runtime.agents import known_agent, make_agent
    from museslang.runtime.chat import ChatError
    from museslang.runtime.options import BackendError, BackendOptions
    from museslang.runtime.users import known_users, make_users

    if data_format not in FORMATS:
        raise _fail(f"--format {data_format}: choose {' or '.join(FORMATS)}")
    try:
        mix = TurnMix.parse(turn_mix) if turn_mix is not None else None
    except MixError as exc:
        raise _fail(str(exc)) from None
    teachers = [t.strip() for t in teacher.split(",") if t.strip()]
    if not teachers:
        raise _fail("--teacher names no agent")
    if len(teachers) > 1 and ray is not None:
        raise _fail("several --teacher agents cannot run on --ray yet; give one")
    if n is not None and n < 1:
        raise _fail("--n must be at least 1")
    if not 0 <= val < 1:
        raise _fail("--val must be at least 0 and below 1")
    if concurrency < 1:
        raise _fail("--concurrency must be at least 1")
    if max_tokens < 1:
        raise _fail("--max-tokens must be positive")
    _lora_fits(lora, teacher)
    if resume and not (out / "episodes").exists():
        raise _fail(f"nothing to resume in {out}")
    settings = _model_settings(top_p, repetition_penalty, stop, threads, tensor_parallel,
                               gpu_memory, max_model_len, kv_cache_space)  # fmt: skip
    options = BackendOptions(
        **settings,  # type: ignore[arg-type]
        base_url=base_url,
        api_key_env=api_key_env,
        temperature=temperature,
        max_tokens=max_tokens,
        tool_mode=tool_mode,
        cache_dir=str(cache) if cache else None,
        lora=str(lora) if lora else None,
        log_dir=str(out),  # a server museslang starts logs here
    )
    options.register_secrets()
    cluster = _cluster(ray, actors, gpus_per_actor, base_url, None)
    _served_here(cluster, teacher, users)
    try:
        if cluster is None:
            guided = []
            for one in teachers:
                agent = GuidedAgent(make_agent(one, options))
                if tool_mode == "text" and agent.uses_tools:  # an acting teacher: its text
                    from museslang.datagen.text_teacher import TextTeacher

                    agent = TextTeacher(agent)
                guided.append(agent)
            if len(guided) > 1:
                from museslang.datagen.teacher_mix import TeacherMix

                agent = TeacherMix(guided, seed or 0)
            user_backend = make_users(users, options)
        else:  # each actor builds and guides its own teacher
            agent, user_backend = known_agent(teacher), known_users(users)
    except (BackendError, UnknownName) as exc:
        raise _fail(str(exc)) from None
    compiled = _load_episodes(file, seed)
    from museslang.ir.tags import UnknownTag, with_tags

    try:
        episodes = choose(with_tags(compiled.episodes, tag or ()), n, compiled.seed)
    except UnknownTag as exc:
        raise _fail(str(exc)) from None
    if not episodes:
        raise _fail(f"{file} has no episodes")
    if mix is not None:  # the same draw on a resumed run: seed and episode id only
        episodes = mix.apply(episodes, compiled.seed)
    if agent is not None:  # on a cluster, each actor's teacher is asked
        unsupported = sorted({e.family for e in episodes if not agent.supports(e.family)})
        if unsupported:
            raise _fail(f"{teacher} cannot play the {', '.join(unsupported)} family")
    store = ResultsStore(out / "episodes")
    meta = {
        "museslang": __version__, "spec": _where(file), "spec_sha256": compiled.spec_sha256,
        "seed": compiled.seed, "agent": teacher, "users": users, "episodes": len(episodes),
        "metrics": "default", "purpose": "generate", "temperature": temperature,
        **({"tags": list(tag)} if tag else {}),
    }  # fmt: skip
    if mix is not None:  # a resumed run must draw the same turns
        meta["turn_mix"] = turn_mix
    try:
        kept = store.prepare(meta, resume, _belongs(compiled.episodes))
    except (StoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    ids = {e.id for e in episodes}
    done = {r.key: r for r in kept if r.id in ids and r.conversation}
    from museslang.run.runner import RunPlan

    plan = RunPlan(compiled, episodes, store, concurrency, done, keep_conversation=True)
    from museslang.api.evaluate import Job

    job = Job(plan, cluster=cluster, options=options, guided=True, names=(teacher, users))
    try:
        outcome = asyncio.run(_run_eval(job, agent, user_backend, progress))
    except (ChatError, BackendError, ClusterError) as exc:
        store.close()
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        store.close()
        typer.echo(f"museslang: interrupted; continue with --out {out} --resume", err=True)
        raise typer.Exit(130) from None
    store.close()
    store.write_summary(outcome.summary.model_dump_json(indent=2) + "\n")
    by_id = {e.id: e for e in episodes}
    from museslang.datagen.teacher_mix import TeacherMix

    mixed = isinstance(agent, TeacherMix)
    played = {e.id: agent.pick(e.id).spec for e in episodes} if mixed else None
    stats = write_dataset(
        outcome.results, by_id, out, spec_sha256=compiled.spec_sha256, teacher=teacher,
        val_share=val, teachers=played, form=data_format,
    )  # fmt: skip
    typer.echo(f"played {outcome.ran} episodes now, {len(done)} resumed", err=True)
    _print_actors(outcome.summary)
    for family, c in stats.by_family.items():
        typer.echo(f"{family}: kept {c.get('kept', 0)}/{c['total']}", err=True)
        for problem, seen in stats.counted.get(family, {}).items():
            typer.echo(f"  {problem}: {seen['total']:g} in {seen['conversations']:g} "
                       "conversations (dropped)", err=True)  # fmt: skip
    textless = f", {stats.textless} with no agent text" if stats.textless else ""
    typer.echo(
        f"kept {stats.kept}/{stats.total} episodes ({stats.ratio:.1%}; {stats.errored} errored, "
        f"{stats.duplicates} duplicate conversations and {stats.unrevealed} acting on unrevealed "
        f"facts dropped{textless}): {stats.train} train, "
        f"{stats.val} val\ndata: {out / 'train.jsonl'}, {out / 'val.jsonl'}\n"
        f"stats: {out / STATS}",
        err=True,
    )
    if stats.kept == 0:
        raise typer.Exit(1)


@app.command("lsp")
def lsp_cmd() -> None:
    """Run the language server over stdio (for editors: docs/editors.md).

    Needs the [lsp] extra (pip install 'museslang[lsp]')."""
    try:
        from museslang.lsp.server import serve
    except ImportError as exc:
        need = f"museslang lsp needs pygls: pip install 'museslang[lsp]' ({exc.name})"
        raise _fail(need) from None
    serve()


@app.command("train")
def train_cmd(
    data: Annotated[Path, typer.Argument(help="A folder written by museslang generate.")],
    base: Annotated[str, typer.Option(help="The base model: a local folder or a hub id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the adapter or model goes.")],
    lora: Annotated[
        bool, typer.Option("--lora/--full", help="Train a LoRA adapter (default) or every weight.")
    ] = True,
    epochs: Annotated[float, typer.Option(help="Passes over the training data.")] = 1.0,
    max_steps: Annotated[int, typer.Option(help="Stop after N steps (overrides --epochs).")] = -1,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = 2e-4,
    batch_size: Annotated[int, typer.Option(help="Examples per device and step.")] = 1,
    max_length: Annotated[int, typer.Option(help="Tokens per example (longer: cut).")] = 8192,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    cpu: Annotated[bool, typer.Option(help="Train on the CPU even where a GPU exists.")] = False,
) -> None:
    """Fine-tune a base model on generated data with TRL's SFTTrainer (+ PEFT LoRA).

    Needs the [train] extra (pip install 'museslang[train]'). Evaluate the result with
    `museslang eval SPEC --agent vllm:BASE --lora OUT` (docs/training.md).
    """
    from museslang.runtime.options import BackendError
    from museslang.train import TrainSettings
    from museslang.train import train as run_training

    if not data.is_dir():
        raise _fail(f"{data} is not a folder (give the --out of museslang generate)")
    settings = TrainSettings(
        lora=lora, epochs=epochs, max_steps=max_steps, learning_rate=learning_rate,
        batch_size=batch_size, max_length=max_length, seed=seed, cpu=cpu,
    )  # fmt: skip
    try:
        done = run_training(data, base, out, settings)
    except BackendError as exc:
        raise _fail(str(exc)) from None
    evaluated = f", eval loss {done.eval_loss:.4f}" if done.eval_loss is not None else ""
    typer.echo(
        f"trained {done.steps} steps: train loss {done.train_loss:.4f}{evaluated}\n"
        f"saved: {done.out} (evaluate with --agent "
        f"{'hf' if cpu or base.endswith('.gguf') else 'vllm'}:{base} --lora {done.out})",
        err=True,
    )


@app.command("loop")
def loop_cmd(
    file: Annotated[Path, typer.Argument(help="An experiment file (TOML): docs/training.md.")],
    until: Annotated[
        str | None,
        typer.Option(help="Stop after this stage: generate, train, eval-LABEL or table."),
    ] = None,
    progress: ShowProgress = True,
) -> None:
    """The whole loop from one declared experiment: generate -> train -> eval(base) ->
    eval(trained) -> table and report.

    Each stage's outputs go to OUT/STAGE-KEY, keyed by a hash of its inputs: run the
    same file again to continue after a failure or Ctrl-C (finished stages are skipped);
    a changed input re-runs that stage and those after it. Needs the [train] extra and
    the backend's ([vllm] or [hf]) for models.
    """
    from museslang.loop.engine import shared_vllm
    from museslang.loop.plan import PlanError, read_plan
    from museslang.loop.stages import Commands, Loop, StageFailed
    from museslang.runtime.options import BackendError

    try:
        plan = read_plan(file)
    except PlanError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    commands = Commands(generate=generate, evaluate=eval_cmd, load_runs=_runs,
                        write_report=_write_report, engine=shared_vllm)  # fmt: skip
    loop = Loop(plan, commands, lambda line: typer.echo(line, err=True), progress)
    known = list(loop.plan_stages())
    if until is not None and until not in known:
        raise _fail(f"--until: no stage '{until}' (stages: {', '.join(known)})")
    try:
        stages = Loop(plan, commands, loop.echo, progress).run(until)
    except (StageFailed, BackendError) as exc:
        raise _fail(f"{exc}; run the same command again to continue", 1) from None
    except KeyboardInterrupt:
        typer.echo("museslang: interrupted; run the same command again to continue", err=True)
        raise typer.Exit(130) from None
    table = stages["table"].folder
    if (table / "DONE.json").exists():
        typer.echo((table / "results.md").read_text(encoding="utf-8"))
        typer.echo(f"results: {table / 'results.md'}\nreport: {table / 'report.html'}", err=True)


@app.command()
def rescore(
    run: Annotated[Path, typer.Argument(help="A run directory written by museslang eval.")],
    metrics: Annotated[
        str, typer.Option(help="Scoring: default, or compat (the official definitions).")
    ] = "default",
    spec: Annotated[
        Path | None,
        typer.Option(help="The spec the run used, when it is no longer where run.json says."),
    ] = None,
    judge: Judges = None,
    judge_base_url: JudgeBaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: Cache = None,
) -> None:
    """Recompute every metric from stored transcripts and actions, without calling a model.

    Rewrites results.jsonl and summary.json in place (each in one step). With --judge, the
    leak judge is asked again (the one model call rescore makes; --cache makes a repeat free);
    without it, the judge's stored verdicts are kept.
    """
    from museslang import api

    options = api.RescoreOptions(metrics, spec, tuple(judge or ()), judge_base_url, api_key_env,
                                 cache)  # fmt: skip
    with _api():
        done = api.rescore(run, options, _notice)
    _print_summary(done.summary)
    typer.echo(
        f"rescored {len(done.results)} results ({metrics} metrics); "
        f"{done.changed} changed\nsummary: {run / 'summary.json'}",
        err=True,
    )


@app.command()
def table(
    runs: Annotated[list[Path], typer.Argument(help="Run directories written by museslang eval.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="markdown, latex or csv.")
    ] = "markdown",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the table here instead of stdout.")
    ] = None,
    percent: Annotated[
        bool, typer.Option("--percent", help="Write values x100 with one decimal, as the paper.")
    ] = False,
    names: Annotated[
        Path | None,
        typer.Option(
            "--names",
            help="A TOML or JSON file of display names and groups per agent "
            '(["openai:gpt-4o"] name = "GPT-4o", group = "Proprietary").',
        ),
    ] = None,
    pivot: Annotated[
        str | None,
        typer.Option(
            "--pivot",
            help="guards: the guard settings as columns (`Privacy [none]`, `Privacy [acl]`) "
            "instead of a row per model x guard.",
        ),
    ] = None,
) -> None:
    """The paper's results table: one row per agent, its runs pooled.

    Columns: the paper's (each family names its own: `museslang families --json`) and
    their average, then a success column for each other family the runs cover; each
    mean ± standard error over episodes. Best in bold, second best marked (values that
    print alike are ties: neither is second).
    """
    from museslang.diagnostics import did_you_mean
    from museslang.metrics import paper_table

    if fmt not in paper_table.FORMATS:
        hint = did_you_mean(fmt, paper_table.FORMATS)
        raise _fail(f"unknown --format '{fmt}'{'; ' + hint if hint else ''} (markdown, latex, csv)")
    labels = None
    if names is not None:
        try:
            labels = paper_table.load_names(names)
        except (OSError, ValueError) as exc:
            raise _fail(f"--names: {exc}") from None
    if pivot is not None and pivot != "guards":
        hint = did_you_mean(pivot, ("guards",))
        raise _fail(f"unknown --pivot '{pivot}'{'; ' + hint if hint else ''} (guards)")
    rows = paper_table.build(_runs(runs), labels)
    if pivot == "guards":
        rows = paper_table.pivot_guards(rows)
    _emit(paper_table.RENDER[fmt](rows, paper_table.Style(percent=percent)), out)
    split = paper_table.split_agents(rows)
    if split:
        typer.echo("rows are one per agent and benchmark: " + ", ".join(split) + " ran several "
                   "specs of one family, each shown on its own row", err=True)  # fmt: skip


@app.command()
def report(
    runs: Annotated[list[Path], typer.Argument(help="Run directories written by museslang eval.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for report.md and report.html "
            "(default: the run directory, or ./report for several runs).",
        ),
    ] = None,
) -> None:
    """A Markdown report and one self-contained HTML file with tables and plots.

    Several runs (an oracle, a baseline, a model) are shown side by side, one
    series per agent: each family's own figures (privacy vs utility, success and
    turns vs users, ...; a family without figures of its own: its metrics vs users),
    priority stability, pass^k, and the paper's table.
    """
    from museslang import api

    with _api():
        done = api.report(runs, api.ReportOptions(out), _notice)
    md, html = done.markdown, done.html
    typer.echo(f"report: {html}\n        {md}", err=True)


def _write_report(
    loaded: list, folder: Path, truth: list | None = None, full: list | None = None
) -> tuple[Path, Path]:
    """report.md, report.html and, for a large run, the episode data beside them."""
    from museslang.api.report import write_report

    with _api():
        return write_report(loaded, folder, truth, full)


def _runs(paths: list[Path], truth: list | None = None) -> list:
    """Run directories as the table and the report read them (`api.report.runs`)."""
    from museslang.api.report import runs

    with _api():
        return runs(paths, truth, _notice)


@app.command()
def show(
    run: Annotated[Path, typer.Argument(help="A run directory written by museslang eval.")],
    episode: Annotated[
        str | None, typer.Argument(help="An episode id (default: list the run's episodes).")
    ] = None,
    trial: Annotated[int, typer.Option(help="The episode's trial.")] = 0,
    failed: Annotated[bool, typer.Option("--failed", help="Only failed or errored ones.")] = False,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric", help="A metric test, e.g. privacy<1 or accuracy>=0.5 (repeatable)."
        ),
    ] = None,
    grep: Annotated[
        str | None, typer.Option(help="Only episodes with a message containing TEXT.")
    ] = None,
    attack: Annotated[str | None, typer.Option(help="Only this attack (sweep axis).")] = None,
    users: Annotated[str | None, typer.Option(help="Only teams of N users, or N..M.")] = None,
    cell: Annotated[
        list[str] | None,
        typer.Option("--cell", help="Only this sweep cell value, AXIS=VALUE (repeatable)."),
    ] = None,
    family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
    limit: Annotated[int | None, typer.Option(help="List at most N episodes.")] = None,
    layout: Annotated[
        str, typer.Option(help="An episode's transcript: auto, lanes or timeline.")
    ] = "auto",
    spec: Annotated[
        Path | None,
        typer.Option(help="The run's spec, when it is no longer where run.json says."),
    ] = None,
) -> None:
    """Look at a run's episodes: list them (filtered) with why each failed, or show one.

    An episode is shown as lanes, one per sender: each message with who received it,
    the agent's tool calls and what they did, the ground truth beside it, each failed
    goal or metric with its values, each leak, audit flag and guard intervention, and
    its errors. The same view as the report's episode browser.
    """
    from rich.console import Console

    from museslang import show as shown
    from museslang.report.episodes import Filters, metric_test, team_range
    from museslang.run.store import StoreError

    if layout not in ("auto", "lanes", "timeline"):
        raise _fail(f"unknown --layout '{layout}' (auto, lanes or timeline)")
    tests = [metric_test(m) for m in metric or []]
    if None in tests:
        bad = next(m for m, t in zip(metric or [], tests, strict=True) if t is None)
        raise _fail(f"--metric '{bad}' is not a test such as privacy<1 (<, <=, >, >=, ==, !=)")
    axes = dict(c.partition("=")[::2] for c in cell or [])
    if any(not k or not v for k, v in axes.items()):
        raise _fail("--cell takes AXIS=VALUE, e.g. --cell difficulty=consensus")
    if attack is not None:
        axes["attack"] = attack
    team = team_range(users) if users is not None else None
    if users is not None and team is None:
        raise _fail(f"--users '{users}' is not a number or a range N..M")
    if limit is not None and limit < 1:
        raise _fail("--limit must be at least 1")
    try:
        loaded = shown.load(run, spec)
    except (StoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    if loaded.unread:
        typer.echo(f"museslang: warning: {loaded.unread}; those lines are left out", err=True)
    console = Console(width=None if sys.stdout.isatty() else 140, highlight=False, markup=False)
    if episode is None:
        filters = Filters(failed=failed, metrics=[t for t in tests if t], grep=grep, cell=axes,
                          team=team, family=family)  # fmt: skip
        shown.listing(loaded, filters, console, limit)
        return
    try:
        chosen = shown.find(loaded, episode, trial)
    except shown.ShowError as exc:
        raise _fail(str(exc)) from None
    shown.episode(chosen, console, layout)


@app.command()
def graph(
    file: Annotated[Path, typer.Argument(help="A .muses spec, or its compiled .json.")],
    episode: Annotated[
        str | None, typer.Option(help="The episode id (default: the first episode).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="mermaid or dot.")] = "mermaid",
    seed: Seed = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the graph here instead of stdout.")
    ] = None,
) -> None:
    """Draw an episode: its protocol (states, who acts, endings) and who may read what."""
    from museslang.diagnostics import did_you_mean
    from museslang.graph import FORMATS as GRAPH_FORMATS
    from museslang.graph import render_graphs

    if fmt not in GRAPH_FORMATS:
        hint = did_you_mean(fmt, GRAPH_FORMATS)
        raise _fail(f"unknown --format '{fmt}'{'; ' + hint if hint else ''} (mermaid or dot)")
    compiled = _load_episodes(file, seed)
    if not compiled.episodes:
        raise _fail(f"{file} has no episodes")
    chosen = compiled.episodes[0]
    if episode is not None:
        by_id = {e.id: e for e in compiled.episodes}
        if episode not in by_id:
            hint = did_you_mean(episode, list(by_id))
            raise _fail(f"no episode '{episode}' in {file}{'; ' + hint if hint else ''}")
        chosen = by_id[episode]
    _emit(render_graphs(chosen, fmt), out)


FORMATS = ("muses-bench",)  # formats `import` and `export` speak


def _format(name: str) -> None:
    from museslang.diagnostics import did_you_mean

    if name not in FORMATS:
        hint = did_you_mean(name, FORMATS)
        raise _fail(f"unknown format '{name}'{'; ' + hint if hint else ''} (known: muses-bench)")


def _records_file(path: Path) -> Path:
    if not path.exists():
        raise _fail(f"no such file: {path}")
    if path.is_dir():
        raise _fail(f"{path} is a directory; give a .jsonl file")
    return path


@app.command("import")
def import_cmd(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="The data format: muses-bench.")],
    files: Annotated[list[Path], typer.Argument(help="Official JSONL files.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the .muses file here.")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Write one FILE.muses per input into this folder."),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="Compile what was written, export it and compare with the records."
        ),
    ] = False,
) -> None:
    """Turn official MUSES Bench records into museslang source (stdout without -o/--dir).

    Records that cannot be imported are reported with their line and field; the
    rest still import, and the exit status is 1.
    """
    from museslang.fmt import canonical
    from museslang.interop.muses_bench import import_records
    from museslang.interop.muses_bench.verify import verify_import

    _format(fmt)
    if out is not None and directory is not None:
        raise _fail("give -o or --dir, not both")
    if directory is None and len(files) > 1:
        raise _fail("several input files need --dir (one .muses per input)")
    if directory is not None:
        if directory.exists() and not directory.is_dir():
            raise _fail(f"{directory} is not a folder")
        directory.mkdir(parents=True, exist_ok=True)
    failed = False
    for path in files:
        result = import_records(_records_file(path))
        for problem in result.problems:
            typer.echo(f"museslang: {problem}", err=True)
        failed = failed or bool(result.problems)
        if not result.records:
            typer.echo(f"museslang: error: no record of {path} could be imported", err=True)
            continue
        dest = out if directory is None else directory / f"{path.stem}.muses"
        source = canonical(result.source, f"{path.stem}.muses")
        _emit(source, dest)
        kinds = ", ".join(f"{n} {f}" for f, n in result.families.most_common())
        left = f"; {len(result.problems)} left out" if result.problems else ""
        typer.echo(
            f"imported {result.records} record{'s' if result.records != 1 else ''} ({kinds}) "
            f"from {path}{' -> ' + str(dest) if dest else ''}{left}",
            err=True,
        )
        if verify:
            differences = verify_import(path, source, dest)
            for line in differences:
                typer.echo(f"museslang: round trip: {line}", err=True)
            failed = failed or bool(differences)
            if not differences:
                typer.echo("verified: the export reproduces every imported record", err=True)
    raise typer.Exit(1 if failed else 0)


@app.command("export")
def export_cmd(
    fmt: Annotated[
        str, typer.Argument(metavar="FORMAT", help="The data format: muses-bench or inspect.")
    ],
    file: Annotated[
        Path,
        typer.Argument(help="A .muses spec or its compiled .json; or a run directory."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write the JSONL here instead of stdout (a run: this folder)."
        ),
    ] = None,
    seed: SweepSeed = None,
    spec: Annotated[
        Path | None,
        typer.Option(help="A run's spec, when it is no longer where run.json says."),
    ] = None,
    lossy: Annotated[
        bool,
        typer.Option(
            "--lossy",
            help="Write the records even when the spec declares what they cannot hold "
            "(each dropped thing is still listed).",
        ),
    ] = False,
) -> None:
    """Write compiled episodes as official MUSES Bench records, one JSON line each; or a
    run as an Inspect AI eval log (FORMAT inspect: `inspect view DIR` opens it).

    A record holds what the official runner reads, as each family's adapter writes it
    (one resource and one attack per record, one disclosure mode, per-user answers, no
    scored goals). A spec that declares more fails, naming each thing export would drop;
    with --lossy it is written without them, and they are listed as warnings.

    Given a run directory, write its results as the official runner's per-record results
    and eva.json, one folder per family (OUT/<scenario>/<dataset>/<model>/), scored
    with the official definitions: the official aggregation and LaTeX table script run
    on them unchanged (docs/interop.md).
    """
    if fmt == INSPECT:
        _export_inspect(file, out, spec)
        return
    from museslang.interop.muses_bench import export_records
    from museslang.interop.muses_bench.exporter import losses, to_jsonl

    _format(fmt)
    if file.is_dir():
        _export_run(file, out, spec)
        return
    compiled = _load_episodes(file, seed)
    from museslang import family as families
    from museslang.interop.muses_bench.common import FAMILIES as OFFICIAL

    families.load("muses_bench")  # each family's interop hook registers its official layout
    other = sorted({e.family for e in compiled.episodes if e.family not in OFFICIAL})
    if other:
        raise _fail(
            f"MUSES Bench has no records of the {', '.join(other)} famil"
            f"{'ies' if len(other) > 1 else 'y'}; it has: {', '.join(OFFICIAL.names())}"
        )
    dropped = losses(compiled.episodes)
    if dropped:
        shown = [f"  {d}" for d in dropped[:MAX_LISTED]]
        if len(dropped) > MAX_LISTED:
            shown.append(f"  ... and {len(dropped) - MAX_LISTED} more")
        listing = "\n".join(shown)
        if not lossy:
            raise _fail(
                f"the official records cannot hold everything {file} declares; export "
                f"would drop:\n{listing}\n(--lossy writes them without these)",
                code=1,
            )
        typer.echo(f"museslang: warning: dropped (--lossy):\n{listing}", err=True)
    _emit(to_jsonl(export_records(compiled.episodes)), out)
    n = len(compiled.episodes)
    typer.echo(
        f"exported {n} record{'s' if n != 1 else ''} from {file}{' -> ' + str(out) if out else ''}",
        err=True,
    )


MAX_LISTED = 20  # dropped things listed by export before "and N more"
INSPECT = "inspect"  # `export inspect RUN -o DIR`: an Inspect AI eval log (export only)


def _export_inspect(run: Path, out: Path | None, spec: Path | None) -> None:
    from museslang.interop.inspect_log import write
    from museslang.run.store import StoreError, load_run
    from museslang.run_episodes import episodes_of

    if not run.is_dir():
        raise _fail(f"{run} is not a run directory: inspect exports a run written by eval")
    if out is None:
        raise _fail("an Inspect log goes into a folder: give -o DIR")
    if out.exists() and not out.is_dir():
        raise _fail(f"{out} is not a folder")
    try:
        meta, results, read = load_run(run)
    except (StoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    if read.problems:
        typer.echo(f"museslang: warning: {read.describe(run / 'results.jsonl')}; those lines "
                   "are left out", err=True)  # fmt: skip
    episodes, why = episodes_of(meta, spec)
    if why:
        typer.echo(f"museslang: warning: {why}; the log has no ground truth or system prompt "
                   "(pass --spec FILE)", err=True)  # fmt: skip
    try:
        done = write(run, meta, results, episodes, out)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from None
    typer.echo(f"inspect: {done.samples} samples, {done.scores} scores -> {done.path}\n"
               f"open it with: inspect view --log-dir {out}", err=True)  # fmt: skip


def _export_run(run: Path, out: Path | None, spec: Path | None) -> None:
    from museslang.interop.muses_bench.results import write_run
    from museslang.run.store import StoreError, load_run

    if out is None:
        raise _fail("a run is exported to a folder: give -o OUT")
    if out.exists() and not out.is_dir():
        raise _fail(f"{out} is not a folder")
    try:
        meta, results, _ = load_run(run)
    except (StoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    path = spec or Path(str(meta.get("spec", "")))
    if not path.exists():
        raise _fail(f"the run's spec {path} is not there; pass --spec FILE")
    compiled = _load_episodes(path, None if path.suffix == ".json" else int(meta.get("seed", 0)))
    if compiled.spec_sha256 != meta.get("spec_sha256"):
        raise _fail("the spec changed since this run; export needs the episodes that ran")
    episodes = {e.id: e for e in compiled.episodes}
    dataset = Path(str(meta.get("spec", run.name))).stem
    try:
        written = write_run(episodes, results, str(meta.get("agent")), dataset, out)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from None
    trials = max((r.trial for r in results), default=0) + 1
    for w in written:
        typer.echo(f"{w.family}: {w.records} records -> {w.folder}", err=True)
    if trials > 1:
        typer.echo(f"(trial 0 of {trials}: the official files hold one result per record)",
                   err=True)  # fmt: skip
    if not written:
        raise _fail(f"{run} holds no results of the four MUSES Bench families")


@app.command("families")
def families_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per family.")] = False,
) -> None:
    """List the scenario families installed: museslang's own and those other packages
    register under the entry-point group `museslang.families` (docs/families.md)."""
    import json

    from rich.console import Console
    from rich.table import Table

    from museslang import family as families

    found = [families.get(n) for n in families.installed()]
    if as_json:
        for f in found:
            typer.echo(json.dumps({"name": f.name, "origin": f.origin, "summary": f.summary,
                                   "success": list(f.success), "metrics": list(f.metrics),
                                   "actions": list(f.actions), "turns": f.turns,
                                   "ending": f.ending}))  # fmt: skip
        return
    table = Table(box=None, pad_edge=False)
    for column in ("family", "from", "success", "actions", "what it is"):
        table.add_column(column)
    for f in found:
        table.add_row(f.name, f.origin, ", ".join(f.success), ", ".join(f.actions), f.summary)
    Console(width=160).print(table)
    for broken in families.BROKEN:
        typer.echo(f"museslang: error: the family plug-in {broken} cannot be used", err=True)
    if families.BROKEN:
        raise typer.Exit(1)


@app.command("author")
def author_cmd(
    family: Annotated[str, typer.Option(help="The family to write (built in, a plug-in or "
                                        "written in museslang: give --example).")],
    model: Annotated[str, typer.Option(help="The author: openai:MODEL, vllm:MODEL, "
                                       "vllm-serve:MODEL, hf:PATH or scripted:FILE.json.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the kept .muses files.")],
    count: Annotated[int, typer.Option(help="Scenarios to ask for (attempts).")] = 10,
    category: Annotated[list[str] | None, typer.Option(
        help="A category (repeatable, or comma-separated), taken in turn.")] = None,
    brief: Annotated[str, typer.Option(help="What the scenarios are for (@FILE reads it).")] = "",
    example: Annotated[Path | None, typer.Option(
        help="A spec of the family shown as the pattern (default: one under specs/).")] = None,
    rounds: Annotated[int, typer.Option(help="Repair rounds after the first draft.")] = 3,
    users: Annotated[str, typer.Option(help="Users to ask for per attempt: N or N..M.")] = "2..6",
    conflicts: Annotated[float, typer.Option(help="Share of attempts asked for a conflict.")] = 0.5,
    attack: Annotated[list[str] | None, typer.Option(
        help="Attacks to ask for, one drawn per attempt (repeatable).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the requested properties and sampling.")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue an author run in --out.")] = False,
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.7,
    max_tokens: MaxTokens = 1024,
    threads: Threads = None,
    max_model_len: MaxModelLen = None,
    kv_cache_space: KvCacheSpace = None,
) -> None:
    """A model writes scenarios; each is checked, gated by the reference oracle and
    mutation-audited, its diagnostics (as `check` prints them) go back for repair rounds,
    and it is kept only when museslang accepts it and no kept one repeats it. Kept files
    carry their provenance in a comment header; `author.json` is the yield report."""
    from museslang.author import AuthorError, AuthorRequest, author, described, make_author
    from museslang.author import example as example_of
    from museslang.runtime.options import BackendOptions

    low, _, high = users.partition("..")
    try:
        span = (int(low), int(high or low))
    except ValueError:
        raise _fail(f"--users {users}: give N or N..M") from None
    if not 1 <= span[0] <= span[1]:
        raise _fail(f"--users {users}: need 1 <= N <= M")
    if not 0 <= conflicts <= 1:
        raise _fail("--conflicts must be between 0 and 1")
    if brief.startswith("@"):
        try:
            brief = Path(brief[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(f"--brief {brief}: {exc}") from None
    given = [c.strip() for c in ",".join(category or ["general"]).split(",")]
    cats = tuple(c for c in given if c) or ("general",)
    settings = _model_settings(1.0, 1.0, None, threads, 1, None, max_model_len, kv_cache_space)
    options = BackendOptions(
        **settings,  # type: ignore[arg-type]
        base_url=base_url, api_key_env=api_key_env, temperature=temperature,
        max_tokens=max_tokens, log_dir=str(out),
    )  # fmt: skip
    options.register_secrets()
    try:
        summary, fields = described(family)
        request = AuthorRequest(
            family, out, count, example_of(family, example), categories=cats, brief=brief,
            rounds=rounds, users=span, conflict_share=conflicts, attacks=tuple(attack or ()),
            seed=seed, resume=resume, summary=summary, fields=fields,
        )  # fmt: skip
        writer = make_author(model, options, seed)

        def shown(a) -> None:
            what = f"kept {a.kept}" if a.kept else f"rejected ({a.rejected}" + (
                f" of {a.duplicate_of})" if a.duplicate_of else ")")
            typer.echo(f"[author {a.attempt + 1}/{count}] {a.category}: {what} after "
                       f"{a.rounds} round{'s' * (a.rounds != 1)}", err=True)

        report = author(request, writer, shown)
    except AuthorError as exc:
        raise _fail(str(exc)) from None
    typer.echo("\n".join(report.lines()), err=True)
    typer.echo(f"kept files: {out}; report: {out / 'author.json'}", err=True)
    if not report.kept:
        raise typer.Exit(1)


@app.command("guards")
def guards_cmd(
    spec: Annotated[
        Path | None,
        typer.Argument(help="A spec or compiled file: its families written in museslang "
                       "are installed first, so the guards they declare are listed too."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per guard.")] = False,
) -> None:
    """List the guards `eval --guard` can stack: museslang's own, those families bring
    (with SPEC, those its families written in museslang declare) and those other packages
    register under the entry-point group `museslang.guards` (docs/guards.md)."""
    import json

    if spec is not None:
        _load_episodes(spec, None)

    from rich.console import Console
    from rich.table import Table

    from museslang.runtime import guard as guards

    found = [guards.declared().get(n) for n in guards.declared().names()]
    if as_json:
        for g in found:
            typer.echo(json.dumps({"name": g.name, "origin": g.origin, "side": g.side,
                                   "families": list(g.families),
                                   "summary": g.summary}))  # fmt: skip
    else:
        table = Table(box=None, pad_edge=False)
        for column in ("guard", "from", "acts on", "families", "what it does"):
            table.add_column(column)
        for g in found:
            table.add_row(g.name, g.origin, g.side, ", ".join(g.families) or "all", g.summary)
        Console(width=160).print(table)
    for broken in guards.BROKEN:
        typer.echo(f"museslang: error: the guard {broken} cannot be used", err=True)
    if guards.BROKEN:
        raise typer.Exit(1)


_ADDRESS = re.compile(r"local|auto|\S+://\S+|[\w.\-]+:\d+")


def optional_address(args: list[str]) -> list[str]:
    """`--ray` may stand alone (start Ray here): give it the value `local` unless an
    address follows (click's options take a value or none, never either)."""
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--ray":
            following = args[i + 1] if i + 1 < len(args) else None
            if following is None or not _ADDRESS.fullmatch(following):
                out.append("local")
    return out


def main() -> None:
    from museslang.safetext import redact

    sys.argv[1:] = optional_address(sys.argv[1:])
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("museslang: interrupted", err=True)
        raise SystemExit(130) from None
    except RecursionError:
        typer.echo("museslang: error: the input nests too deeply to process", err=True)
        raise SystemExit(2) from None
    except MemoryError:
        typer.echo("museslang: error: out of memory (the input is too large)", err=True)
        raise SystemExit(2) from None
    except Exception as exc:  # the last line of defence: a bug, said in one line
        typer.echo(
            f"museslang: internal error: {type(exc).__name__}: {redact(str(exc))[:300]} "
            "(a museslang bug; please report it with the command that caused it)",
            err=True,
        )
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
