"""Episodes on a Ray cluster: the same engine in many processes, one run directory.

`eval --ray` and `generate --ray` hand each (episode, trial) to one of N Ray actors. An
actor builds its own agent and user backends where it runs (an OpenAI-compatible client,
or an in-process `vllm:`/`hf:` model on the GPU Ray gave it) and runs exactly what the
local path runs, scoring included (`runner.to_result`). Only the driver writes: each
result comes back to it and goes through `runner.collect`, the local path's own loop, so
results.jsonl stays append-only with every (episode, trial) once, `--resume` reads it the
same way, and the summary and report are those of a local run.

Nothing is lost when a process dies. Actors are restarted by Ray (`max_restarts=-1`) and
the calls they had not answered are sent again (`max_task_retries=-1`); an actor that
cannot come back has its work given to another. An episode's result depends only on its
seed, so a repeat answers as the first call would have. A driver that dies leaves every
result it had written; `--resume` runs the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.summary import ActorRate
from museslang.run.runner import RunOutcome, RunPlan, collect
from museslang.runtime.options import BackendOptions

LOCAL = "local"  # `--ray` with no address: start a Ray instance in this process
RETRIES_ELSEWHERE = 3  # per call: other actors tried when its actor cannot come back


class ClusterError(RuntimeError):
    """The cluster cannot run this; the message says why and what to do."""


@dataclass(frozen=True)
class ClusterOptions:
    address: str = LOCAL  # or what `ray.init(address=...)` takes: auto, ray://HOST:10001
    actors: int | None = None  # None: one per CPU of the cluster, at most the concurrency
    gpus_per_actor: float = 0.0
    cpus_per_actor: float = 1.0


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterError(
            "--ray needs Ray: pip install 'museslang[ray]' (on every node of the cluster)"
        ) from None
    return ray


def for_actor(options: BackendOptions, number: int, actors: int) -> BackendOptions:
    """An actor's backend options: its share of the in-flight requests, and its endpoint
    when `--base-url` lists several (actor i takes endpoint i mod n)."""

    def pick(url: str | None) -> str | None:
        if url is None or "," not in url:
            return url
        urls = [u.strip() for u in url.split(",") if u.strip()]
        return urls[number % len(urls)]

    share = max(1, math.ceil(options.max_requests / actors))
    return replace(options, base_url=pick(options.base_url),
                   users_base_url=pick(options.users_base_url), max_requests=share)  # fmt: skip


class EpisodeWorker:
    """A Ray actor (wrapped with `ray.remote` when a run starts): its own backends and
    engine, the run's episodes, and one call per (episode, trial)."""

    def __init__(
        self,
        agent: str,
        users: str,
        options: BackendOptions,
        scheme: str,
        keep_conversation: bool,
        guided: bool = False,
    ) -> None:
        self.guided = guided
        # the run's episodes: the driver puts them in the object store once and every call
        # carries the reference (nested, so Ray passes it unresolved); the first call after
        # a start or a restart fetches them
        self.episodes: list[EpisodeGraph] | None = None
        self.agent_spec, self.users_spec = agent, users
        self.options = options
        self.scheme = scheme
        self.keep_conversation = keep_conversation
        self.engine: Any = None
        self._starting: asyncio.Lock | None = None

    async def _ready(self, episodes: list[Any]) -> Any:
        # after a restart Ray runs __init__ again but not `start`: the first call builds
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self.engine is None:
                from museslang.runtime.agents import make_agent
                from museslang.runtime.engine import Engine
                from museslang.runtime.users import make_users

                agent = make_agent(self.agent_spec, self.options)
                if self.guided:
                    from museslang.datagen.teacher import GuidedAgent

                    agent = GuidedAgent(agent)
                users = make_users(self.users_spec, self.options)
                await agent.preflight()
                await users.preflight()
                self.episodes = await episodes[0]
                self.engine = Engine(agent, users)
        return self.engine

    async def start(self, episodes: list[Any], families: list[str]) -> dict[str, Any]:
        """Build the backends; say where this actor runs and what it cannot play."""
        import ray

        engine = await self._ready(episodes)
        return {
            "node": ray.util.get_node_ip_address(),
            "unsupported": [f for f in families if not engine.agent.supports(f)],
        }

    async def run(self, episodes: list[Any], position: int, trial: int) -> EpisodeResult:
        from museslang.run.runner import play

        engine = await self._ready(episodes)
        assert self.episodes is not None
        return await play(engine, self.episodes[position], trial, scheme=self.scheme,
                          keep_conversation=self.keep_conversation)  # fmt: skip


def _cause(exc: BaseException) -> BaseException:
    """The error an actor raised, out of Ray's wrapper (so the CLI reports it as the local
    path would)."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc


def _reachable(address: str, timeout: float = 10.0) -> str | None:
    """Why HOST:PORT (or ray://HOST:PORT) cannot be reached, or None; Ray itself retries an
    address that answers nothing for minutes."""
    where = address.split("://", 1)[-1]
    host, sep, port = where.rpartition(":")
    if not sep or not port.isdigit():
        return None  # `auto`, or a form Ray resolves itself
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__


def connect(address: str) -> bool:
    """Join the cluster (or start a local instance); True when this call started Ray."""
    ray = _ray()
    if ray.is_initialized():
        return False
    if address != LOCAL and (why := _reachable(address)) is not None:
        raise ClusterError(f"cannot start or reach the Ray cluster at {address}: {why}")
    # Ray's own notices (token authentication, where it started) are not this run's output
    logging.getLogger("ray").setLevel(logging.ERROR)
    try:
        ray.init(
            address=None if address == LOCAL else address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = "a local Ray instance" if address == LOCAL else f"the Ray cluster at {address}"
        raise ClusterError(f"cannot start or reach {where}: {exc}") from None
    if address == LOCAL:
        _watch_local()
    return True


_REAPER: list[subprocess.Popen] = []  # the watcher of the local instance this process started


def _watch_local() -> None:
    """Start the reaper (run/ray_reaper.py) for the Ray instance just started here: if
    this driver dies (a SIGKILL mid-run), it stops the raylet's agents Ray leaves behind."""
    from museslang.run.ray_reaper import descendants

    raylets = [pid for pid in descendants(os.getpid()) if _is_raylet(pid)]
    if not raylets:
        return  # not Linux, or Ray changed how it starts: nothing to watch
    script = Path(__file__).with_name("ray_reaper.py")
    with contextlib.suppress(OSError):
        _REAPER.append(subprocess.Popen(
            [sys.executable, "-I", str(script), str(raylets[0])], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        ))  # fmt: skip


def _is_raylet(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
    return command.endswith(b"/raylet")


def _stop_watching() -> None:
    """After ray.shutdown(): the reaper finds nothing left, and exits."""
    while _REAPER:
        reaper = _REAPER.pop()
        with contextlib.suppress(OSError):
            if reaper.stdin is not None:
                reaper.stdin.close()


def actor_count(cluster: ClusterOptions, concurrency: int) -> int:
    if cluster.actors is not None:
        return max(1, min(cluster.actors, concurrency))
    cpus = int(_ray().cluster_resources().get("CPU", 1) // max(cluster.cpus_per_actor, 0.01))
    return max(1, min(cpus, concurrency))


async def run_on_ray(
    plan: RunPlan,
    *,
    agent: str,
    users: str,
    options: BackendOptions,
    cluster: ClusterOptions,
    guided: bool = False,
) -> RunOutcome:
    """`runner.run_all`, with the episodes run by Ray actors; the summary gains each
    actor's throughput (`actors`)."""
    ray = _ray()
    started = connect(cluster.address)
    episodes = plan.episodes
    n = actor_count(cluster, plan.concurrency)
    per_actor = max(1, math.ceil(plan.concurrency / n))
    name = f"museslang-{os.getpid()}-{time.time_ns()}"  # actors: NAME-0, NAME-1, ...
    remote = ray.remote(EpisodeWorker)
    options_for = dict(
        num_cpus=cluster.cpus_per_actor,
        num_gpus=cluster.gpus_per_actor,
        max_restarts=-1,
        max_task_retries=-1,
        max_concurrency=per_actor + 1,  # its calls, plus start
    )
    shared = [ray.put(episodes)]
    handles = []
    for i in range(n):
        mine = for_actor(options, i, n)
        actor = remote.options(name=f"{name}-{i}", **options_for)  # type: ignore[arg-type]
        handles.append(actor.remote(agent, users, mine, plan.scheme, plan.keep_conversation,
                                    guided))  # fmt: skip
    counts = [0] * n
    try:
        try:
            families = sorted({e.family for e in episodes})
            infos = await asyncio.gather(*(h.start.remote(shared, families) for h in handles))
        except ray.exceptions.RayError as exc:
            raise _cause(exc) from None
        unsupported = sorted({f for info in infos for f in info["unsupported"]})
        if unsupported:
            raise ClusterError(f"{agent} cannot play the {', '.join(unsupported)} family")
        t0 = asyncio.get_running_loop().time()

        async def execute(worker: int, position: int, trial: int) -> EpisodeResult:
            number = worker % n
            for attempt in range(RETRIES_ELSEWHERE + 1):
                actor = (number + attempt) % n
                try:
                    result = await handles[actor].run.remote(shared, position, trial)
                except ray.exceptions.RayActorError:
                    if attempt == RETRIES_ELSEWHERE:
                        raise ClusterError(
                            f"episode {episodes[position].id} trial {trial}: "
                            f"{RETRIES_ELSEWHERE + 1} actors died running it"
                        ) from None
                    continue
                except ray.exceptions.RayTaskError as exc:
                    raise _cause(exc) from None
                counts[actor] += 1
                return result
            raise AssertionError("unreachable")

        spread = replace(plan, concurrency=per_actor * n)  # each actor's share, all of it
        outcome = await collect(spread, execute, agent=agent, users=users)
        wall = max(asyncio.get_running_loop().time() - t0, 1e-9)
        outcome.summary.actors = [
            ActorRate(actor=i, node=str(infos[i]["node"]), results=counts[i],
                      per_s=round(counts[i] / wall, 3))
            for i in range(n)
        ]  # fmt: skip
        return outcome
    finally:
        for h in handles:
            with contextlib.suppress(Exception):  # an actor already gone
                ray.kill(h)
        if started:
            ray.shutdown()
            _stop_watching()
