"""`museslang report`: Markdown and one self-contained HTML file with plots, from run dirs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app

runner = CliRunner()
SPECS = ["meeting", "access_control", "shared_queue", "instruction_following"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("runs")
    out = []
    for agent in ("oracle", "comply"):
        for spec in SPECS:
            run = base / f"{agent}-{spec}"
            result = runner.invoke(app, ["eval", f"specs/{spec}.muses", "--agent",
                                         f"reference:{agent}", "--out", str(run),
                                         "--no-progress"])  # fmt: skip
            assert result.exit_code == 0, result.output
            out.append(run)
    return out


def test_the_report_has_every_figure_with_plots_and_no_outside_resource(
    runs: list[Path], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["report", *map(str, runs), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    # its own script is inline; it loads nothing from outside, and links only within itself
    for outside in ("<script src", "<link", "src=", "@import", "url(", "fetch("):
        assert outside not in html, outside
    assert "https://" not in html and set(re.findall(r'href="(.)', html)) == {"#"}
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    # privacy/utility, leaks by turn (one per agent), meeting success and turns, queue,
    # instruction modes, priority stability
    assert len(svgs) == 8
    for chart in svgs:
        ET.fromstring(chart)  # well-formed SVG
    for title in ("privacy vs utility", "leak rate by turn", "success vs users",
                  "agent turns vs users", "Shared queue: accuracy vs users",
                  "aligned vs conflict", "Priority stability"):  # fmt: skip
        assert title in html, title
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "| reference:oracle | **1.000 ± 0.000** |" in md
    rows = dict(
        re.findall(r"\| (reference:\w+) \| ([0-9.]+ ± [0-9.]+) \| [0-9.]+ ± [0-9.]+ \| 216 \|", md)
    )
    assert rows == {"reference:oracle": "1.000 ± 0.000", "reference:comply": "0.000 ± 0.000"}


def test_a_single_run_reports_into_its_own_folder_and_eval_says_where(runs: list[Path]) -> None:
    meeting = runs[0]
    assert (meeting / "report.html").exists()  # eval wrote it
    result = runner.invoke(app, ["report", str(meeting)])
    assert result.exit_code == 0 and f"report: {meeting / 'report.html'}" in result.output
    md = (meeting / "report.md").read_text(encoding="utf-8")
    assert "No run covers" not in md and "Access control" not in md  # no section for it
    assert "| users | reference:oracle |" in md


def test_report_arguments(tmp_path: Path) -> None:
    bad = runner.invoke(app, ["report", str(tmp_path)])
    assert bad.exit_code == 2 and f"{tmp_path} is not a run directory (no run.json)" in bad.output


def test_trials_add_a_pass_k_figure(tmp_path: Path) -> None:
    run = tmp_path / "t"
    result = runner.invoke(app, ["eval", "specs/meeting.muses", "--agent", "reference:comply",
                                 "--trials", "3", "--limit", "12", "--out", str(run),
                                 "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    md = (run / "report.md").read_text(encoding="utf-8")
    assert "| agent | family | k=1 | k=2 | k=3 |" in md
    assert "| reference:comply | meeting scheduling |" in md
    assert "pass^k" in (run / "report.html").read_text(encoding="utf-8")


STANDUP = """scenario standup {
  family: meeting
  user Ana { prefers: [Tue 9:30] }
  user Ben { prefers: [Tue 9:30, Wed 10:00] }
  user Cy { attendance: optional  prefers: [Tue 9:30] }
}
"""


def _eval(spec: Path, out: Path, *extra: str) -> Path:
    done = runner.invoke(app, ["eval", str(spec), "--out", str(out), "--no-progress", *extra])
    assert done.exit_code == 0, done.output
    return out


def test_a_run_without_a_users_sweep_gets_its_family_figures(tmp_path: Path) -> None:
    """Issue 16.9: a hand-written meeting had "No run covers meeting scheduling"."""
    spec = tmp_path / "standup.muses"
    spec.write_text(STANDUP, encoding="utf-8")
    run = _eval(spec, tmp_path / "r")
    text = (run / "report.md").read_text(encoding="utf-8")
    success = text.split("## Meeting scheduling: success vs users")[1].split("##")[0]
    assert "No run covers" not in success and "| 3 | 1.000 |" in success


def test_two_specs_of_one_family_are_two_rows(tmp_path: Path) -> None:
    spec = tmp_path / "standup.muses"
    spec.write_text(STANDUP, encoding="utf-8")
    mine = _eval(spec, tmp_path / "mine")
    shipped = _eval(Path("specs/meeting.muses"), tmp_path / "shipped", "--limit", "6")
    queue = _eval(Path("specs/shared_queue.muses"), tmp_path / "queue", "--limit", "6")
    table = runner.invoke(app, ["table", str(mine), str(shipped), str(queue)])
    assert table.exit_code == 0, table.output
    rows = [line for line in table.output.splitlines() if line.startswith("| reference")]
    assert [r.split(" |")[0] for r in rows] == [
        "| reference:oracle (standup, shared_queue)",
        "| reference:oracle (meeting)",
    ]
    assert "one per agent and benchmark" in table.output
    # one spec per family: one row, as the paper prints it
    single = runner.invoke(app, ["table", str(shipped), str(queue)])
    assert [line.split(" |")[0] for line in single.output.splitlines()
            if line.startswith("| reference")] == ["| reference:oracle"]  # fmt: skip
    assert "one per agent and benchmark" not in single.output
    report = runner.invoke(app, ["report", str(mine), str(shipped), "-o", str(tmp_path / "rep")])
    assert report.exit_code == 0, report.output
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "| users | reference:oracle (standup) | reference:oracle (meeting) |" in md
