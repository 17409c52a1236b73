"""Orchestration at an endpoint's latency: what `museslang eval` costs beside the model.

The stub server (museslang.testing.openai_stub) runs in its own process and answers every
chat request after a fixed latency; each measured run is its own process too, so its CPU
time and peak memory are the client's alone. Per run it prints:

- requests/s, and wall / ideal, where ideal = requests x latency / in-flight limit (the
  time a perfect orchestrator needs at that concurrency; with LLM-simulated users an
  episode's users reply at once, so in-flight requests are bounded by --max-requests,
  which defaults to the concurrency);
- client CPU per request (museslang, HTTP and JSON together: the process's user + system
  time over the run, start-up and compile excluded);
- TCP connections the server accepted per request, and per in-flight slot;
- the client's peak RSS, and prefix reuse (with LLM users: the share of each agent
  request that repeats the previous one).

Then client CPU per request against an endpoint that answers at once (the request path
alone: no idle time between requests, whose cold caches the last line of that section
measures on this machine), and peak memory over 1,000 and 10,000 one-turn episodes.

    python benchmarks/eval_throughput.py                      # the grid, 0 ms, a big run
    python benchmarks/eval_throughput.py --latency 0.05 --concurrency 16 --users llm
    python benchmarks/eval_throughput.py --no-grid --big 10000   # memory over 10,000 episodes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stats(base_url: str) -> dict[str, int]:
    for _ in range(200):
        try:
            with urllib.request.urlopen(base_url + "/stats", timeout=1) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the stub server at {base_url} did not answer")


def cell(spec: str, base_url: str, concurrency: int, users: str, episodes: int,
         trials: int) -> dict:  # fmt: skip
    """One measured run, in this process (called with --cell by the parent)."""
    from museslang.compiler import compile_path
    from museslang.run.runner import RunPlan, run_all
    from museslang.run.store import ResultsStore
    from museslang.runtime.agents import make_agent
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    compiled = compile_path(ROOT / spec).compiled
    assert compiled is not None
    chosen = compiled.episodes[:episodes]
    options = BackendOptions(base_url=base_url, timeout=60, retries=0,
                             max_requests=concurrency)  # fmt: skip
    agent = make_agent("openai:stub", options)
    people = make_users("openai:stub" if users == "llm" else "scripted", options)
    before = stats(base_url)
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultsStore(Path(tmp))
        store.prepare({"spec_sha256": compiled.spec_sha256}, resume=False)
        t0 = time.perf_counter()
        r0 = resource.getrusage(resource.RUSAGE_SELF)

        async def go():
            try:
                plan = RunPlan(compiled, chosen, store, concurrency, trials=trials)
                return await run_all(plan, agent, people)
            finally:
                await agent.aclose()
                await people.aclose()

        outcome = asyncio.run(go())
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.perf_counter() - t0
        store.close()
    after = stats(base_url)
    reuse = [x for r in outcome.results for x in r.prefix_reuse]
    return {
        "requests": after["requests"] - before["requests"],
        # less the one connection the second /stats call opened
        "connections": after["connections"] - before["connections"] - 1,
        "wall": wall,
        "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
        "rss_mb": r1.ru_maxrss / 1024,
        "episodes": len(outcome.results),
        "errored": sum(r.status != "ok" for r in outcome.results),
        "prefix_reuse": sum(reuse) / len(reuse) if reuse else None,
    }


def run_cell(args: argparse.Namespace, base_url: str, latency: float, concurrency: int,
             users: str, episodes: int, trials: int, spec: str) -> dict:  # fmt: skip
    cmd = [sys.executable, __file__, "--cell", spec, base_url, str(concurrency), users,
           str(episodes), str(trials)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    got = json.loads(done.stdout.strip().splitlines()[-1])
    got["ideal"] = got["requests"] * latency / concurrency
    return got


def row(latency: float, c: int, users: str, got: dict) -> str:
    reqs = got["requests"]
    reuse = got["prefix_reuse"]
    # wall / ideal means nothing against an endpoint that answers at once
    ratio = f"{got['wall'] / got['ideal']:.2f}" if latency >= 0.001 else "–"
    return (
        f"{latency * 1000:>5.0f} {c:>5} {users:>8} {got['episodes']:>8} {reqs:>8} "
        f"{reqs / got['wall']:>7.1f} {ratio:>6} "
        f"{got['cpu'] / reqs * 1000:>8.2f} {got['connections'] / reqs:>8.3f} "
        f"{got['connections'] / c:>7.2f} {got['rss_mb']:>7.0f} "
        f"{'–' if reuse is None else f'{reuse:.3f}':>6} {got['errored']:>4}"
    )


HEAD = (
    f"{'ms':>5} {'conc':>5} {'users':>8} {'episodes':>8} {'requests':>8} {'req/s':>7} "
    f"{'/ideal':>6} {'cpu ms/r':>8} {'conn/r':>8} {'conn/sl':>7} {'rss MB':>7} {'reuse':>6} "
    f"{'err':>4}"
)


def serve(latency: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "museslang.testing.openai_stub", "--port", str(port),
         "--latency", str(latency)],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    stats(base_url)
    return server, base_url


def idle_gap_cost() -> str:
    """The same JSON work, hot and after idle gaps: on a shared machine a process that
    waited for a slow endpoint finds its caches cold, and each request costs more CPU."""

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    data = {"messages": [{"role": "user", "content": "hello world " * 50}] * 20}
    out = []
    for gap in (0.0, 0.05, 0.2):
        c0 = cpu()
        for _ in range(20):
            for _ in range(30):
                json.loads(json.dumps(data))
            time.sleep(gap)
        out.append(f"{(cpu() - c0) / 20 * 1000:.2f} ms after {gap * 1000:.0f} ms idle")
    return "; ".join(out)


def zero_latency(args: argparse.Namespace) -> None:
    """Client CPU per request against an endpoint that answers at once: the request path
    itself, with no idle time between requests."""
    server, base_url = serve(0.0)
    try:
        print(f"\n{args.spec}: client CPU at 0 ms latency ({args.zero} episodes per slot)")
        print(HEAD)
        total = len(compile_spec(args.spec).episodes)
        for users in args.users:
            for c in args.concurrency:
                wanted = max(16, c * args.zero)
                got = run_cell(args, base_url, 0.0001, c, users, min(total, wanted),
                               max(1, math.ceil(wanted / total)), args.spec)  # fmt: skip
                print(row(0.0001, c, users, got), flush=True)
    finally:
        server.terminate()
    print(f"machine: a fixed JSON workload costs {idle_gap_cost()}")


def compile_spec(spec: str):  # the compiled spec
    from museslang.compiler import compile_path

    compiled = compile_path(ROOT / spec).compiled
    assert compiled is not None
    return compiled


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--cell":
        spec, base_url, c, users, n, trials = sys.argv[2:8]
        print(json.dumps(cell(spec, base_url, int(c), users, int(n), int(trials))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, nargs="+", default=[0.05, 0.2])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--users", nargs="+", default=["scripted", "llm"])
    parser.add_argument("--spec", default="specs/meeting.muses")
    per_slot = "episodes per in-flight slot (at least 16, at most the spec's)"
    parser.add_argument("--work", type=int, default=6, help=per_slot)
    parser.add_argument("--big", type=int, default=10_000,
                        help="episodes of the memory run (0: skip it)")  # fmt: skip
    parser.add_argument("--no-grid", action="store_true", help="the memory run only")
    zero = "episodes per slot of the zero-latency CPU runs (0: skip them)"
    parser.add_argument("--zero", type=int, default=16, help=zero)
    args = parser.parse_args()
    from museslang.compiler import compile_path

    total = len(compile_path(ROOT / args.spec).compiled.episodes)  # type: ignore[union-attr]
    print(f"{args.spec} ({total} episodes), openai:stub agent; users scripted or openai:stub")
    print(HEAD)
    for latency in [] if args.no_grid else args.latency:
        server, base_url = serve(latency)
        try:
            for users in args.users:
                for c in args.concurrency:
                    wanted = max(16, c * args.work)
                    episodes = min(total, wanted)
                    trials = max(1, math.ceil(wanted / total))
                    got = run_cell(args, base_url, latency, c, users, episodes, trials, args.spec)
                    print(row(latency, c, users, got), flush=True)
        finally:
            server.terminate()
    if args.zero:
        zero_latency(args)
    if args.big:
        # memory stays flat: results stream to disk. One-turn episodes, many trials.
        spec = "specs/shared_queue.muses"
        n = len(compile_path(ROOT / spec).compiled.episodes)  # type: ignore[union-attr]
        server, base_url = serve(0.0)
        try:
            print(f"\n{spec}: memory against episodes (0 ms, concurrency 256)")
            print(HEAD)
            for size in (max(1, args.big // 10), args.big):
                got = run_cell(args, base_url, 0.0001, 256, "scripted", n,
                               math.ceil(size / n), spec)  # fmt: skip
                print(row(0.0001, 256, "scripted", got).replace("    0 ", "    0 ", 1),
                      flush=True)  # fmt: skip
        finally:
            server.terminate()


if __name__ == "__main__":
    main()
