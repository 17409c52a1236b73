"""How long the language server takes to re-check a spec while it is being edited.

Two 2,000-line specs: a hand-written shape (500 users in one scenario) and, when
../shared/muses-bench-sample is there, whole scenarios of the official queue sample
imported with `museslang import muses-bench` up to 2,000 lines. For each: the check alone
(`lsp.analysis.analyse`, median of --repeat), and the round trip an editor sees — a
change sent over the protocol until its diagnostics come back — less the debounce wait.
Then hover and completion inside an expression string of the shipped trip family.

    python benchmarks/lsp_latency.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from start_up import imported_sample  # noqa: E402  (the official sample, imported)


def hand_written() -> str:
    users = "\n".join(
        f"  user U{i} {{\n    role: lead\n    prefers: [Tue 9:30]\n  }}" for i in range(500)
    )
    head = 'role lead { title: "Lead"  authority: 7 }\nscenario big {\n  family: meeting\n'
    return f"{head}{users}\n}}\n"


def imported(folder: Path) -> str | None:
    text = imported_sample(folder)
    if text is None:
        return None
    head, _, body = text.partition("\nscenario ")
    parts = ("scenario " + body).split("\nscenario ")
    kept = [head]
    for i, part in enumerate(parts):
        kept.append(part if i == 0 else "scenario " + part)
        if sum(p.count("\n") for p in kept) >= 2000:
            break
    return "\n".join(kept)


def check_alone(path: Path, text: str, repeat: int) -> tuple[float, int]:
    from museslang.lsp.analysis import analyse

    analyse(path, text)  # warm: imports, grammar, std modules
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        found = analyse(path, text)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), sum(d.is_error for d in found.diagnostics)


async def round_trip(path: Path, text: str, repeat: int) -> float:
    from museslang.lsp.client import Session
    from museslang.lsp.server import DEBOUNCE_S

    session = Session()
    await session.start()
    try:
        await session.open(path, text)
        times = []
        for version in range(2, repeat + 2):
            edited = text + f"\n# edit {version}\n"
            t0 = time.perf_counter()
            await session.change(path, edited, version)
            times.append(time.perf_counter() - t0 - DEBOUNCE_S)
        return statistics.median(times)
    finally:
        await session.stop()


def written_family() -> str:
    """The shipped trip family and its spec in one file: a family written in museslang."""
    spec = (ROOT / "specs" / "trip.muses").read_text(encoding="utf-8")
    family = (ROOT / "stdlib" / "trip.muses").read_text(encoding="utf-8")
    return family + "\n" + spec.replace("import std.trip\n", "")


def inside_expression(path: Path, text: str, repeat: int) -> tuple[float, float]:
    """Hover on `u.budget` in a goal, and completion after `u.`, as the server answers
    them from the document's check (median ms, the check not counted)."""
    from museslang.lsp.analysis import analyse
    from museslang.lsp.complete import complete
    from museslang.lsp.hover import hover

    analysis = analyse(path, text)
    at = text.index("<= u.budget") + len("<= u.b")
    line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
    before = text[: text.index("<= u.budget") + len("<= u.")]
    timed: list[list[float]] = [[], []]
    for _ in range(repeat):
        for i, ask in enumerate((lambda: hover(analysis, line, column),
                                 lambda: complete(before, analysis))):  # fmt: skip
            t0 = time.perf_counter()
            assert ask()
            timed[i].append(time.perf_counter() - t0)
    return statistics.median(timed[0]), statistics.median(timed[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        specs = {"hand-written": hand_written()}
        queue = imported(folder)
        if queue is None:
            print("imported queue spec: skipped (no ../shared/muses-bench-sample)")
        else:
            specs["imported queue"] = queue
        trip = "change->diagnostics ms"
        print(f"{'spec':<16} {'lines':>6} {'errors':>6} {'check ms':>9} {trip:>23}")
        for name, text in specs.items():
            path = folder / f"{name.replace(' ', '_')}.muses"
            path.write_text(text, encoding="utf-8")
            alone, errors = check_alone(path, text, args.repeat)
            trip = asyncio.run(round_trip(path, text, args.repeat))
            print(f"{name:<16} {text.count(chr(10)):>6} {errors:>6} {alone * 1000:>9.0f} "
                  f"{trip * 1000:>23.0f}")  # fmt: skip
        print("(the round trip is less the server's debounce wait of "
              "museslang.lsp.server.DEBOUNCE_S)")  # fmt: skip
        path = folder / "written_trip.muses"
        text = written_family()
        path.write_text(text, encoding="utf-8")
        hovered, completed = inside_expression(path, text, args.repeat)
        print(f"inside an expression ({text.count(chr(10))}-line spec with a written family): "
              f"hover {hovered * 1000:.2f} ms, completion {completed * 1000:.2f} ms")


if __name__ == "__main__":
    main()
