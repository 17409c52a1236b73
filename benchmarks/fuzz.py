"""10,000 fuzzed specs through the compiler: the only acceptable outcomes are a clean
compile or diagnostics; never an uncaught exception, never a hang.

Cases come from museslang.testing.fuzz (valid specs of every family, and the same
specs broken by deleted, duplicated or swapped tokens, wrong literals, huge numbers,
stray unicode, deep nesting and truncation). Each case runs under a wall-clock limit
(SIGALRM); the script prints the outcome counts, the slowest cases, and the first few
failures in full. Exit status 1 when anything but ok/diagnostics happened.

    python benchmarks/fuzz.py [--cases 10000] [--limit 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import random
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from museslang.testing.fuzz import compile_text, mutated_specs, valid_specs  # noqa: E402


class CaseTimeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--limit", type=float, default=10.0, help="seconds per case")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    outcomes: collections.Counter[str] = collections.Counter()
    failures: list[tuple[str, str]] = []
    times: list[tuple[float, str]] = []

    @seed(args.seed)
    @settings(
        max_examples=args.cases,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(valid_specs(), mutated_specs(), mutated_specs(), mutated_specs()))
    def case(text: str) -> None:
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, args.limit)
        try:
            outcomes[compile_text(text)] += 1
        except CaseTimeout:
            outcomes["timeout"] += 1
            failures.append((text, f"ran past {args.limit:g} s"))
        except Exception:
            outcomes["uncaught exception"] += 1
            failures.append((text, traceback.format_exc()))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        times.append((time.perf_counter() - t0, text))

    random.seed(args.seed)
    t0 = time.perf_counter()
    case()
    wall = time.perf_counter() - t0
    n = sum(outcomes.values())
    print(f"{n} cases in {wall:.1f} s ({wall / max(n, 1) * 1e3:.1f} ms/case)")
    for name in ("ok", "diagnostics", "uncaught exception", "timeout"):
        print(f"  {name:20s} {outcomes[name]:6d}")
    times.sort(key=lambda t: t[0], reverse=True)
    print(f"slowest case {times[0][0]:.3f} s; median {times[len(times) // 2][0] * 1e3:.1f} ms")
    for text, why in failures[:3]:
        print("\n--- failing case ---\n" + text[:2000] + "\n--- because ---\n" + why)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
