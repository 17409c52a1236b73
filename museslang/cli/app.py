"""The `museslang` typer application and its entry point: the app every command module
registers on, the callback that redacts all output, and `main`, the console script,
which turns whatever escapes a command into one line and an exit status."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer

app = typer.Typer(
    name="museslang",
    help="Compile multi-user agent scenarios (.muses) into checked, runnable episodes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    from museslang import __version__

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
    _redact_output()


def _redact_output() -> None:
    """Every line any command prints passes one redactor: no secret museslang was given
    (an API key, URL credentials) reaches the terminal or a log, however it got there."""
    from museslang.safetext import RedactingStream

    before = sys.stdout, sys.stderr
    if isinstance(sys.stderr, RedactingStream):
        return
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)

    def restore() -> None:
        sys.stdout, sys.stderr = before

    import click

    context = click.get_current_context(silent=True)
    if context is not None:  # put back when the command ends (tests run many in one process)
        context.call_on_close(restore)


_ADDRESS = re.compile(r"local|auto|\S+://\S+|[\w.\-]+:\d+")


def optional_address(args: list[str]) -> list[str]:
    """`--ray` may stand alone (start Ray here): give it the value `local` unless an
    address follows (click's options take a value or none, never either)."""
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--ray":
            following = args[i + 1] if i + 1 < len(args) else None
            if following is None or not _ADDRESS.fullmatch(following):
                out.append("local")
    return out


def main() -> None:
    from museslang.safetext import redact

    sys.argv[1:] = optional_address(sys.argv[1:])
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("museslang: interrupted", err=True)
        raise SystemExit(130) from None
    except RecursionError:
        typer.echo("museslang: error: the input nests too deeply to process", err=True)
        raise SystemExit(2) from None
    except MemoryError:
        typer.echo("museslang: error: out of memory (the input is too large)", err=True)
        raise SystemExit(2) from None
    except Exception as exc:  # the last line of defence: a bug, said in one line
        typer.echo(
            f"museslang: internal error: {type(exc).__name__}: {redact(str(exc))[:300]} "
            "(a museslang bug; please report it with the command that caused it)",
            err=True,
        )
        raise SystemExit(2) from None
