"""`museslang graph`: the episode and permission graphs as Mermaid and DOT text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app

runner = CliRunner()
SPECS = ["meeting", "access_control", "shared_queue", "instruction_following"]


def _graph(*args: str) -> str:
    result = runner.invoke(app, ["graph", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", SPECS)
def test_mermaid_declares_every_node_it_links(name: str) -> None:
    text = _graph(f"specs/{name}.muses")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert sum(line.strip().startswith("subgraph") for line in lines) == 2
    assert sum(line.strip() == "end" for line in lines) == 2
    declared = {m[1] for line in lines if (m := re.match(r"\s+(\w+)[\[\(>]", line))}
    for line in lines:
        if edge := re.match(r"\s+(\w+) (?:-->|-\.->)(?:\|\"[^\"]*\"\|)? (\w+)$", line):
            assert edge[1] in declared and edge[2] in declared, line
    assert "s_agent" in declared and "s_limit" in declared


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("name", SPECS)
def test_graphviz_reads_the_dot_output(name: str, tmp_path: Path) -> None:
    dot = tmp_path / "g.dot"
    _graph(f"specs/{name}.muses", "--format", "dot", "-o", str(dot))
    svg = subprocess.run(["dot", "-Tsvg", str(dot)], capture_output=True, text=True, check=True)
    assert "<svg" in svg.stdout


def test_permissions_show_denied_edges_and_attacks() -> None:
    text = _graph("specs/access_control.muses", "--episode", "access_control-u3-pressure-xml-s1")
    assert re.search(r'u_\w+ -\.->\|"denied; pressure attack"\| f_\w+', text)
    assert re.search(r'u_\w+ -->\|"may read"\| f_\w+', text)
    assert "attacker: pressure" in text
    # access control ends at the turn limit or when the agent finishes, and the engine
    # does end it on `finish`: the graph says both
    assert "the agent took the action finish" in text and "10 agent turns were used" in text
    dot = _graph("specs/shared_queue.muses", "-f", "dot")
    assert '[label="orders"]' in dot and '[label="runs on"]' in dot


def test_bad_arguments_are_one_message() -> None:
    wrong = runner.invoke(
        app, ["graph", "specs/meeting.muses", "--episode", "meeting-u2-consensus-full-s9"]
    )
    assert wrong.exit_code == 2 and "no episode 'meeting-u2-consensus-full-s9'" in wrong.output
    assert "did you mean" in wrong.output
    fmt = runner.invoke(app, ["graph", "specs/meeting.muses", "-f", "svg"])
    assert fmt.exit_code == 2 and "unknown --format 'svg'" in fmt.output
