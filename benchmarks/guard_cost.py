"""What a guard costs and what it buys: the same episodes bare and behind each guard setting.

Each setting runs `museslang eval SPEC --agent AGENT --sample N --guard SETTING` in its own
process; a reference agent costs almost nothing itself, so the CPU the run adds over the bare
run is the guard's. Per setting it prints the run's CPU (user + system of the child process,
start-up and compile included, the same in every run), the CPU added per agent message
against `none`, the interventions and blocked turns per episode, and the family's privacy
and utility means, so a defence's price and its effect read on one line.

    python benchmarks/guard_cost.py                                 # comply, access control
    python benchmarks/guard_cost.py --agent reference:refuse --sample 16
    python benchmarks/guard_cost.py --guards none acl acl+spotlight --reps 3
    python benchmarks/guard_cost.py --stub     # against the client's CPU per request

`--stub` measures the issue's target instead: the agent is `openai:` against museslang's
local OpenAI-compatible stub answering at once (`museslang.testing.openai_stub`, started
here), and each setting runs in its own process with the CPU counted around the run alone
(compile and start-up left out). It prints the client's CPU per request bare (museslang,
HTTP and JSON together), what each setting adds per request (a difference of two runs: on
a loaded machine it is noise), and the CPU spent inside the guards' own methods per
request, timed where they are called, as a share of the bare figure (target: under 5%).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(spec: str, agent: str, sample: int, setting: str, out: Path) -> tuple[float, float]:
    """One eval in its own process: (CPU seconds, wall seconds)."""
    command = [sys.executable, "-m", "museslang", "eval", spec, "--agent", agent,
               "--sample", str(sample), "--out", str(out), "--no-progress"]  # fmt: skip
    if setting != "none":
        command += ["--guard", setting.replace("+", ",")]
    before, start = child_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"guard_cost: {' '.join(command[2:])} failed:\n{done.stderr.strip()}")
    return child_cpu() - before, time.perf_counter() - start


def figures(out: Path) -> dict[str, float]:
    """Episodes, agent messages and the means the table prints, from the run's results."""
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    n = len(results) or 1

    def mean(key: str) -> float:
        values = [r["metrics"].get(key) for r in results]
        values = [v for v in values if isinstance(v, int | float)]
        return sum(values) / len(values) if values else float("nan")

    sent = sum(1 for r in results for m in r["transcript"] if m["sender"] == "agent")
    return {
        "episodes": len(results),
        "messages": sent,
        "interventions": sum(len(r.get("interventions") or []) for r in results) / n,
        "blocked": mean("blocked_turns")
        if any("blocked_turns" in r["metrics"] for r in results)
        else 0.0,
        "privacy": mean("privacy"),
        "utility": mean("utility"),
    }


def stub_cell(spec: str, base_url: str, sample: int, setting: str) -> dict[str, float]:
    """One run in this process (called with --cell by the parent): CPU around the run."""
    import asyncio

    from eval_throughput import stats

    from museslang.compiler import compile_path
    from museslang.run.runner import RunPlan, run_all
    from museslang.run.store import ResultsStore
    from museslang.runtime.agents import make_agent
    from museslang.runtime.guard import guarded, stack
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    compiled = compile_path(ROOT / spec).compiled
    assert compiled is not None
    step = max(1, len(compiled.episodes) // sample)
    chosen = guarded(compiled.episodes[::step][:sample], setting)
    options = BackendOptions(base_url=base_url, timeout=60, retries=0, max_requests=16)
    agent, people = make_agent("openai:stub", options), make_users("scripted", options)
    spent = [0.0]  # CPU inside the guards' own methods: what they cost, whatever the load

    def timing(f):
        def timed(*args, **kwargs):
            t = time.process_time()
            try:
                return f(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - t

        return timed

    for g in stack(setting):
        for hook in ("message", "call", "system", "incoming", "reminder"):
            setattr(g, hook, timing(getattr(g, hook)))
    before = stats(base_url)["requests"]
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultsStore(Path(tmp))
        store.prepare({"spec_sha256": compiled.spec_sha256}, resume=False)

        async def go():
            try:
                return await run_all(RunPlan(compiled, chosen, store, 16), agent, people)
            finally:
                await agent.aclose()
                await people.aclose()

        r0 = resource.getrusage(resource.RUSAGE_SELF)
        done = asyncio.run(go())
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        store.close()
        lines = (Path(tmp) / "results.jsonl").read_text(encoding="utf-8").splitlines()
        interventions = sum(len(json.loads(line).get("interventions") or []) for line in lines)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"cpu": cpu, "guard_cpu": spent[0], "requests": stats(base_url)["requests"] - before - 1,
            "episodes": len(done.results),
            "interventions": interventions,
            "errored": sum(r.status != "ok" for r in done.results)}  # fmt: skip


def stub_main(args: argparse.Namespace, settings: list[str]) -> None:
    from eval_throughput import serve

    server, base_url = serve(0.0)
    rows = []
    try:
        for setting in settings:
            best = None
            for _ in range(args.reps):
                cmd = [sys.executable, __file__, "--cell", args.spec, base_url,
                       str(args.sample), setting]  # fmt: skip
                done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
                if done.returncode != 0:
                    sys.exit(f"guard_cost: the {setting} run failed:\n{done.stderr[-2000:]}")
                got = json.loads(done.stdout.strip().splitlines()[-1])
                best = got if best is None or got["cpu"] < best["cpu"] else best
            rows.append((setting, best))
    finally:
        server.terminate()
    bare = rows[0][1]
    per = bare["cpu"] / max(bare["requests"], 1) * 1000
    print(f"openai:stub (0 ms) on {args.spec}, {bare['episodes']} episodes, "
          f"{bare['requests']} requests bare; client CPU best of {args.reps}")  # fmt: skip
    print("guards | CPU s | requests | ms/request | ms added/request | in guards ms/request | "
          "guards' share of bare | interv/ep | errored")
    for setting, got in rows:
        ms = got["cpu"] / max(got["requests"], 1) * 1000
        own = got["guard_cpu"] / max(got["requests"], 1) * 1000
        print(" | ".join([setting, f"{got['cpu']:.2f}", str(got["requests"]), f"{ms:.2f}",
                          f"{ms - per:.2f}", f"{own:.3f}", f"{own / per * 100:.1f}%",
                          f"{got['interventions'] / max(got['episodes'], 1):.2f}",
                          str(got["errored"])]))  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--cell":
        spec, base_url, sample, setting = sys.argv[2:6]
        print(json.dumps(stub_cell(spec, base_url, int(sample), setting)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default="specs/access_control.muses")
    parser.add_argument("--agent", default="reference:comply")
    parser.add_argument("--sample", type=int, default=54, help="episodes drawn (eval --sample)")
    parser.add_argument(
        "--guards", nargs="+", default=["none", "acl", "spotlight", "acl+spotlight"]
    )
    parser.add_argument("--reps", type=int, default=2, help="runs per setting; least CPU kept")
    parser.add_argument("--stub", action="store_true",
                        help="openai: against a local stub: each guard's share of the client's "
                        "CPU per request")  # fmt: skip
    args = parser.parse_args()
    settings = list(dict.fromkeys(["none", *args.guards]))
    if args.stub:
        stub_main(args, settings)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="guard-cost-") as tmp:
        for setting in settings:
            best: tuple[float, float] | None = None
            for rep in range(args.reps):
                out = Path(tmp) / f"{setting}-{rep}"
                took = run(args.spec, args.agent, args.sample, setting, out)
                best = took if best is None or took[0] < best[0] else best
            assert best is not None
            rows.append((setting, *best, figures(out)))
    bare_cpu, bare = rows[0][1], rows[0][3]
    print(f"{args.agent} on {args.spec}, {bare['episodes']} episodes (--sample {args.sample}), "
          f"{bare['messages']} agent messages bare; CPU best of {args.reps}")  # fmt: skip
    head = ("guards", "CPU s", "wall s", "x bare", "ms/msg added", "interv/ep", "blocked/ep",
            "privacy", "utility")  # fmt: skip
    print(" | ".join(head))
    for setting, cpu, wall, f in rows:
        added = (cpu - bare_cpu) / max(f["messages"], 1) * 1000
        print(" | ".join([setting, f"{cpu:.2f}", f"{wall:.2f}", f"{cpu / bare_cpu:.2f}",
                          f"{added:.2f}", f"{f['interventions']:.2f}", f"{f['blocked']:.2f}",
                          f"{f['privacy']:.3f}", f"{f['utility']:.3f}"]))  # fmt: skip


if __name__ == "__main__":
    main()
