"""The `museslang` command line.

Every command turns bad input into one clear message and a non-zero exit:
spec errors are rendered diagnostics on stderr (exit 1), unusable arguments
such as a missing file are a one-line error (exit 2). No traceback reaches
the user.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from museslang import __version__
from museslang.compiler import check_path, compile_path, to_json
from museslang.diagnostics import render_all

app = typer.Typer(
    name="museslang",
    help="Compile multi-user agent scenarios (.muses) into checked, runnable episodes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"museslang: error: {message}", err=True)
    return typer.Exit(code)


def _spec_file(path: Path) -> Path:
    if not path.exists():
        raise _fail(f"no such file: {path}")
    if path.is_dir():
        raise _fail(f"{path} is a directory; give a .muses file")
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    return path


def _version(value: bool) -> None:
    if value:
        typer.echo(f"museslang {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """museslang: checked, reproducible multi-user agent benchmarks from source code."""


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="One or more .muses files.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
) -> None:
    """Check specs for errors; exit 0 when clean (warnings allowed), 1 on errors."""
    failed = False
    for path in files:
        _spec_file(path)
        result = check_path(path)
        shown = [d for d in result.diagnostics.sorted() if d.is_error or not quiet]
        if shown:
            typer.echo(render_all(shown, result.sources), err=True)
        if result.diagnostics.has_errors:
            failed = True
        elif not quiet:
            n = len(result.checked.scenarios) if result.checked else 0
            typer.echo(f"{path}: ok ({n} scenario{'s' if n != 1 else ''})", err=True)
    raise typer.Exit(1 if failed else 0)


@app.command("compile")
def compile_cmd(
    file: Annotated[Path, typer.Argument(help="The .muses file to compile.")],
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Base seed for sweep expansion (default: the spec's)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the JSON here instead of stdout.")
    ] = None,
) -> None:
    """Compile a spec into episode graphs (JSON): one per sweep cell and sample."""
    _spec_file(file)
    if seed is not None and seed < 0:
        raise _fail("--seed must be a non-negative integer")
    t0 = time.perf_counter()
    result = compile_path(file, seed)
    if result.diagnostics.items:
        typer.echo(render_all(result.diagnostics.sorted(), result.sources), err=True)
    if not result.ok or result.compiled is None:
        raise typer.Exit(1)
    text = to_json(result.compiled)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_atomic(out, text)
    episodes = result.compiled.episodes
    users = sum(len(e.participants) for e in episodes)
    wall = time.perf_counter() - t0
    dest = f" -> {out}" if out else ""
    typer.echo(
        f"compiled {len(episodes)} episode{'s' if len(episodes) != 1 else ''} "
        f"({users} users) from {file} in {wall:.2f} s{dest}",
        err=True,
    )


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename: an interrupted write leaves the old file intact."""
    path = Path(path)
    if path.is_dir():
        raise _fail(f"{path} is a directory; give a file name for the output")
    if not path.parent.exists():
        raise _fail(f"the folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _fail(f"cannot write {path}: {exc.strerror}") from None


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("museslang: interrupted", err=True)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
