"""The commands that import and export other formats: official MUSES Bench records (both
ways) and a run as an Inspect AI eval log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from museslang.cli.options import SweepSeed
from museslang.cli.shared import _emit, _fail, _load_episodes

FORMATS = ("muses-bench",)  # formats `import` and `export` speak


def _format(name: str) -> None:
    from museslang.diagnostics import did_you_mean

    if name not in FORMATS:
        hint = did_you_mean(name, FORMATS)
        raise _fail(f"unknown format '{name}'{'; ' + hint if hint else ''} (known: muses-bench)")


def _records_file(path: Path) -> Path:
    if not path.exists():
        raise _fail(f"no such file: {path}")
    if path.is_dir():
        raise _fail(f"{path} is a directory; give a .jsonl file")
    return path


def import_cmd(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="The data format: muses-bench.")],
    files: Annotated[list[Path], typer.Argument(help="Official JSONL files.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the .muses file here.")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Write one FILE.muses per input into this folder."),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="Compile what was written, export it and compare with the records."
        ),
    ] = False,
) -> None:
    """Turn official MUSES Bench records into museslang source (stdout without -o/--dir).

    Records that cannot be imported are reported with their line and field; the
    rest still import, and the exit status is 1.
    """
    from museslang.fmt import canonical
    from museslang.interop.muses_bench import import_records
    from museslang.interop.muses_bench.verify import verify_import

    _format(fmt)
    if out is not None and directory is not None:
        raise _fail("give -o or --dir, not both")
    if directory is None and len(files) > 1:
        raise _fail("several input files need --dir (one .muses per input)")
    if directory is not None:
        if directory.exists() and not directory.is_dir():
            raise _fail(f"{directory} is not a folder")
        directory.mkdir(parents=True, exist_ok=True)
    failed = False
    for path in files:
        result = import_records(_records_file(path))
        for problem in result.problems:
            typer.echo(f"museslang: {problem}", err=True)
        failed = failed or bool(result.problems)
        if not result.records:
            typer.echo(f"museslang: error: no record of {path} could be imported", err=True)
            continue
        dest = out if directory is None else directory / f"{path.stem}.muses"
        source = canonical(result.source, f"{path.stem}.muses")
        _emit(source, dest)
        kinds = ", ".join(f"{n} {f}" for f, n in result.families.most_common())
        left = f"; {len(result.problems)} left out" if result.problems else ""
        typer.echo(
            f"imported {result.records} record{'s' if result.records != 1 else ''} ({kinds}) "
            f"from {path}{' -> ' + str(dest) if dest else ''}{left}",
            err=True,
        )
        if verify:
            differences = verify_import(path, source, dest)
            for line in differences:
                typer.echo(f"museslang: round trip: {line}", err=True)
            failed = failed or bool(differences)
            if not differences:
                typer.echo("verified: the export reproduces every imported record", err=True)
    raise typer.Exit(1 if failed else 0)


def export_cmd(
    fmt: Annotated[
        str, typer.Argument(metavar="FORMAT", help="The data format: muses-bench or inspect.")
    ],
    file: Annotated[
        Path,
        typer.Argument(help="A .muses spec or its compiled .json; or a run directory."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write the JSONL here instead of stdout (a run: this folder)."
        ),
    ] = None,
    seed: SweepSeed = None,
    spec: Annotated[
        Path | None,
        typer.Option(help="A run's spec, when it is no longer where run.json says."),
    ] = None,
    lossy: Annotated[
        bool,
        typer.Option(
            "--lossy",
            help="Write the records even when the spec declares what they cannot hold "
            "(each dropped thing is still listed).",
        ),
    ] = False,
) -> None:
    """Write compiled episodes as official MUSES Bench records, one JSON line each; or a
    run as an Inspect AI eval log (FORMAT inspect: `inspect view DIR` opens it).

    A record holds what the official runner reads, as each family's adapter writes it
    (one resource and one attack per record, one disclosure mode, per-user answers, no
    scored goals). A spec that declares more fails, naming each thing export would drop;
    with --lossy it is written without them, and they are listed as warnings.

    Given a run directory, write its results as the official runner's per-record results
    and eva.json, one folder per family (OUT/<scenario>/<dataset>/<model>/), scored
    with the official definitions: the official aggregation and LaTeX table script run
    on them unchanged (docs/interop.md).
    """
    if fmt == INSPECT:
        _export_inspect(file, out, spec)
        return
    from museslang.interop.muses_bench import export_records
    from museslang.interop.muses_bench.exporter import losses, to_jsonl

    _format(fmt)
    if file.is_dir():
        _export_run(file, out, spec)
        return
    compiled = _load_episodes(file, seed)
    from museslang import family as families
    from museslang.interop.muses_bench.common import FAMILIES as OFFICIAL

    families.load("muses_bench")  # each family's interop hook registers its official layout
    other = sorted({e.family for e in compiled.episodes if e.family not in OFFICIAL})
    if other:
        raise _fail(
            f"MUSES Bench has no records of the {', '.join(other)} famil"
            f"{'ies' if len(other) > 1 else 'y'}; it has: {', '.join(OFFICIAL.names())}"
        )
    dropped = losses(compiled.episodes)
    if dropped:
        shown = [f"  {d}" for d in dropped[:MAX_LISTED]]
        if len(dropped) > MAX_LISTED:
            shown.append(f"  ... and {len(dropped) - MAX_LISTED} more")
        listing = "\n".join(shown)
        if not lossy:
            raise _fail(
                f"the official records cannot hold everything {file} declares; export "
                f"would drop:\n{listing}\n(--lossy writes them without these)",
                code=1,
            )
        typer.echo(f"museslang: warning: dropped (--lossy):\n{listing}", err=True)
    _emit(to_jsonl(export_records(compiled.episodes)), out)
    n = len(compiled.episodes)
    typer.echo(
        f"exported {n} record{'s' if n != 1 else ''} from {file}{' -> ' + str(out) if out else ''}",
        err=True,
    )


MAX_LISTED = 20  # dropped things listed by export before "and N more"


INSPECT = "inspect"  # `export inspect RUN -o DIR`: an Inspect AI eval log (export only)


def _export_inspect(run: Path, out: Path | None, spec: Path | None) -> None:
    from museslang.interop.inspect_log import write
    from museslang.run.store import StoreError, load_run
    from museslang.run_episodes import episodes_of

    if not run.is_dir():
        raise _fail(f"{run} is not a run directory: inspect exports a run written by eval")
    if out is None:
        raise _fail("an Inspect log goes into a folder: give -o DIR")
    if out.exists() and not out.is_dir():
        raise _fail(f"{out} is not a folder")
    try:
        meta, results, read = load_run(run)
    except (StoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    if read.problems:
        typer.echo(f"museslang: warning: {read.describe(run / 'results.jsonl')}; those lines "
                   "are left out", err=True)  # fmt: skip
    episodes, why = episodes_of(meta, spec)
    if why:
        typer.echo(f"museslang: warning: {why}; the log has no ground truth or system prompt "
                   "(pass --spec FILE)", err=True)  # fmt: skip
    try:
        done = write(run, meta, results, episodes, out)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from None
    typer.echo(f"inspect: {done.samples} samples, {done.scores} scores -> {done.path}\n"
               f"open it with: inspect view --log-dir {out}", err=True)  # fmt: skip


def _export_run(run: Path, out: Path | None, spec: Path | None) -> None:
    from museslang.interop.muses_bench.results import write_run
    from museslang.run.store import StoreError, load_run

    if out is None:
        raise _fail("a run is exported to a folder: give -o OUT")
    if out.exists() and not out.is_dir():
        raise _fail(f"{out} is not a folder")
    try:
        meta, results, _ = load_run(run)
    except (StoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    path = spec or Path(str(meta.get("spec", "")))
    if not path.exists():
        raise _fail(f"the run's spec {path} is not there; pass --spec FILE")
    compiled = _load_episodes(path, None if path.suffix == ".json" else int(meta.get("seed", 0)))
    if compiled.spec_sha256 != meta.get("spec_sha256"):
        raise _fail("the spec changed since this run; export needs the episodes that ran")
    episodes = {e.id: e for e in compiled.episodes}
    dataset = Path(str(meta.get("spec", run.name))).stem
    try:
        written = write_run(episodes, results, str(meta.get("agent")), dataset, out)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from None
    trials = max((r.trial for r in results), default=0) + 1
    for w in written:
        typer.echo(f"{w.family}: {w.records} records -> {w.folder}", err=True)
    if trials > 1:
        typer.echo(f"(trial 0 of {trials}: the official files hold one result per record)",
                   err=True)  # fmt: skip
    if not written:
        raise _fail(f"{run} holds no results of the four MUSES Bench families")
