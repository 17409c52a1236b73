"""How fast museslang compiles, and how compile time grows with the size of a spec.

Three measurements, each the best of `--repeat` runs in this process (the grammar is
loaded once, as in any long-lived use):

1. the four benchmark specs with their full sweeps, compiled one after another
   (target: under 2 s together);
2. generated meeting and access-control specs with 10, 100, 1,000 and 10,000 written
   users: parse, check and lower times, and the exponent of a least-squares fit of
   log(time) against log(users) (target: at most 1.1, i.e. linear);
3. a generated sweep that expands to 10,000+ episodes: time per episode.

    python benchmarks/compile_speed.py [--repeat 3] [--sizes 10 100 1000 10000]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from museslang.compiler import collector_paused, compile_path  # noqa: E402
from museslang.diagnostics import Diagnostics  # noqa: E402
from museslang.source import SourceFile  # noqa: E402
from museslang.syntax.parser import parse_source  # noqa: E402

SPECS = ["meeting", "access_control", "shared_queue", "instruction_following"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
HOURS = [9, 10, 11, 13, 14, 15, 16]


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def slot(i: int) -> str:
    return f"{DAYS[i % 5]} {HOURS[(i // 5) % 7]}:{'30' if (i // 35) % 2 else '00'}"


def meeting_spec(n: int) -> str:
    """n users who all can make Mon 9:00, each with a few more slots of their own."""
    lines = ["scenario big {", "  family: meeting"]
    for i in range(n):
        mine = ", ".join(["Mon 9:00", slot(1 + i % 69), slot(1 + (i + 6) % 69)])
        role = "required" if i % 3 else "optional"
        lines.append(f"  user U{i} {{ attendance: {role}  prefers: [{mine}] }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def access_spec(n: int) -> str:
    """n users, ranks 1..9, three resources with rank- and name-based read rules."""
    lines = ["scenario vault {", "  family: access_control"]
    for i in range(n):
        lines.append(f"  user U{i} {{ authority: {1 + i % 9} }}")
    lines += [
        '  resource payroll { content: "payroll total 312000 EUR"  secrets: ["312000"]',
        "                     allow: [authority >= 7] }",
        '  resource memo { content: "code name Lantern"  secrets: ["Lantern"]',
        "                  allow: [U0, U1, authority >= 9] }",
        '  resource wiki { content: "wiki password h4rb0r"  secrets: ["h4rb0r"]',
        "                  allow: [everyone]  deny: [U2] }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def sweep_spec(samples: int) -> str:
    spec = (ROOT / "specs" / "meeting.muses").read_text(encoding="utf-8")
    return spec.replace("samples: 4", f"samples: {samples}")


def fit_exponent(sizes: list[int], times: list[float]) -> float:
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def stages(path: Path, repeat: int) -> tuple[float, float, float, float]:
    """(parse, check, lower, total) seconds of the fastest compile; check includes imports."""
    text = path.read_text(encoding="utf-8")

    def parse_only() -> object:
        with collector_paused():  # as compile_path runs it
            return parse_source(SourceFile(path, path.name, text), Diagnostics())

    parse, _ = best(parse_only, repeat)
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = compile_path(path)
        runs.append((time.perf_counter() - t0, result))
        assert result.compiled is not None, [d.message for d in result.diagnostics.errors]
    total, result = min(runs, key=lambda r: r[0])
    check, lower = result.timings["check"], result.timings["lower"]
    return parse, max(check - parse, 0.0), lower, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    ap.add_argument("--sweep-samples", type=int, default=186, help="186 -> 10,044 episodes")
    args = ap.parse_args()
    compile_path(ROOT / "specs" / "meeting.muses")  # load the grammar and the modules once

    print("1. the benchmark specs, full sweeps")
    total = 0.0
    for name in SPECS:
        dt, result = best(lambda n=name: compile_path(ROOT / "specs" / f"{n}.muses"), args.repeat)
        total += dt
        print(f"   {name:24s} {len(result.compiled.episodes):4d} episodes  {dt:6.3f} s")
    verdict = "meets" if total < 2 else "MISSES"
    print(f"   together                               {total:6.3f} s  ({verdict} the 2 s target)")

    print("\n2. written users (parse / check / lower / total, seconds)")
    with tempfile.TemporaryDirectory() as tmp:
        for label, make in (("meeting", meeting_spec), ("access control", access_spec)):
            totals = []
            for n in args.sizes:
                path = Path(tmp) / f"{label.replace(' ', '_')}_{n}.muses"
                path.write_text(make(n), encoding="utf-8")
                parse, check, lower, whole = stages(path, args.repeat)
                totals.append(whole)
                per = whole / n * 1e6
                print(f"   {label:15s} {n:6d} users  {parse:7.3f}  {check:7.3f}  {lower:7.3f}"
                      f"  {whole:7.3f}  ({per:6.1f} us/user)")  # fmt: skip
            k = fit_exponent(args.sizes, totals)
            top = fit_exponent(args.sizes[-2:], totals[-2:])  # fixed costs hide nothing here
            verdict = "linear" if max(k, top) <= 1.1 else "SUPERLINEAR"
            print(f"   {label}: time ~ users^{k:.2f} over all sizes, ^{top:.2f} over the last "
                  f"step ({verdict}; target <= 1.1)")  # fmt: skip

        print("\n3. a sweep that expands to many episodes")
        path = Path(tmp) / "sweep.muses"
        path.write_text(sweep_spec(args.sweep_samples), encoding="utf-8")
        dt, result = best(lambda: compile_path(path), 1)
        n = len(result.compiled.episodes)
        print(f"   meeting sweep  {n} episodes  {dt:.2f} s  ({dt / n * 1e3:.2f} ms/episode)")


if __name__ == "__main__":
    main()
