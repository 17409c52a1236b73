"""The run directory: `run.json`, `results.jsonl` (append-only) and `summary.json`.

A result line is written and flushed the moment its episode finishes, so a
run killed at any instant keeps every finished episode. A line cut short by
the kill is the only damage a kill can do; on `--resume` it is set aside in
`results.partial` (that episode simply runs again), and errored episodes are
dropped from the file and run again, so every id ends up in the file exactly once.

What the directory holds is never trusted blindly and never lost:

- one writer at a time: a lock file (`.lock`) is held for the whole run, so a second
  `eval --out D` (or a `rescore` while `eval` appends) gets a clear error instead of
  interleaving lines or writing to a file the other one replaced;
- a line that cannot be read (a newer format, a hand edit, a wrong type) is never
  rewritten away: `--resume` and `rescore` refuse, naming the lines;
- `--resume` checks the results against the run it continues: the spec hash, the
  seed, and every result's episode, trial and seed.
"""

from __future__ import annotations

import itertools
import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from pydantic import ValidationError

from museslang.files import write_atomic
from museslang.ir.results import EpisodeResult
from museslang.safetext import clean_value

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
RUN = "run.json"
LOCK = ".lock"
PARTIAL = "results.partial"
MAX_LINE_BYTES = 64 * 1024 * 1024  # one result line; a longer one is reported, not parsed
MAX_RESULTS_BYTES = 1024 * 1024 * 1024  # one results file; past it, the rest is not read
MAX_RUN_BYTES = 1024 * 1024  # run.json
CHUNK_BYTES = 1024 * 1024


class StoreError(RuntimeError):
    """The run directory cannot be used; the message says why and what to do."""


class RunLock:
    """An exclusive, non-blocking lock on a run directory, held until `release`.

    The kernel drops it when the process dies (SIGKILL included), so a killed run
    never leaves a stale lock behind."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK
        self._fh: IO[str] | None = None

    def acquire(self, purpose: str) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock, as before
            return
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115  (held while locked)
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise StoreError(
                f"{self.path.parent} is in use by {holder}; wait for it to finish, "
                "or use another --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"museslang {purpose} (pid {os.getpid()})\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the descriptor releases the lock
            self._fh = None


@dataclass
class Loaded:
    """What results.jsonl holds: the readable results, and every line that is not one."""

    results: list[EpisodeResult] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    cut_short: str | None = None  # a last line without its newline that does not parse
    cut_short_line: int = 0

    def describe(self, path: Path, limit: int = 5) -> str:
        shown = "; ".join(f"line {n}: {why}" for n, why in self.problems[:limit])
        more = f"; and {len(self.problems) - limit} more" if len(self.problems) > limit else ""
        return f"{path} has lines that are not museslang results ({shown}{more})"


def _why(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "the line"
    return f"{where}: {first['msg']}"


def read_results(path: Path) -> Loaded:
    """Every line of a results file, each a result or a numbered problem; never raises
    on content (a missing file is empty)."""
    out = Loaded()
    if not path.exists():
        return out
    seen: dict[tuple[str, int], int] = {}
    with _open_regular(path) as fh:
        for number, raw, size in _lines(fh):
            if raw is None:
                if size < 0:
                    out.problems.append((number, f"the file goes on past {MAX_RESULTS_BYTES:,} "
                                                 "bytes: the rest is not read"))  # fmt: skip
                    break
                out.problems.append((number, f"{size:,} bytes is longer than a result"))
                continue
            last = not raw.endswith(b"\n")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
                result = EpisodeResult.model_validate_json(text)
            except UnicodeDecodeError as exc:
                out.problems.append((number, f"not UTF-8 (byte {exc.start})"))
                continue
            except ValidationError as exc:
                if last:
                    out.cut_short = raw.decode("utf-8", "replace")  # the kill's half line
                    out.cut_short_line = number
                else:
                    out.problems.append((number, _why(exc)))
                continue
            if result.key in seen:
                first = seen[result.key]
                out.problems.append(
                    (number, f"repeats episode {result.id} trial {result.trial} (line {first})")
                )
                continue
            seen[result.key] = number
            out.results.append(result)
    return out


def _open_regular(path: Path) -> BinaryIO:
    """A run file opened for reading, if it is a regular file (`results.jsonl` pointing at
    /dev/zero, a FIFO or a folder is refused before anything is read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    fh = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        fh.close()
        raise StoreError(f"cannot read {path}: not a regular file")
    return fh


def _lines(fh: BinaryIO) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, the line or None when it is over MAX_LINE_BYTES, its size), reading
    no line past that bound and no file past MAX_RESULTS_BYTES (then size is -1)."""
    total = 0
    for number in itertools.count(1):
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        size = len(raw)
        if size > MAX_LINE_BYTES:  # skip the rest of it, a chunk at a time
            while raw and not raw.endswith(b"\n") and total + size <= MAX_RESULTS_BYTES:
                raw = fh.readline(CHUNK_BYTES)
                size += len(raw)
        total += size
        if total > MAX_RESULTS_BYTES:
            yield number, None, -1
            return
        yield number, (raw if size <= MAX_LINE_BYTES else None), size


def stream_results(path: Path) -> Iterator[EpisodeResult]:
    """The readable results of a file one at a time, for a reader that looks at each once
    (the report's episode browser after a run, which keeps only small records); what
    `read_results` would report as a problem is skipped."""
    if not path.exists():
        return
    try:
        fh = _open_regular(path)
    except StoreError:
        return
    with fh:
        for _, raw, _ in _lines(fh):
            if raw is not None and raw.strip():
                try:
                    yield EpisodeResult.model_validate_json(raw)
                except ValidationError:
                    continue


Check = Callable[[EpisodeResult], str | None]  # why a stored result does not belong, or None


class ResultsStore:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.results_path = out / RESULTS
        self._fh: IO[str] | None = None
        self._lock = RunLock(out)

    def prepare(
        self, meta: dict[str, Any], resume: bool, check: Check | None = None
    ) -> list[EpisodeResult]:
        """Create or reopen the directory, locked; returns the finished results to keep.

        `check` says why a stored result does not belong to this run (another spec's
        episode, a trial seed that does not match); any such result refuses the resume."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {self.out}: {exc.strerror}") from None
        if not self.out.is_dir():
            raise StoreError(f"{self.out} is not a folder")
        self._lock.acquire(str(meta.get("purpose", "eval")))
        try:
            return self._prepare(meta, resume, check)
        except BaseException:
            self._lock.release()
            raise

    def _prepare(self, meta: dict[str, Any], resume: bool, check: Check | None) -> list:
        run_path = self.out / RUN
        has_results = self.results_path.exists() and self.results_path.stat().st_size > 0
        if has_results and not resume:
            raise StoreError(
                f"{self.out} already holds results; pass --resume to continue that run "
                "or --out to start a new one"
            )
        kept: list[EpisodeResult] = []
        if resume and has_results:
            before = read_run(self.out)  # a resume must know what the results belong to
            before.setdefault("metrics", "default")  # runs made before --metrics existed
            for key in ("spec_sha256", "seed", "agent", "users", "metrics", "guards"):
                if before.get(key) != meta.get(key):
                    raise StoreError(
                        f"cannot resume: {self.out} was run with {key} = {before.get(key)!r}, "
                        f"this run has {meta.get(key)!r}; use another --out"
                    )
            loaded = read_results(self.results_path)
            if loaded.problems:
                raise StoreError(
                    f"cannot resume: {loaded.describe(self.results_path)}; fix or move those "
                    "lines (nothing was changed)"
                )
            for result in loaded.results:
                why = check(result) if check is not None else None
                if why is not None:
                    raise StoreError(
                        f"cannot resume: {self.results_path} holds a result that is not of this "
                        f"run ({why}); use another --out (nothing was changed)"
                    )
            if loaded.cut_short is not None:
                with open(self.out / PARTIAL, "a", encoding="utf-8") as side:
                    side.write(loaded.cut_short.rstrip("\n") + "\n")
            kept = [r for r in loaded.results if r.status == "ok"]
            if len(kept) != len(loaded.results) or loaded.cut_short is not None:
                self.rewrite(kept)
        write_atomic(run_path, json.dumps(meta, indent=2) + "\n")
        self._fh = open(self.results_path, "a", encoding="utf-8")  # noqa: SIM115  (held for the run)
        return kept

    def load(self) -> list[EpisodeResult]:
        """Every readable result (a reader's view: table, report)."""
        return read_results(self.results_path).results

    def append(self, result: EpisodeResult) -> None:
        assert self._fh is not None
        self._fh.write(dump_result(result) + "\n")
        self._fh.flush()

    def rewrite(self, results: list[EpisodeResult]) -> None:
        """Replace results.jsonl in one step (rescore): a crash leaves the old file whole."""
        write_atomic(self.results_path, "".join(dump_result(r) + "\n" for r in results))

    def write_summary(self, text: str) -> Path:
        path = self.out / SUMMARY
        write_atomic(path, text)
        return path

    def lock(self, purpose: str) -> None:
        """Hold the directory's lock without opening results for appending (rescore)."""
        self._lock.acquire(purpose)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._lock.release()


def dump_result(result: EpisodeResult) -> str:
    """One results line. Text that UTF-8 cannot hold (half a surrogate pair from a model's
    `\\ud800`) is replaced rather than losing the whole result."""
    try:
        return result.model_dump_json()
    except ValueError:  # PydanticSerializationError: a lone surrogate somewhere
        data = clean_value(result.model_dump(mode="python"))
        return EpisodeResult.model_validate(data).model_dump_json()


def read_run(out: Path) -> dict:
    try:
        with _open_regular(out / RUN) as fh:
            data = fh.read(MAX_RUN_BYTES + 1)
        if len(data) > MAX_RUN_BYTES:
            raise StoreError(f"{out / RUN} is over {MAX_RUN_BYTES:,} bytes: not a run description")
        meta = json.loads(data)
    except StoreError:
        if not (out / RUN).exists():
            raise StoreError(f"{out} is not a run directory (no {RUN})") from None
        raise
    except (OSError, ValueError, RecursionError) as exc:
        raise StoreError(f"cannot read {out / RUN}: {str(exc)[:200]}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("spec_sha256"), str):
        raise StoreError(f"{out / RUN} is not a museslang run description")
    for key, kind in (("seed", int), ("agent", str), ("users", str)):
        if key in meta and not isinstance(meta[key], kind):
            raise StoreError(f"{out / RUN}: '{key}' is not a {kind.__name__}")
    return meta


def load_run(out: Path) -> tuple[dict, list[EpisodeResult], Loaded]:
    """A finished run directory: its description, every result it holds, and what in
    results.jsonl could not be read (the caller says so)."""
    if not out.is_dir():
        raise StoreError(f"{out} is not a run directory")
    meta = read_run(out)
    loaded = read_results(out / RESULTS)
    if not loaded.results:
        raise StoreError(f"{out} holds no results")
    return meta, loaded.results, loaded
