"""The same eval run locally and on Ray actors: episodes/s, CPU, and Ray's cost per episode.

Each run is `museslang eval` in its own process against the stub OpenAI-compatible server
(in another process, with a fixed latency), so an episode waits on the endpoint as it would
on a model. CPU is the whole machine's busy time over the run (from /proc/stat): the
driver, Ray's daemons and its actors together, which a process's own rusage cannot see.
Each mode also runs one episode alone: its CPU is the run's fixed cost (start-up, Ray's
instance and actors), and (CPU of N - CPU of 1) / (N - 1) the cost of an episode. Ray's
wall overhead per episode is (Ray run wall - local run wall) / episodes, start-up apart.

    python benchmarks/ray_vs_local.py [--episodes 216] [--latency 0.05] [--actors 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_throughput import serve  # noqa: E402  (the stub server, in its own process)


def busy_seconds() -> float:
    """CPU time the whole machine spent outside idle, in seconds."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(args: argparse.Namespace, base_url: str, out: Path, extra: list[str],
        episodes: int) -> dict:  # fmt: skip
    cmd = [sys.executable, "-m", "museslang", "eval", args.spec, "--agent", "openai:stub",
           "--base-url", base_url, "--limit", str(episodes), "--concurrency",
           str(args.concurrency), "--no-progress", "--out", str(out), *extra]  # fmt: skip
    c0, t0 = busy_seconds(), time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, busy_seconds() - c0
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"wall": wall, "cpu": cpu, "run_wall": summary["wall_s"],
            "results": summary["results"], "actors": summary.get("actors")}  # fmt: skip


def same_results(a: Path, b: Path) -> bool:
    def load(run: Path) -> dict:
        out = {}
        for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            record.pop("latency_s")
            out[record["id"], record["trial"]] = record
        return out

    return load(a) == load(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="specs/meeting.muses")
    parser.add_argument("--episodes", type=int, default=216)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--actors", type=int, default=2)
    args = parser.parse_args()
    server, base_url = serve(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ray = ["--ray", "local", "--actors", str(args.actors)]
            local = run(args, base_url, Path(tmp) / "local", [], args.episodes)
            on_ray = run(args, base_url, Path(tmp) / "ray", ray, args.episodes)
            same = same_results(Path(tmp) / "local", Path(tmp) / "ray")
            # one episode each: the fixed cost of a run, taken off to get the cost per episode
            local_1 = run(args, base_url, Path(tmp) / "local1", [], 1)
            ray_1 = run(args, base_url, Path(tmp) / "ray1", ray, 1)
    finally:
        server.terminate()
    n = local["results"]
    print(
        f"{args.spec}: {n} episodes, openai:stub at {args.latency * 1000:.0f} ms, scripted "
        f"users, concurrency {args.concurrency}; Ray: a local instance, {args.actors} actors"
    )
    print(f"{'':>6} {'wall s':>7} {'run s':>7} {'episodes/s':>10} {'CPU s':>7} "
          f"{'fixed CPU s':>11} {'CPU ms/episode':>14}")  # fmt: skip
    marginal = {}
    for name, got, one in (("local", local, local_1), ("ray", on_ray, ray_1)):
        marginal[name] = (got["cpu"] - one["cpu"]) / max(n - 1, 1) * 1000
        print(f"{name:>6} {got['wall']:>7.2f} {got['run_wall']:>7.2f} "
              f"{n / got['run_wall']:>10.1f} {got['cpu']:>7.2f} {one['cpu']:>11.2f} "
              f"{marginal[name]:>14.2f}")  # fmt: skip
    start = (on_ray["wall"] - on_ray["run_wall"]) - (local["wall"] - local["run_wall"])
    print(f"Ray start-up (instance and actors) beyond the local start: {start:.2f} s")
    per = (on_ray["run_wall"] - local["run_wall"]) / n * 1000
    print(
        f"Ray overhead per episode once started: {per:+.2f} ms wall, "
        f"{marginal['ray'] - marginal['local']:+.2f} ms CPU"
    )
    rates = ", ".join(f"#{a['actor']} {a['results']} ({a['per_s']:.1f}/s)"
                      for a in on_ray["actors"] or [])  # fmt: skip
    print(f"actors: {rates}")
    print(f"results identical to the local run's: {same}")


if __name__ == "__main__":
    main()
