"""The commands that read a spec: check, fmt, compile, graph, and the language server
editors talk to."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from museslang.cli.options import Seed, SweepSeed
from museslang.cli.shared import (
    _CACHED,
    _compile_or_exit,
    _emit,
    _fail,
    _load_episodes,
    _spec_file,
    _write_atomic,
)

if TYPE_CHECKING:
    from museslang.compiler import CompileResult


def check(
    files: Annotated[list[Path], typer.Argument(help="One or more .muses files.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    oracle_gate: Annotated[
        bool,
        typer.Option(
            "--oracle-gate/--no-oracle-gate",
            help="Also play every episode with the reference oracle; an episode it cannot "
            "pass is an error.",
        ),
    ] = True,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="A generated episode drawn again (its first draw was one the oracle could "
            "not pass) is an error, not a count.",
        ),
    ] = False,
    audit: Annotated[
        bool,
        typer.Option(
            "--audit",
            help="Run the mutation audit on every episode (not a sample) and print each "
            "family's mutation score.",
        ),
    ] = False,
) -> None:
    """Check specs for errors; exit 0 when clean (warnings allowed), 1 on errors.

    The oracle gate compiles every episode and plays it offline with the reference
    oracle and scripted users: a spec no agent could pass never reaches a model run.
    Episodes drawn again are counted per scenario and cell; a scenario that keeps few of
    its draws is a warning (W009). The mutation audit damages the oracle's play the ways
    the family's actions allow and scores it again: a damaged play that still succeeds is
    an error (E062). It runs on a sample (every episode of a family written in museslang,
    one per scenario of the others); `--audit` runs it on every episode.
    """
    failed = False
    if audit and not oracle_gate:
        raise _fail("--audit needs the oracle gate (drop --no-oracle-gate)")
    mode = f"{oracle_gate}{'-strict' * strict}{'-audit' * audit}"
    for path in files:
        _spec_file(path)
        failed = _check_one(path, mode, oracle_gate, strict, audit, quiet) or failed
    raise typer.Exit(1 if failed else 0)


def _check_one(
    path: Path, mode: str, oracle_gate: bool, strict: bool, audit: bool, quiet: bool
) -> bool:
    """Check one spec and print what `check` says of it; True when it has errors. A clean
    result is kept (`compile_cache`) and said again while nothing it read changes."""
    from museslang import compile_cache

    passed = compile_cache.passed_check(path, mode) if oracle_gate else None
    if passed is not None:  # clean before, and nothing it read has changed
        if not quiet:
            typer.echo("\n".join(part for part in passed if part), err=True)
        return False
    from museslang.compiler import check_path, compile_path
    from museslang.diagnostics import render_all
    from museslang.lower.mixtures import lines as mixture_lines
    from museslang.lower.redraws import lines as redraw_lines
    from museslang.lower.targets import lines as target_lines

    result = compile_path(path, strict=strict) if oracle_gate else check_path(path)
    gated, scores = _gate(result, audit) if oracle_gate else ("", [])
    shown = [d for d in result.diagnostics.sorted() if d.is_error or not quiet]
    if shown:
        typer.echo(render_all(shown, result.sources), err=True)
    audited = ["mutation audit:", *(f"  {f.line()}" for f in scores)] if scores else []
    if result.diagnostics.has_errors:
        if audited:
            typer.echo("\n".join(audited), err=True)
        return True
    n = len(result.checked.scenarios) if result.checked else 0
    line = f"{path}: ok ({n} scenario{'s' if n != 1 else ''}{gated})"
    if result.compiled is not None:
        episodes = result.compiled.episodes
        line = "\n".join([line, *mixture_lines(episodes), *target_lines(episodes),
                          *redraw_lines(episodes), *audited])  # fmt: skip
    if not quiet:
        typer.echo(line, err=True)
    if oracle_gate and result.compiled is not None:
        warnings = render_all(result.diagnostics.sorted(), result.sources)
        compile_cache.store_check(path, mode, compile_cache.made_from(result),
                                  result.compiled.spec_sha256, warnings, line)  # fmt: skip
    return False


def _gate(result: CompileResult, audit: bool) -> tuple[str, list]:
    """The oracle gate (and with `audit`, every episode's mutation audit) on a compiled
    spec: what the ok line adds, and the audit's scores. Its findings join the result's
    diagnostics."""
    from museslang.gate import gate as run_gate

    if result.compiled is None:
        return "", []
    before = len(result.diagnostics.warnings)
    report = run_gate(result, "all" if audit else "sample")
    scores = list((report.audit or {}).values()) if audit else []
    n = len(result.compiled.episodes)
    soft = sum(d.code == "W006" for d in result.diagnostics.warnings[before:])
    gated = f"; the oracle passes all {n} episode{'s' if n != 1 else ''}"
    if soft:
        gated = (f"; the oracle passes every episode but those of the {soft} "
                 "W006 warning" + ("s" if soft != 1 else ""))  # fmt: skip
    return gated, scores


def fmt(
    files: Annotated[list[Path], typer.Argument(help="The .muses files to format in place.")],
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 when a file is not formatted."),
    ] = False,
) -> None:
    """Rewrite specs in the canonical layout, comments kept; the meaning never changes.

    A file with syntax errors is reported and left as it is.
    """
    from museslang.diagnostics import Diagnostics, render_all
    from museslang.fmt import FormatError, format_source
    from museslang.source import SourceFile, decode_source, display_path

    failed = changed = 0
    for path in files:
        _spec_file(path)
        text = decode_source(path.read_bytes())
        src = SourceFile(path, display_path(path), text)
        diags = Diagnostics()
        try:
            formatted = format_source(src, diags)
        except FormatError as exc:
            typer.echo(f"museslang: error: {exc}", err=True)
            failed += 1
            continue
        if formatted is None:
            typer.echo(render_all(diags.sorted(), {src.display: src}), err=True)
            failed += 1
            continue
        if formatted == text:
            continue
        changed += 1
        if check_only:
            typer.echo(f"{path}: would be reformatted", err=True)
        else:
            _write_atomic(path, formatted)
            typer.echo(f"{path}: reformatted", err=True)
    verb = "would be reformatted" if check_only else "reformatted"
    typer.echo(
        f"{changed} of {len(files)} file{'s' if len(files) != 1 else ''} {verb}"
        + (f", {failed} not formatted" if failed else ""),
        err=True,
    )
    raise typer.Exit(1 if failed or (check_only and changed) else 0)


def compile_cmd(
    file: Annotated[Path, typer.Argument(help="The .muses file to compile.")],
    seed: SweepSeed = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the JSON here instead of stdout.")
    ] = None,
) -> None:
    """Compile a spec into episode graphs (JSON): one per sweep cell and sample."""
    from museslang.compiler import to_json

    _spec_file(file)
    t0 = time.perf_counter()
    compiled = _compile_or_exit(file, seed)
    _emit(to_json(compiled), out)
    episodes = compiled.episodes
    users = sum(len(e.participants) for e in episodes)
    wall = time.perf_counter() - t0
    dest = f" -> {out}" if out else ""
    how = " (from the cache: nothing it was compiled from changed)" if _CACHED["hit"] else ""
    typer.echo(
        f"compiled {len(episodes)} episode{'s' if len(episodes) != 1 else ''} "
        f"({users} users) from {file} in {wall:.2f} s{how}{dest}",
        err=True,
    )
    from museslang.lower.mixtures import lines as mixture_lines
    from museslang.lower.redraws import lines as redraw_lines
    from museslang.lower.targets import lines as target_lines

    for line in [*mixture_lines(episodes), *target_lines(episodes), *redraw_lines(episodes)]:
        typer.echo(line, err=True)


def graph(
    file: Annotated[Path, typer.Argument(help="A .muses spec, or its compiled .json.")],
    episode: Annotated[
        str | None, typer.Option(help="The episode id (default: the first episode).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="mermaid or dot.")] = "mermaid",
    seed: Seed = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the graph here instead of stdout.")
    ] = None,
) -> None:
    """Draw an episode: its protocol (states, who acts, endings) and who may read what."""
    from museslang.diagnostics import did_you_mean
    from museslang.graph import FORMATS as GRAPH_FORMATS
    from museslang.graph import render_graphs

    if fmt not in GRAPH_FORMATS:
        hint = did_you_mean(fmt, GRAPH_FORMATS)
        raise _fail(f"unknown --format '{fmt}'{'; ' + hint if hint else ''} (mermaid or dot)")
    compiled = _load_episodes(file, seed)
    if not compiled.episodes:
        raise _fail(f"{file} has no episodes")
    chosen = compiled.episodes[0]
    if episode is not None:
        by_id = {e.id: e for e in compiled.episodes}
        if episode not in by_id:
            hint = did_you_mean(episode, list(by_id))
            raise _fail(f"no episode '{episode}' in {file}{'; ' + hint if hint else ''}")
        chosen = by_id[episode]
    _emit(render_graphs(chosen, fmt), out)


def lsp_cmd() -> None:
    """Run the language server over stdio (for editors: docs/editors.md).

    Needs the [lsp] extra (pip install 'museslang[lsp]')."""
    try:
        from museslang.lsp.server import serve
    except ImportError as exc:
        need = f"museslang lsp needs pygls: pip install 'museslang[lsp]' ({exc.name})"
        raise _fail(need) from None
    serve()
