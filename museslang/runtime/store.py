"""The run directory: `run.json`, `results.jsonl` (append-only) and `summary.json`.

A result line is written and flushed the moment its episode finishes, so a
run killed at any instant keeps every finished episode. A line cut short by
the kill is the only possible damage; `load` drops it (that episode simply
runs again on `--resume`). On resume, errored episodes are dropped from the
file and run again, so every id ends up in the file exactly once.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from museslang.runtime.transcript import EpisodeResult

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
RUN = "run.json"


class StoreError(RuntimeError):
    """The run directory cannot be used; the message says why and what to do."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ResultsStore:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.results_path = out / RESULTS
        self._fh: IO[str] | None = None

    def prepare(self, meta: dict[str, Any], resume: bool) -> list[EpisodeResult]:
        """Create or reopen the directory; returns the finished results to keep."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {self.out}: {exc.strerror}") from None
        run_path = self.out / RUN
        has_results = self.results_path.exists() and self.results_path.stat().st_size > 0
        if has_results and not resume:
            raise StoreError(
                f"{self.out} already holds results; pass --resume to continue that run "
                "or --out to start a new one"
            )
        kept: list[EpisodeResult] = []
        if resume and run_path.exists():
            try:
                before = json.loads(run_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                before = {}
            before.setdefault("metrics", "default")  # runs made before --metrics existed
            for key in ("spec_sha256", "seed", "agent", "users", "metrics"):
                if before.get(key) != meta.get(key):
                    raise StoreError(
                        f"cannot resume: {self.out} was run with {key} = {before.get(key)!r}, "
                        f"this run has {meta.get(key)!r}; use another --out"
                    )
        if resume and self.results_path.exists():
            kept = [r for r in self.load() if r.status == "ok"]
            self.rewrite(kept)
        write_atomic(run_path, json.dumps(meta, indent=2) + "\n")
        self._fh = open(self.results_path, "a", encoding="utf-8")  # noqa: SIM115  (held for the run)
        return kept

    def load(self) -> list[EpisodeResult]:
        """Every complete line; a truncated or unreadable line is skipped."""
        results: list[EpisodeResult] = []
        seen: set[tuple[str, int]] = set()
        with open(self.results_path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break  # cut short by a kill
                try:
                    result = EpisodeResult.model_validate_json(line)
                except ValidationError:
                    continue
                if result.key not in seen:
                    seen.add(result.key)
                    results.append(result)
        return results

    def append(self, result: EpisodeResult) -> None:
        assert self._fh is not None
        self._fh.write(result.model_dump_json() + "\n")
        self._fh.flush()

    def rewrite(self, results: list[EpisodeResult]) -> None:
        """Replace results.jsonl in one step (rescore): a crash leaves the old file whole."""
        write_atomic(self.results_path, "".join(r.model_dump_json() + "\n" for r in results))

    def write_summary(self, text: str) -> Path:
        path = self.out / SUMMARY
        write_atomic(path, text)
        return path

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def read_run(out: Path) -> dict:
    try:
        meta = json.loads((out / RUN).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{out} is not a run directory (no {RUN})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"cannot read {out / RUN}: {exc}") from None
    if not isinstance(meta, dict) or "spec_sha256" not in meta:
        raise StoreError(f"{out / RUN} is not a museslang run description")
    return meta


def load_run(out: Path) -> tuple[dict, list[EpisodeResult]]:
    """A finished run directory: its description and every result it holds."""
    if not out.is_dir():
        raise StoreError(f"{out} is not a run directory")
    meta = read_run(out)
    store = ResultsStore(out)
    results = store.load() if store.results_path.exists() else []
    if not results:
        raise StoreError(f"{out} holds no results")
    return meta, results
