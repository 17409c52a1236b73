"""How long museslang takes before it does anything: `--help`, `check` of a small spec
(first, and again when nothing changed), and a second run of a large imported spec,
which reads its compile from the cache.

The large spec is the official queue sample (../shared/muses-bench-sample) imported
with `museslang import muses-bench` and repeated with fresh names until it is about
3.7 MB, the size of the full official queue file; without ../shared that part is
skipped. Each figure is the median of `--repeat` fresh processes (wall time), and, for
the large spec, the in-process time to get the compiled episodes: parse, check and
lower, against loading them from the cache.

    python benchmarks/start_up.py [--repeat 5] [--megabytes 3.7]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT.parent / "shared" / "muses-bench-sample" / "shared_queue"


def wall(args: list[str], env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "museslang", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)  # fmt: skip
        times.append(time.perf_counter() - t0)
        if done.returncode not in (0, 1):
            raise SystemExit(done.stderr[-2000:])
    return statistics.median(times)


def imported_sample(folder: Path, env: dict[str, str] | None = None) -> str | None:
    """The official queue sample's first file as `museslang import muses-bench` writes it
    (None without ../shared)."""
    records = sorted(SAMPLE.glob("*.jsonl"))
    if not records:
        return None
    one = folder / "one.muses"
    cmd = [sys.executable, "-m", "museslang", "import", "muses-bench", str(records[0]), "-o",
           str(one)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return one.read_text(encoding="utf-8")


def big_spec(folder: Path, megabytes: float, env: dict[str, str]) -> Path | None:
    text = imported_sample(folder, env)
    if text is None:
        return None
    head, _, body = text.partition("\nscenario ")
    body = "scenario " + body
    copies = max(1, round(megabytes * 1_000_000 / len(body)))
    parts = [head]
    for k in range(copies):
        part = re.sub(r"^(scenario \w+)", rf"\1_{k}", body, flags=re.M)
        parts.append(re.sub(r'^(  id: "[^"]+)"', rf'\1_{k}"', part, flags=re.M))
    spec = folder / "queue_big.muses"
    spec.write_text("\n".join(parts), encoding="utf-8")
    return spec


def in_process(spec: Path) -> tuple[float, float]:
    """Seconds to compile the spec, and to load the same compile from the cache."""
    from museslang import compile_cache
    from museslang.compiler import compile_path

    t0 = time.perf_counter()
    result = compile_path(spec)
    cold = time.perf_counter() - t0
    assert result.compiled is not None
    compile_cache.store(spec, None, result.compiled, compile_cache.made_from(result), "")
    t0 = time.perf_counter()
    hit = compile_cache.load(spec, None)
    warm = time.perf_counter() - t0
    assert hit is not None
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--megabytes", type=float, default=3.7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "MUSESLANG_CACHE": str(folder / "cache")}
        os.environ["MUSESLANG_CACHE"] = env["MUSESLANG_CACHE"]
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: with compiled bytecode
        subprocess.run([sys.executable, "-m", "compileall", "-q", "museslang"], cwd=ROOT,
                       env=env, check=False, capture_output=True)  # fmt: skip
        print(f"median of {args.repeat} fresh processes (wall seconds)")
        print(f"museslang --help                       {wall(['--help'], env, args.repeat):6.3f}")
        small = "tests/golden/compiled/standup.muses"
        off = {**env, "MUSESLANG_CACHE": "off"}
        print(f"museslang check {small}, no cache  "
              f"{wall(['check', small], off, args.repeat):6.3f}")  # fmt: skip
        fresh = []
        for k in range(args.repeat):  # a spec this cache has never seen: only lark's tables
            edited = folder / f"fresh_{k}.muses"
            edited.write_text((ROOT / small).read_text(encoding="utf-8") + f"\n# {k}\n")
            fresh.append(wall(["check", str(edited)], env, 1))
        print(f"  a new spec, cache on (parser tables cached) "
              f"{statistics.median(fresh):6.3f}")  # fmt: skip
        wall(["check", small], env, 1)  # a clean check is kept
        print(f"  again, nothing changed (cached)              "
              f"{wall(['check', small], env, args.repeat):6.3f}")  # fmt: skip
        spec = big_spec(folder, args.megabytes, env)
        if spec is None:
            print("large spec: skipped (no ../shared/muses-bench-sample)")
            return
        size = spec.stat().st_size / 1e6
        out = str(folder / "out.json")
        first = wall(["compile", str(spec), "--out", out], off, 1)
        wall(["compile", str(spec), "--out", out], env, 1)  # fills the cache
        again = wall(["compile", str(spec), "--out", out], env, args.repeat)
        print(f"compile {size:.1f} MB imported spec, no cache {first:6.3f}")
        print(f"compile {size:.1f} MB imported spec, cached   {again:6.3f}")
        probe = ("import time; t = time.perf_counter(); from pathlib import Path; "
                 "from museslang.cli import _load_episodes; "
                 f"c = _load_episodes(Path({str(spec)!r}), None); "
                 "print(time.perf_counter() - t, len(c.episodes))")  # fmt: skip
        starts = []
        for _ in range(args.repeat):
            done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                                  capture_output=True, text=True, check=True)  # fmt: skip
            starts.append(float(done.stdout.split()[0]))
        print(f"cached: a fresh process has the {size:.1f} MB spec's episodes after "
              f"{statistics.median(starts):.3f} s (imports included)")  # fmt: skip
        cold, warm = in_process(spec)
        print(f"in process: compile {cold:.3f} s, from the cache {warm:.3f} s "
              f"({cold / warm:.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
