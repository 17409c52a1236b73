"""Reports and the runs they read: `report()` for the API, and the pieces `eval`, `table`
and `report` share (reading run folders as the table and report read them, writing
report.md and report.html)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from museslang.api.errors import MuseslangError
from museslang.api.options import ReportOptions

Notice = Callable[[str], None]


@dataclass
class Report:
    html: Path
    markdown: Path
    warnings: list[str] = field(default_factory=list)


def write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename: an interrupted write leaves the old file intact."""
    from museslang.files import write_atomic

    path = Path(path)
    if path.is_dir():
        raise MuseslangError(f"{path} is a directory; give a file name for the output")
    if not path.parent.exists():
        raise MuseslangError(f"the folder {path.parent} does not exist")
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise MuseslangError(f"cannot write {path}: {exc.strerror}") from None


def write_report(
    loaded: list, folder: Path, truth: list | None = None, full: list | None = None
) -> tuple[Path, Path]:
    """report.md, report.html and, for a large run, the episode data beside them."""
    from museslang.report.browser import write_files
    from museslang.report.build import build
    from museslang.report.render import to_html, to_markdown

    if folder.exists() and not folder.is_dir():
        raise MuseslangError(f"{folder} is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MuseslangError(f"cannot create {folder}: {exc.strerror}") from None
    built = build(loaded, truth, full)
    md, html = folder / "report.md", folder / "report.html"
    page, data = to_html(built)
    try:
        write_files(folder, data)  # before the page that reads them
    except OSError as exc:
        raise MuseslangError(f"cannot write the episode data in {folder}: {exc.strerror}") from None
    write_text(md, to_markdown(built))
    write_text(html, page)
    return md, html


def runs(paths: Sequence[Path], truth: list | None = None, notice: Notice | None = None) -> list:
    """Run directories as the table and the report read them: each result checked against
    its run as `--resume` checks it (what fails is left out, and said through `notice`),
    and two runs that hold the same results refused. `truth` receives each run's episodes
    (`episodes_of`)."""
    from museslang.metrics.paper_table import Run
    from museslang.run.belongs import belongs, repeats, vet
    from museslang.run.store import StoreError, load_run
    from museslang.run_episodes import episodes_of

    say = notice or (lambda text: None)
    loaded, read_runs = [], []
    for path in paths:
        path = Path(path)
        try:
            meta, results, read = load_run(path)
        except (StoreError, OSError) as exc:
            raise MuseslangError(str(exc)) from None
        if read.problems or read.cut_short is not None:
            problems = read.problems + (
                [(read.cut_short_line, "cut short")] if read.cut_short is not None else []
            )
            read.problems = problems
            say(f"museslang: warning: {read.describe(path / 'results.jsonl')}; "
                "those lines are left out")  # fmt: skip
        episodes, why_not = episodes_of(meta)
        if truth is not None:
            truth.append((episodes, why_not))
        if why_not:
            say(f"museslang: warning: {path}: cannot check its results against its "
                f"spec ({why_not}); checked their agent, users and trials only")  # fmt: skip
        vetted = vet(meta, results, belongs(list(episodes.values())) if not why_not else None)
        if vetted.left_out:
            say(f"museslang: warning: {vetted.describe(str(path))}")
        if not vetted.results:
            raise MuseslangError(f"{path} holds no results of its own run")
        read_runs.append((str(path), meta, vetted.results))
        scheme = str(meta.get("metrics", "default"))
        benchmark = Path(str(meta.get("spec") or path.name)).stem
        loaded.append(Run(str(path), str(meta.get("agent")), scheme, vetted.results, benchmark,
                          str(meta.get("spec_sha256", ""))))  # fmt: skip
    twice = repeats(read_runs)
    if twice is not None:
        raise MuseslangError(twice)
    return loaded


def report(
    run_dirs: Sequence[str | Path], options: ReportOptions | None = None,
    notice: Notice | None = None,
) -> Report:  # fmt: skip
    """A Markdown report and one self-contained HTML file of one or several runs."""
    options = options or ReportOptions()
    paths = [Path(p) for p in run_dirs]
    if not paths:
        raise MuseslangError("report needs at least one run directory")
    warnings: list[str] = []

    def say(text: str) -> None:
        warnings.append(text)
        if notice is not None:
            notice(text)

    folder = options.out or (paths[0] if len(paths) == 1 else Path("report"))
    truth: list = []
    loaded = runs(paths, truth, say)
    for path, (_, why) in zip(paths, truth, strict=True):
        if why:
            say(f"museslang: warning: {path}: no ground truth in the episode view: {why}")
    md, html = write_report(loaded, folder, truth)
    return Report(html, md, warnings)
