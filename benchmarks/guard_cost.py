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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default="specs/access_control.muses")
    parser.add_argument("--agent", default="reference:comply")
    parser.add_argument("--sample", type=int, default=54, help="episodes drawn (eval --sample)")
    parser.add_argument(
        "--guards", nargs="+", default=["none", "acl", "spotlight", "acl+spotlight"]
    )
    parser.add_argument("--reps", type=int, default=2, help="runs per setting; least CPU kept")
    args = parser.parse_args()
    settings = list(dict.fromkeys(["none", *args.guards]))
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
