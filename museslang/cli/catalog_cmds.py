"""The commands that list what is installed: the scenario families and the guards, each
museslang's own and those plug-ins register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from museslang.cli.shared import _load_episodes


def families_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per family.")] = False,
) -> None:
    """List the scenario families installed: museslang's own and those other packages
    register under the entry-point group `museslang.families` (docs/families.md)."""
    import json

    from rich.console import Console
    from rich.table import Table

    from museslang import family as families

    found = [families.get(n) for n in families.installed()]
    if as_json:
        for f in found:
            typer.echo(json.dumps({"name": f.name, "origin": f.origin, "summary": f.summary,
                                   "success": list(f.success), "metrics": list(f.metrics),
                                   "actions": list(f.actions), "turns": f.turns,
                                   "ending": f.ending}))  # fmt: skip
        return
    table = Table(box=None, pad_edge=False)
    for column in ("family", "from", "success", "actions", "what it is"):
        table.add_column(column)
    for f in found:
        table.add_row(f.name, f.origin, ", ".join(f.success), ", ".join(f.actions), f.summary)
    Console(width=160).print(table)
    for broken in families.BROKEN:
        typer.echo(f"museslang: error: the family plug-in {broken} cannot be used", err=True)
    if families.BROKEN:
        raise typer.Exit(1)


def guards_cmd(
    spec: Annotated[
        Path | None,
        typer.Argument(
            help="A spec or compiled file: its families written in museslang "
            "are installed first, so the guards they declare are listed too."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per guard.")] = False,
) -> None:
    """List the guards `eval --guard` can stack: museslang's own, those families bring
    (with SPEC, those its families written in museslang declare) and those other packages
    register under the entry-point group `museslang.guards` (docs/guards.md)."""
    import json

    if spec is not None:
        _load_episodes(spec, None)

    from rich.console import Console
    from rich.table import Table

    from museslang.runtime import guard as guards

    found = [guards.declared().get(n) for n in guards.declared().names()]
    if as_json:
        for g in found:
            typer.echo(json.dumps({"name": g.name, "origin": g.origin, "side": g.side,
                                   "families": list(g.families),
                                   "summary": g.summary}))  # fmt: skip
    else:
        table = Table(box=None, pad_edge=False)
        for column in ("guard", "from", "acts on", "families", "what it does"):
            table.add_column(column)
        for g in found:
            table.add_row(g.name, g.origin, g.side, ", ".join(g.families) or "all", g.summary)
        Console(width=160).print(table)
    for broken in guards.BROKEN:
        typer.echo(f"museslang: error: the guard {broken} cannot be used", err=True)
    if guards.BROKEN:
        raise typer.Exit(1)
