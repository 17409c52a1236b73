"""Run many episodes concurrently and keep every result.

Side effects live here and in `store`: the engine and the metrics are pure.
Episodes run `concurrency` at a time; each one's result is scored and appended
to results.jsonl as soon as it finishes, and the progress display is told.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from museslang.ir.models import CompiledSpec, EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.guarded import guard_metrics
from museslang.metrics.leak_record import records
from museslang.metrics.scoring import score
from museslang.metrics.stability import decision
from museslang.metrics.summary import RunSummary, summarise
from museslang.run.kept import Keeper, Kept
from museslang.run.store import ResultsStore
from museslang.runtime.engine import Agent, Engine, EpisodeRun, UserBackend, describe_error
from museslang.runtime.trials import for_trial
from museslang.safetext import redact_model

Progress = Callable[[EpisodeResult], None]


class Judged(Protocol):
    """The leak judge (museslang.judge.Judge): the result with the judges' leak records."""

    async def __call__(self, episode: EpisodeGraph, result: EpisodeResult) -> EpisodeResult: ...

    async def preflight(self) -> None: ...

    async def aclose(self) -> None: ...


SCORING_FAILED = "scoring failed: "


def to_result(
    episode: EpisodeGraph,
    run: EpisodeRun,
    agent: str,
    users: str,
    *,
    trial: int = 0,
    scheme: str = "default",
    keep_conversation: bool = False,
) -> EpisodeResult:
    result = EpisodeResult(
        id=episode.id,
        scenario=episode.scenario,
        family=episode.family,
        cell=episode.cell,
        sample=episode.sample,
        seed=episode.seed,
        redraws=episode.redraws,
        trial=trial,
        variant=episode.variant,
        base=episode.base,
        agent=agent,
        users=users,
        team=len(episode.participants),
        status="errored" if run.error else "ok",
        error=run.error,
        ending=run.ending,
        turns=run.turns,
        transcript=run.transcript,
        actions=run.actions,
        replies=run.replies,
        agent_usage=run.agent_usage,
        user_usage=run.user_usage,
        prefix_reuse=run.prefix_reuse,
        prefix_kept=min(run.prefix_kept) if run.prefix_kept else None,
        latency_s=round(run.latency_s, 6),
        findings=run.findings,
        interventions=run.interventions,
    )
    if keep_conversation:
        result.conversation, result.tools = run.conversation, run.tools
    return score_result(episode, result, scheme)


def score_result(episode: EpisodeGraph, result: EpisodeResult, scheme: str) -> EpisodeResult:
    """Fill in the metrics from the transcript and actions alone; used by eval and rescore.

    An errored episode is scored on what happened before the error (a leak on turn 2
    of an episode that failed on turn 5 still happened); the summary decides whether
    it counts. A scorer that fails marks the result errored instead of stopping the run.
    """
    if result.error and result.error.startswith(SCORING_FAILED):
        result.status, result.error = "ok", None  # the episode ran; only scoring had failed
    try:
        values = score(episode, result, scheme)
        result.metrics, result.unevaluated = dict(values), dict(values.unevaluated)
        result.leaks = records(episode, result)
        result.metrics |= guard_metrics(result)
        result.decision = decision(episode, result) if result.status == "ok" else None
    except Exception as exc:
        result.metrics, result.decision, result.unevaluated = {}, None, {}
        result.status, result.error = "errored", SCORING_FAILED + describe_error(exc)
    return result


@dataclass(repr=False)
class RunOutcome:
    # in compiled episode order, resumed ones included; what a run keeps (`Kept`) unless
    # it keeps conversations (generate reads them back)
    results: list[EpisodeResult | Kept]
    ran: int
    summary: RunSummary

    def __repr__(self) -> str:
        # Python 3.11's asyncio.run reprs the main task's result when it restores the
        # SIGINT handler; the default repr of every transcript took seconds on big runs.
        return f"RunOutcome({len(self.results)} results, {self.ran} run)"


# runs one (episode, trial) on worker `worker` (0..concurrency-1): the episode's position in
# the run's list, and the trial
Execute = Callable[[int, int, int], Awaitable[EpisodeResult]]


@dataclass
class RunPlan:
    """What a run runs and where its results go, however it runs them (here, or on Ray
    actors: `run.cluster`)."""

    compiled: CompiledSpec
    episodes: list[EpisodeGraph]
    store: ResultsStore
    concurrency: int
    done: dict[tuple[str, int], EpisodeResult] = field(default_factory=dict)  # resumed
    trials: int = 1
    scheme: str = "default"
    keep_conversation: bool = False  # generate reads the conversations back
    on_result: Progress | None = None
    judge: Judged | None = None  # --judge: asked here about each result, before it is kept


async def play(
    engine: Engine, episode: EpisodeGraph, trial: int, *, scheme: str, keep_conversation: bool
) -> EpisodeResult:
    """One (episode, trial), run and scored: what every worker does, here or on a Ray actor.

    The result leaves here without any secret museslang was given (the API key, URL
    credentials), whatever echoed it (a reply's text or tool call, a simulated user, a
    teacher): results.jsonl, the summary, the report and generated data are all made
    from it, on this machine or after a Ray actor sends it back."""
    copy = for_trial(episode, trial)
    run = await engine.run(copy, trial)
    result = to_result(copy, run, engine.agent.spec, engine.users.spec, trial=trial,
                       scheme=scheme, keep_conversation=keep_conversation)  # fmt: skip
    return redact_model(result)


async def run_all(plan: RunPlan, agent: Agent, users: UserBackend) -> RunOutcome:
    """Run every (episode, trial) not in `plan.done` in this process; results come back
    in compiled order."""
    engine = Engine(agent, users)

    async def execute(worker: int, position: int, trial: int) -> EpisodeResult:
        return await play(engine, plan.episodes[position], trial, scheme=plan.scheme,
                          keep_conversation=plan.keep_conversation)  # fmt: skip

    return await collect(plan, execute, agent=agent.spec, users=users.spec)


async def collect(plan: RunPlan, execute: Execute, *, agent: str, users: str) -> RunOutcome:
    """Run every (episode, trial) not in `plan.done` through `execute`, `concurrency` at a
    time, wherever `execute` runs them; each result is appended to the store the moment it
    comes back, and the summary is taken over all of them."""
    episodes, trials, store, on_result = plan.episodes, plan.trials, plan.store, plan.on_result
    done, compiled = plan.done, plan.compiled
    t0 = time.perf_counter()
    # the stability metric compares variants with their originals: only their decisions
    compared = {e.id for e in episodes if e.base} | {e.base for e in episodes if e.base}
    keep: Callable[[EpisodeResult], EpisodeResult | Kept] = (
        (lambda r: r) if plan.keep_conversation else Keeper(compared)
    )
    # one slot per (episode, trial) in compiled order: no per-result keys or work items
    slots: list[EpisodeResult | Kept | None] = [None] * (len(episodes) * trials)
    for i, (episode, trial) in enumerate(itertools.product(episodes, range(trials))):
        if (old := done.get((episode.id, trial))) is not None:
            slots[i] = keep(old)
    waiting = slots.count(None)
    pending = (i for i in range(len(slots)) if slots[i] is None)

    async def worker(number: int) -> None:
        # every worker draws from the one generator; drawing never awaits, so no two
        # workers take the same item
        for index in pending:
            result = await execute(number, index // trials, index % trials)
            if plan.judge is not None:
                episode = for_trial(episodes[index // trials], index % trials)
                result = score_result(episode, await plan.judge(episode, result), plan.scheme)
            store.append(result)
            if on_result is not None:
                on_result(result)
            slots[index] = keep(result)

    count = max(1, min(plan.concurrency, waiting))
    workers = [asyncio.create_task(worker(n)) for n in range(count)]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
    ordered = [r for r in slots if r is not None]
    summary = summarise(
        ordered,
        spec=compiled.spec,
        spec_sha256=compiled.spec_sha256,
        seed=compiled.seed,
        agent=agent,
        users=users,
        wall_s=round(time.perf_counter() - t0, 3),
        scheme=plan.scheme,
    )
    return RunOutcome(ordered, waiting, summary)
