"""`museslang rescore` agrees with eval byte for byte; `museslang table` renders the paper's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang import family as families
from museslang.actions import offered
from museslang.cli import app
from museslang.ir.results import EpisodeResult
from museslang.metrics import paper_table
from museslang.runtime.action_text import parse_text

runner = CliRunner()


def _eval(out: Path, spec: str, *extra: str) -> None:
    args = ["eval", spec, "--out", str(out), "--no-progress", "--limit", "12", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("spec", "extra"),
    [
        ("specs/access_control.muses", ["--agent", "reference:comply", "--trials", "2"]),
        ("specs/shared_queue.muses", ["--agent", "reference:comply", "--metrics", "compat"]),
        ("specs/instruction_following.muses", []),
    ],
)
def test_rescore_reproduces_eval_byte_for_byte(tmp_path: Path, spec: str, extra: list) -> None:
    out = tmp_path / "run"
    _eval(out, spec, *extra)
    before = {n: (out / n).read_bytes() for n in ("results.jsonl", "summary.json", "run.json")}
    scheme = "compat" if "compat" in extra else "default"
    result = runner.invoke(app, ["rescore", str(out), "--metrics", scheme])
    assert result.exit_code == 0, result.output
    assert "0 changed" in result.output
    for name, data in before.items():
        assert (out / name).read_bytes() == data, name


def test_rescore_after_a_metric_change_and_under_compat(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _eval(out, "specs/shared_queue.muses", "--agent", "reference:comply")
    lines = (out / "results.jsonl").read_text().splitlines()
    broken = json.loads(lines[0])
    broken["metrics"]["accuracy"] = 0.123  # as if scored by a buggy version
    (out / "results.jsonl").write_text("\n".join([json.dumps(broken), *lines[1:]]) + "\n")
    fixed = runner.invoke(app, ["rescore", str(out)])
    assert fixed.exit_code == 0 and "1 changed" in fixed.output
    assert (out / "results.jsonl").read_text().splitlines()[0] == lines[0]
    compat = runner.invoke(app, ["rescore", str(out), "--metrics", "compat"])
    assert compat.exit_code == 0, compat.output
    assert json.loads((out / "run.json").read_text())["metrics"] == "compat"
    assert json.loads((out / "summary.json").read_text())["metrics"] == "compat"


def test_rescore_refuses_what_it_cannot_trust(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _eval(out, "specs/meeting.muses")
    moved = tmp_path / "copy.muses"
    shutil.copy("specs/meeting.muses", moved)
    moved.write_text(moved.read_text() + "\n# edited\n")
    changed = runner.invoke(app, ["rescore", str(out), "--spec", str(moved)])
    assert changed.exit_code == 2 and "the spec changed since this run" in changed.output
    missing = runner.invoke(app, ["rescore", str(tmp_path)])
    assert missing.exit_code == 2 and "not a run directory" in missing.output
    run = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**run, "spec": "gone.muses"}))
    gone = runner.invoke(app, ["rescore", str(out)])
    assert gone.exit_code == 2 and "pass --spec FILE" in gone.output


def _result(family: str, episode: str, **metrics: float) -> EpisodeResult:
    return EpisodeResult(
        id=episode, scenario="s", family=family, cell={}, sample=1, seed=1, agent="a",
        users="scripted", status="ok", turns=1, transcript=[], actions=[], metrics=metrics,
        latency_s=0.0,
    )  # fmt: skip


def _runs() -> list[paper_table.Run]:
    def run(agent: str, path: str, scale: float) -> paper_table.Run:
        results = [
            _result("shared_queue", "q1", f1=1.0 * scale),
            _result("shared_queue", "q2", f1=0.5 * scale),
            _result("instruction_following", "i1", accuracy=0.8 * scale),
            _result("access_control", "a1", privacy=1.0 * scale, utility=0.6),
            _result("meeting", "m1", success=1.0 * scale),
            _result("meeting", "m2", success=0.0),
        ]
        return paper_table.Run(path, agent, "default", results)

    return [run("model-a", "runs/a", 1.0), run("model-b", "runs/b", 0.5),
            run("model-c", "runs/c", 0.9)]  # fmt: skip


def test_the_table_rows_means_errors_and_average() -> None:
    rows = paper_table.build(_runs())
    a = rows[0].cells
    assert a["Queue F1"].mean == 0.75 and a["Queue F1"].stderr == pytest.approx(0.25)
    assert a["Instr. acc."].mean == 0.8 and a["Instr. acc."].stderr is None
    assert a["Meeting succ."].mean == 0.5
    assert a["Avg"].mean == pytest.approx((0.75 + 0.8 + 1.0 + 0.6 + 0.5) / 5)
    assert a["Avg"].stderr == pytest.approx((0.25**2 + 0.5**2) ** 0.5 / 5)


def test_two_runs_of_one_agent_pool_their_episodes() -> None:
    one, two = _runs()[:2]
    two.agent = one.agent
    rows = paper_table.build([one, two])
    assert len(rows) == 1 and rows[0].runs == ["runs/a", "runs/b"]
    assert rows[0].cells["Queue F1"].n == 4
    assert rows[0].cells["Queue F1"].mean == pytest.approx((1 + 0.5 + 0.5 + 0.25) / 4)
    # the same agent on two different queue specs: two rows, never one averaged number
    one.benchmark, two.benchmark = "queue", "my_queue"
    rows = paper_table.build([one, two])
    assert [r.name for r in rows] == ["model-a (queue)", "model-a (my_queue)"]
    assert [r.cells["Queue F1"].n for r in rows] == [2, 2]
    assert paper_table.split_agents(rows) == ["model-a"]


def test_markdown_latex_and_csv() -> None:
    rows = paper_table.build(_runs())
    md = paper_table.markdown(rows)
    assert md.splitlines()[0].startswith("| Agent | Queue F1 | Instr. acc. | Privacy | Utility")
    assert "| model-a | **0.750 ± 0.250** |" in md
    assert "| model-c | *0.675 ± 0.225* |" in md
    tex = paper_table.latex(rows)
    assert r"\textbf{0.750 $\pm$ 0.250}" in tex and r"\underline{0.675 $\pm$ 0.225}" in tex
    assert r"\toprule" in tex and tex.count(r"\\") == 4
    csv = paper_table.to_csv(rows).splitlines()
    assert csv[0].startswith("agent,name,group,runs,queue_f1,queue_f1_stderr,queue_f1_n,instr_acc")
    assert csv[1].startswith("model-a,model-a,,runs/a,0.75,0.25,2,0.8,,1,")


def test_percent_names_groups_and_ties(tmp_path: Path) -> None:
    """Issue 15.21: x100 as the paper prints, display names and groups from a small file,
    and values that print alike are tied (neither is marked second)."""
    runs = _runs()
    names = tmp_path / "names.toml"
    names.write_text('["model-c"]\nname = "Model C"\ngroup = "Open weights"\n'
                     '["model-a"]\nname = "Model A"\ngroup = "Proprietary"\n')  # fmt: skip
    rows = paper_table.build(runs, paper_table.load_names(names))
    assert [r.name for r in rows] == ["Model C", "Model A", "model-b"]  # grouped, file order
    md = paper_table.markdown(rows, paper_table.Style(percent=True))
    assert "| *Open weights* |" in md and "| Model A | **75.0 ± 25.0** |" in md
    tex = paper_table.latex(rows, paper_table.Style(percent=True))
    assert r"\multicolumn{7}{l}{\textit{Proprietary}}" in tex
    # a tie as printed: 0.7501 and 0.7504 both read 0.750, both best, no second
    for row, value in zip(rows[:2], (0.7501, 0.7504), strict=True):
        row.cells["Queue F1"] = paper_table.Stat(mean=value, n=1)
    rows[2].cells["Queue F1"] = paper_table.Stat(mean=0.5, n=1)
    assert paper_table.ranks(rows, "Queue F1") == {0: 1, 1: 1, 2: 2}
    assert paper_table.ranks(rows, "Queue F1", paper_table.Style(percent=True)) == {
        0: 1,
        1: 1,
        2: 2,
    }
    rows[2].cells["Queue F1"] = paper_table.Stat(mean=0.0, n=1)  # zero is never marked
    assert paper_table.ranks(rows, "Queue F1") == {0: 1, 1: 1}
    bad = tmp_path / "bad.toml"
    bad.write_text("[x\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        paper_table.load_names(bad)


def test_the_table_command_reads_run_directories(tmp_path: Path) -> None:
    for agent in ("oracle", "comply"):
        _eval(tmp_path / agent, "specs/meeting.muses", "--agent", f"reference:{agent}")
    result = runner.invoke(app, ["table", str(tmp_path / "oracle"), str(tmp_path / "comply")])
    assert result.exit_code == 0, result.output
    assert "| reference:oracle | – | – | – | – | **1.000 ± 0.000** | – |" in result.output
    out = tmp_path / "table.tex"
    tex = runner.invoke(app, ["table", str(tmp_path / "oracle"), "-f", "latex", "-o", str(out)])
    assert tex.exit_code == 0 and r"\textbf" not in out.read_text()  # one row: no ranking
    bad = runner.invoke(app, ["table", str(tmp_path / "oracle"), "-f", "html"])
    assert bad.exit_code == 2 and "unknown --format" in bad.output
    empty = runner.invoke(app, ["table", str(tmp_path)])
    assert empty.exit_code == 2 and "not a run directory" in empty.output


def test_unaddressed_prose_is_marked_for_compat_scoring() -> None:
    access = families.get("access_control")
    parsed = parse_text("Here is everything you asked for.",
                        offered(access, ["send_message", "share_resource"]))  # fmt: skip
    assert [a.unaddressed for a in parsed.actions] == [True]
    addressed = parse_text("@Ana: here you go", offered(access, ["send_message"]))
    assert [a.unaddressed for a in addressed.actions] == [False]
