"""Orchestration overhead of `museslang eval` against an OpenAI-compatible server.

Starts the stub server (museslang.testing.openai_stub) in its own process, answering every
chat request after a fixed latency, and runs specs/meeting.muses through the `openai:`
agent backend at several concurrencies. With a perfect orchestrator a run takes
requests x latency / concurrency (`ideal`); `ratio` is wall / ideal. Once the client
process is CPU-bound, wall time says little about who spends the CPU, so the script also
replays the exact same request bodies through the bare `openai` client and reports CPU
time per request for both: the difference is museslang's orchestration overhead.

    python benchmarks/eval_throughput.py [--latency 0.05] [--concurrency 1 16 64]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from museslang.compiler import compile_path  # noqa: E402
from museslang.runtime.agents import make_agent  # noqa: E402
from museslang.runtime.options import BackendOptions  # noqa: E402
from museslang.runtime.runner import run_all  # noqa: E402
from museslang.runtime.store import ResultsStore  # noqa: E402
from museslang.runtime.users import make_users  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str) -> None:
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/models", timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the stub server at {url} did not start")


async def one_run(compiled, episodes, base_url: str, concurrency: int, out: Path):
    options = BackendOptions(base_url=base_url, timeout=30, retries=0)
    agent = make_agent("openai:stub", options)
    users = make_users("scripted", options)
    bodies: list[dict] = []
    post = agent.client.client.post

    async def recording_post(path, *, body, **kw):
        bodies.append(body)
        return await post(path, body=body, **kw)

    agent.client.client.post = recording_post
    store = ResultsStore(out)
    store.prepare({"spec_sha256": compiled.spec_sha256}, resume=False)
    t0, cpu0 = time.perf_counter(), time.process_time()
    try:
        outcome = await run_all(
            compiled, episodes, agent, users, store, concurrency=concurrency, done={}
        )
    finally:
        store.close()
        await agent.aclose()
    return outcome, time.perf_counter() - t0, time.process_time() - cpu0, bodies


async def bare_client(requests: list[dict], base_url: str, concurrency: int) -> tuple[float, float]:
    """The same requests through the openai client alone: the floor museslang runs on."""
    from openai.types.chat import ChatCompletion

    from museslang.runtime.chat import ChatClient

    client = ChatClient("stub", base_url, BackendOptions(base_url=base_url, retries=0))
    queue = list(reversed(requests))

    async def worker() -> None:
        while queue:
            body = queue.pop()
            await client.client.post("/chat/completions", cast_to=ChatCompletion, body=body)

    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    await client.aclose()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument(
        "--serial-limit", type=int, default=40, help="episodes at concurrency 1 (it is slow)"
    )
    args = parser.parse_args()
    compiled = compile_path(ROOT / "specs" / "meeting.muses").compiled
    assert compiled is not None
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "museslang.testing.openai_stub", "--port", str(port),
         "--latency", str(args.latency)],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_up(base_url)
        print(f"specs/meeting.muses, openai:stub at {args.latency * 1000:.0f} ms per request")
        print(
            f"{'conc':>5} {'episodes':>8} {'requests':>8} {'wall s':>7} {'ideal s':>7} "
            f"{'ratio':>6} {'ep/s':>6} {'cpu ms/req':>10} {'bare cpu':>9} {'museslang':>10} "
            f"{'errored':>7}"
        )
        with tempfile.TemporaryDirectory() as tmp:  # warm up: imports, caches, connections
            asyncio.run(one_run(compiled, compiled.episodes[:8], base_url, 4, Path(tmp)))
            asyncio.run(bare_client([], base_url, 1))
        for c in args.concurrency:
            episodes = compiled.episodes[: args.serial_limit] if c == 1 else compiled.episodes
            with tempfile.TemporaryDirectory() as tmp:
                outcome, wall, cpu, bodies = asyncio.run(
                    one_run(compiled, episodes, base_url, c, Path(tmp))
                )
            requests = len(bodies)
            _, bare_cpu = asyncio.run(bare_client(bodies, base_url, c))
            ideal = requests * args.latency / c
            cpu_ms, bare_ms = cpu / requests * 1000, bare_cpu / requests * 1000
            errored = sum(r.status != "ok" for r in outcome.results)
            print(
                f"{c:>5} {len(episodes):>8} {requests:>8} {wall:>7.2f} {ideal:>7.2f} "
                f"{wall / ideal:>6.2f} {len(episodes) / wall:>6.1f} {cpu_ms:>10.2f} "
                f"{bare_ms:>9.2f} {cpu_ms - bare_ms:>10.2f} {errored:>7}"
            )
        print(
            "cpu ms/req: this process's CPU time per request during the eval; bare cpu: the\n"
            "same request bodies sent through the bare openai client; museslang: the difference,\n"
            "i.e. what the engine, users, scoring and results file cost per request."
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
