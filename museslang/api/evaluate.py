"""Running an evaluation from Python: `evaluate()` (from a script or a notebook cell, even
one whose event loop is running) and `evaluate_async()` (from code that awaits). The
command line's `eval` is this plus printing; nothing here prints, exits or reads argv."""

from __future__ import annotations

import asyncio
import contextvars
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from museslang.api.compile import Compiled, load
from museslang.api.errors import MuseslangError, OptionError, RunError
from museslang.api.options import EvalOptions, ModelOptions, cluster
from museslang.ir.tags import UnknownTag, with_tags

if TYPE_CHECKING:
    from museslang.ir.results import EpisodeResult
    from museslang.metrics.summary import RunSummary
    from museslang.run.cluster import ClusterOptions
    from museslang.run.runner import RunOutcome, RunPlan
    from museslang.runtime.engine import Agent, UserBackend
    from museslang.runtime.options import BackendOptions

Notice = Callable[[str], None]


class Progress(Protocol):
    """What a caller may watch a run with (the command line passes its progress bar)."""

    def start(self, total: int, done: int) -> None: ...
    def result(self, result: EpisodeResult) -> None: ...
    def close(self) -> None: ...


@dataclass
class Evaluation:
    """A finished evaluation: where it is, its summary and results, and what it ran."""

    run_dir: Path
    summary: RunSummary
    results: list[EpisodeResult]
    ran: int  # episodes run now
    resumed: int  # results kept from an earlier run of the folder (--resume)
    results_path: Path
    summary_path: Path
    report: Path | None = None
    notices: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-") or "run"


def default_out(spec: Path, agent: str) -> Path:
    """runs/SPEC-AGENT-TIME"""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{_slug(spec.stem)}-{_slug(agent)}-{stamp}"


def where(file: Path) -> str:
    """The spec's path as run.json keeps it: absolute, so `rescore` works from anywhere."""
    try:
        return str(file.resolve())
    except OSError:
        return str(file)


def judge(specs: tuple[str, ...] | list[str] | None, options: BackendOptions,
          base_url: str | None, metrics: str):  # fmt: skip
    """The leak judge (None without one), its models built, or one message."""
    if not specs:
        return None
    if metrics == "compat":
        raise OptionError("judge", "--judge adds privacy_judged to museslang's own scoring; "
                          "--metrics compat is the official evaluators', which have no "
                          "judge")  # fmt: skip
    from museslang.judge import Judge, judge_options, make_model
    from museslang.registry import UnknownName
    from museslang.runtime.options import BackendError

    settings = judge_options(options, base_url)
    try:
        models = [make_model(spec, settings) for spec in specs]
    except (BackendError, UnknownName) as exc:
        raise OptionError("judge", f"--judge: {exc}") from None
    return Judge(models, options.cache_dir, options.max_requests)


def served_here(ray: ClusterOptions | None, *specs: str) -> None:
    """vllm-serve: starts its server on this machine, for this process's backends; Ray
    actors build their own backends elsewhere."""
    if ray is not None and any(s.partition(":")[0] == "vllm-serve" for s in specs):
        raise OptionError("ray", "vllm-serve: runs its server on this machine and not with "
                          "--ray: start vllm serve on the cluster and use openai:MODEL "
                          "--base-url")  # fmt: skip


def guard_setting(names: tuple[str, ...], episodes: list) -> str:
    """`--guard` as one setting (`acl+spotlight`), checked: every name known, each
    applying to a family of the run, and no `guards:` axis in the spec to contradict."""
    from museslang.registry import UnknownName
    from museslang.runtime.guard import AXIS, NONE, setting, stack

    swept = list(dict.fromkeys(str(e.cell[AXIS]) for e in episodes if AXIS in e.cell))
    where = "the spec's `guards:` axis" if swept else "--guard"
    try:
        value = setting(list(names))
        settings = [setting(v) for v in swept] or [value]
    except UnknownName as exc:
        raise OptionError("guard", f"{where}: {exc}") from None
    if value != NONE and swept:
        raise OptionError("guard", "--guard: the spec sweeps its own `guards:` axis; run it "
                          "without --guard, or remove the axis")  # fmt: skip
    run = sorted({e.family for e in episodes})
    for g in (g for v in settings for g in stack(v)):
        if not any(g.applies(f) for f in run):
            raise OptionError("guard", f"{where}: {g.name} applies to "
                              f"{', '.join(g.families)}, not to {', '.join(run)}")  # fmt: skip
    return value


@dataclass
class Job:
    """What one eval or generate runs (`plan`), and, on Ray, what the actors need."""

    plan: RunPlan
    cluster: ClusterOptions | None = None  # on Ray: where the episodes run
    options: BackendOptions | None = None  # on Ray: what each actor builds its backends with
    guided: bool = False  # Ray generate: each actor's teacher is told the oracle's calls
    names: tuple[str, str] = ("", "")  # on Ray: the agent and the users, as given


async def run_job(
    job: Job, agent: Agent | None, users: UserBackend | None, progress: Progress | None
) -> RunOutcome:
    """Run the job here with these backends, or on Ray (`job.cluster`, where each actor
    builds its own and `agent` and `users` are None); the backends are closed on every path."""
    from museslang.run.runner import run_all

    judged = job.plan.judge
    plan = job.plan
    # a resumed run with nothing left plays nothing: no server to start (vllm-serve: would
    # start, and may compile, an engine for nothing), no endpoint to ask
    left = any((e.id, t) not in plan.done for e in plan.episodes for t in range(plan.trials))
    try:
        if agent is not None and users is not None and left:
            await agent.preflight()
            await users.preflight()
        if judged is not None and left:
            await judged.preflight()
        if progress is not None:
            progress.start(len(plan.episodes) * plan.trials, len(plan.done))
            plan = replace(plan, on_result=progress.result)
        try:
            if agent is None or users is None:
                from museslang.run.cluster import run_on_ray

                assert job.cluster is not None and job.options is not None
                name, people = job.names
                return await run_on_ray(plan, agent=name, users=people, options=job.options,
                                        cluster=job.cluster, guided=job.guided)  # fmt: skip
            return await run_all(plan, agent, users)
        finally:
            if progress is not None:
                progress.close()
    finally:
        if agent is not None and users is not None:
            await agent.aclose()
            await users.aclose()
        if judged is not None:
            await judged.aclose()


async def evaluate_async(
    spec: str | Path | Compiled,
    agent: str | None = None,
    options: EvalOptions | None = None,
    model: ModelOptions | None = None,
    progress: Progress | None = None,
    notice: Notice | None = None,
    *,
    actors: int | None = None,
    gpus_per_actor: float = 0.0,
) -> Evaluation:
    """Run a benchmark against an agent and score it; results go to a run directory.

    `notice` hears what the command line prints on the way (the default agent, the spec's
    warnings); `actors`/`gpus_per_actor` are the command line's flags given without Ray."""
    from museslang import __version__
    from museslang.metrics.scoring import missing_metrics
    from museslang.registry import UnknownName
    from museslang.run.belongs import belongs
    from museslang.run.cluster import ClusterError
    from museslang.run.runner import RunPlan
    from museslang.run.store import ResultsStore, StoreError, stream_results
    from museslang.runtime.agents import DEFAULT_AGENT, known_agent, make_agent
    from museslang.runtime.chat import ChatError
    from museslang.runtime.guard import NONE, guarded
    from museslang.runtime.options import BackendError
    from museslang.runtime.users import known_users, make_users
    from museslang.safetext import redact_url

    options = options or EvalOptions()
    model = model or ModelOptions()
    notes: list[str] = []

    def say(text: str) -> None:
        notes.append(text)
        if notice is not None:
            notice(text)

    options.check(model)
    model.check_lora(agent)
    model.settings()
    if agent is None:
        agent = DEFAULT_AGENT
        say(f"agent: {agent} (the default; pass --agent to evaluate a model)")
    file = spec.source if isinstance(spec, Compiled) else Path(spec)
    out = options.out or default_out(file or Path("spec"), agent)
    backend = model.backend(options.concurrency, compat=options.metrics == "compat",
                            log_dir=str(out), users_verify=options.users_verify)  # fmt: skip
    ray = cluster(options.ray, model, actors=actors, gpus_per_actor=gpus_per_actor)
    served_here(ray, agent, options.users)
    judged = judge(options.judge, backend, options.judge_base_url, options.metrics)
    try:
        # on a cluster each actor builds its own backends (a model loads on its GPU)
        if ray is None:
            agent_backend = make_agent(agent, backend)
            user_backend = make_users(options.users, backend)
        else:
            agent_backend, user_backend = known_agent(agent), known_users(options.users)
    except (BackendError, UnknownName) as exc:
        raise OptionError("agent", str(exc)) from None
    except OSError as exc:
        raise OptionError("cache", f"cannot use --cache {model.cache}: {exc.strerror}") from None
    if isinstance(spec, Compiled):
        done_compile = spec
    else:
        done_compile = load(file, seed=options.seed)
        if done_compile.warnings:
            say(done_compile.warnings)
    compiled = done_compile.spec
    try:
        episodes = with_tags(compiled.episodes, options.tags)
    except UnknownTag as exc:
        raise OptionError("tags", str(exc)) from None
    episodes = episodes[: options.limit] if options.limit else episodes
    if options.sample is not None:
        from museslang.lower.seeds import draw

        episodes = draw(episodes, options.sample, compiled.seed, key=lambda e: e.id)
    if not episodes:
        raise MuseslangError(f"{file} has no episodes")
    guards = guard_setting(options.guard, episodes)
    episodes = guarded(episodes, guards)
    missing = missing_metrics(episodes)
    if missing:
        many = "s" if len(missing) > 1 else ""
        raise MuseslangError(f"no scorer for metric{many} {', '.join(missing)}")
    if agent_backend is not None:  # on a cluster, each actor's backend is asked
        unsupported = sorted({e.family for e in episodes if not agent_backend.supports(e.family)})
        if unsupported:
            raise MuseslangError(f"{agent} cannot play the {', '.join(unsupported)} family")
    store = ResultsStore(out)
    meta: dict[str, Any] = {
        "museslang": __version__,
        "spec": where(file) if file is not None else "",
        "spec_sha256": compiled.spec_sha256,
        "seed": compiled.seed,
        "agent": agent,
        "users": options.users,
        "episodes": len(episodes),
        "base_url": redact_url(model.base_url),
        "users_base_url": redact_url(model.users_base_url),
        "api_key_env": model.api_key_env,
        "temperature": model.temperature,
        "max_tokens": model.max_tokens,
        "tool_mode": model.tool_mode,
        "trials": options.trials,
        "metrics": options.metrics,
    }
    if guards != NONE:
        meta["guards"] = guards
    if judged is not None:
        meta["judge"] = judged.specs
    if options.tags:
        meta["tags"] = list(options.tags)
    try:
        kept = store.prepare(meta, options.resume, belongs(compiled.episodes))
    except (StoreError, OSError) as exc:
        raise RunError(str(exc)) from None
    ids = {e.id for e in episodes}
    done = {r.key: r for r in kept if r.id in ids and r.trial < options.trials}
    plan = RunPlan(compiled, episodes, store, options.concurrency, done, options.trials,
                   options.metrics, judge=judged)  # fmt: skip
    job = Job(plan, cluster=ray, options=backend, names=(agent, options.users))
    try:
        outcome = await run_job(job, agent_backend, user_backend, progress)
    except (ChatError, BackendError, ClusterError) as exc:
        raise RunError(str(exc)) from None
    finally:  # KeyboardInterrupt too: what finished is kept
        store.close()
    summary = outcome.summary
    path = store.write_summary(summary.model_dump_json(indent=2) + "\n")
    html = None
    if options.report:
        from museslang.api.report import write_report
        from museslang.metrics.paper_table import Run

        # the results are in memory: the report need not read the run back from disk
        truth = [({e.id: e for e in compiled.episodes}, "")]
        full = [stream_results(store.results_path)]  # the run kept small records of them
        ran = [Run(str(out), agent, options.metrics, outcome.results)]
        _, html = write_report(ran, out, truth, full)
    return Evaluation(out, summary, outcome.results, outcome.ran, len(done),
                      out / "results.jsonl", path, html, notes)  # fmt: skip


def evaluate(
    spec: str | Path | Compiled,
    agent: str | None = None,
    options: EvalOptions | None = None,
    model: ModelOptions | None = None,
    progress: Progress | None = None,
    notice: Notice | None = None,
    **flags: Any,
) -> Evaluation:
    """`evaluate_async`, from code that does not await: a script, or a notebook cell whose
    event loop is already running (then the run goes on one worker thread, in a copy of
    this context)."""
    work = evaluate_async(spec, agent, options, model, progress, notice, **flags)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    box: dict[str, Any] = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            box["value"] = context.run(asyncio.run, work)
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="museslang-evaluate")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
