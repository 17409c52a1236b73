"""The report's episode browser on a large run: a shared-queue run of at least 10,000
episodes (specs/shared_queue.muses with more samples per cell), its report, and the page
opened in headless Chromium.

Prints the time to write the report, the page's and its data files' sizes, the time from
navigation until the browser has listed every episode (median of fresh loads; target:
under 2 s), and the time until a search for a word of one user's message lists that
episode (the search data loads on the first query), and whether it did.

    python benchmarks/report_browser.py              # 10,000+ episodes
    python benchmarks/report_browser.py --episodes 2000
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

READY = "document.body && document.body.dataset.episodes === 'ready'"


def spec_with(samples: int, folder: Path) -> Path:
    text = (ROOT / "specs" / "shared_queue.muses").read_text(encoding="utf-8")
    text = re.sub(r"samples: \d+", f"samples: {samples}", text, count=1)
    path = folder / "big_queue.muses"
    path.write_text(text, encoding="utf-8")
    return path


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()

    from museslang.run.store import read_results
    from museslang.testing.chromium import Chromium, executable

    if executable() is None:
        sys.exit("needs chromium on PATH (Debian: apt-get install chromium)")
    museslang = [sys.executable, "-m", "museslang"]
    with tempfile.TemporaryDirectory(prefix="museslang-browser-") as tmp:
        folder = Path(tmp)
        per_cell = 19 * 4  # users 2..20, an original and three variants per sample
        spec = spec_with(math.ceil(args.episodes / per_cell), folder)
        out = folder / "run"
        wall = run(
            [
                *museslang,
                "eval",
                str(spec),
                "--agent",
                "reference:comply",
                "--out",
                str(out),
                "--no-progress",
                "--concurrency",
                "64",
            ]
        )
        results = read_results(out / "results.jsonl").results
        print(f"eval of {len(results)} queue episodes (report included): {wall:.1f} s")
        again = run([*museslang, "report", str(out)])
        page = out / "report.html"
        data = sorted((out / "report-data").glob("*.js"))
        size = sum(f.stat().st_size for f in data)
        print(
            f"museslang report: {again:.1f} s; report.html {page.stat().st_size / 1e6:.2f} MB, "
            f"{len(data)} data files {size / 1e6:.1f} MB"
        )
        # a word that one user wrote: the reference number of an order in the middle
        target = results[len(results) // 2]
        said = next(m.text for m in target.transcript if m.sender != "agent")
        word = re.findall(r"\[ref: (\d+)\]", said)[0]
        url = page.as_uri()
        loads = []
        for _ in range(args.loads):
            with Chromium() as browser:
                loads.append(browser.open(url, READY))
                listed = browser.js("document.getElementById('ep-count').textContent")
        print(
            f"open to listed ({listed}): median {statistics.median(loads):.3f} s, "
            f"max {max(loads):.3f} s over {len(loads)} fresh loads (target < 2 s)"
        )
        with Chromium() as browser:
            browser.open(url, READY)
            t0 = time.monotonic()
            browser.js(
                f"var q = document.getElementById('ep-q'); q.value = {word!r};"
                "q.dispatchEvent(new Event('input'));"
            )
            wanted = f"0:{target.id}:{target.trial}"
            found = browser.wait(
                f"document.getElementById('ep-count').dataset.q === {word!r} && "
                "[...document.querySelectorAll('#ep-list tbody tr')].map(r => r.dataset.key)"
            )
            took = time.monotonic() - t0
            print(
                f"search {word!r} (from {target.id}): {len(found)} listed in {took:.3f} s; "
                f"the episode is listed: {wanted in found}"
            )
            browser.js(f"museslangBrowser.open({wanted!r})")
            browser.wait("!!document.querySelector('#ep-view .lanes')")
            print(f"opened it: {time.monotonic() - t0 - took:.3f} s to its lanes")


if __name__ == "__main__":
    main()
