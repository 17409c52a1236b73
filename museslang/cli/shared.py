"""What every command shares: errors said in one line (`_fail`, `_api`), output written
whole (`_emit`, `_write_atomic`), specs compiled or loaded with their warnings printed,
the progress bar, and the run tables printed the same way by eval, generate and rescore."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # commands import what they use when they run: `--help` stays fast
    from museslang.ir.models import CompiledSpec
    from museslang.metrics.summary import RunSummary


def _fail(message: str, code: int = 2) -> typer.Exit:
    from museslang.safetext import redact

    typer.echo(f"museslang: error: {redact(message)}", err=True)
    return typer.Exit(code)


def _spec_file(path: Path) -> Path:
    from museslang.api.compile import spec_file

    with _api():
        return spec_file(path)


def _emit(text: str, out: Path | None) -> None:
    """A command's output: to stdout, or atomically to `out`."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_atomic(out, text)


@contextmanager
def _api() -> Iterator[None]:
    """The API's errors as the command line says them: a spec's diagnostics (exit 1), an
    option by its flag, anything else in one line (exit 2)."""
    from museslang.api.errors import MuseslangError, OptionError, SpecError

    try:
        yield
    except SpecError as exc:
        if exc.rendered:
            typer.echo(exc.rendered, err=True)
        raise typer.Exit(1) from None
    except OptionError as exc:
        raise _fail(exc.as_flag()) from None
    except MuseslangError as exc:
        raise _fail(str(exc)) from None


def _notice(text: str) -> None:
    typer.echo(text, err=True)


class _Bar:
    """The progress bar on stderr, as the API's `Progress` (hidden with --no-progress)."""

    def __init__(self, show: bool):
        self.show = show
        self.errors = 0

    def start(self, total: int, done: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
        )
        self.bar = Progress(*columns, console=Console(stderr=True), disable=not self.show)
        self.bar.__enter__()
        self.task = self.bar.add_task("eval", total=total, completed=done, errors=0)

    def result(self, result) -> None:
        self.errors += result.status != "ok"
        self.bar.update(self.task, advance=1, errors=self.errors)

    def close(self) -> None:
        self.bar.__exit__(None, None, None)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename: an interrupted write leaves the old file intact."""
    from museslang.api.report import write_text

    with _api():
        write_text(path, text)


def _load_episodes(file: Path, seed: int | None) -> CompiledSpec:
    """A .muses spec (compiled now) or an already compiled .json file."""
    from museslang.api.compile import load

    with _api():
        done = load(file, seed=seed)
    _CACHED["hit"] = done.cached
    if done.warnings:
        typer.echo(done.warnings, err=True)
    return done.spec


_CACHED = {"hit": False}  # whether the latest compile came from the cache


def _compile_or_exit(file: Path, seed: int | None) -> CompiledSpec:
    """Compile, print any diagnostics, and exit 1 when there were errors."""
    from museslang.api.compile import compile as compile_spec

    with _api():
        done = compile_spec(file, seed=seed)
    _CACHED["hit"] = done.cached
    if done.warnings:
        typer.echo(done.warnings, err=True)
    return done.spec


def _model_settings(
    top_p: float,
    repetition_penalty: float,
    stop: list[str] | None,
    threads: int | None,
    tensor_parallel: int,
    gpu_memory: float | None,
    max_model_len: int | None,
    kv_cache_space: float | None = None,
) -> dict[str, object]:
    """The sampling and engine options every model command shares, checked."""
    from museslang.api.options import ModelOptions

    with _api():
        return ModelOptions(
            top_p=top_p, repetition_penalty=repetition_penalty, stop=tuple(stop or ()),
            threads=threads, tensor_parallel=tensor_parallel, gpu_memory=gpu_memory,
            max_model_len=max_model_len, kv_cache_space=kv_cache_space,
        ).settings()  # fmt: skip


def _print_summary(summary: RunSummary) -> None:
    from rich.console import Console

    from museslang.metrics.table import tables

    console = Console(width=None if sys.stdout.isatty() else 80)
    for table in tables(summary, console.width):
        console.print(table)


def _print_actors(summary: RunSummary) -> None:
    if summary.actors:
        rates = ", ".join(f"#{a.actor} {a.node} {a.results} ({a.per_s:.3g}/s)"
                          for a in summary.actors)  # fmt: skip
        typer.echo(f"actors: {rates}", err=True)


def _error_limit(text: str):
    """--fail-on-error as a test of (errored, results): `museslang.run.error_limit`."""
    from museslang.run.error_limit import error_limit

    try:
        return error_limit(text)
    except ValueError as exc:
        raise _fail(f"--fail-on-error {exc}") from None


def _first_error(results) -> str:
    first = next((r for r in results if getattr(r, "status", "ok") != "ok"), None)
    error = getattr(first, "error", None) if first is not None else None
    return f"{first.id}: {error}" if first is not None and error else "see results.jsonl"


def _write_report(
    loaded: list, folder: Path, truth: list | None = None, full: list | None = None
) -> tuple[Path, Path]:
    """report.md, report.html and, for a large run, the episode data beside them."""
    from museslang.api.report import write_report

    with _api():
        return write_report(loaded, folder, truth, full)


def _runs(paths: list[Path], truth: list | None = None) -> list:
    """Run directories as the table and the report read them (`api.report.runs`)."""
    from museslang.api.report import runs

    with _api():
        return runs(paths, truth, _notice)
