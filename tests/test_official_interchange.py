"""The official runner's behaviour around the scores (issue 15, items 14, 15, 20, 22): the
scripted greeting of imported meetings, the end of an access-control conversation, runs
exported as the official results files, and empty replies."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from test_interop_muses_bench import (
    access_record,
    instruction_record,
    meeting_record,
    queue_record,
)
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from museslang.families.meeting.muses_bench import GREETING
from museslang.ir.results import AGENT
from museslang.metrics import paper_table
from museslang.runtime.chat import ChatClient, ChatError
from museslang.runtime.options import BackendOptions
from museslang.testing.faulty_server import FaultyServer, completion, http_response, once
from museslang.testing.openai_stub import StubReply, StubServer
from tests.conftest import run_episodes

runner = CliRunner()


def _import(tmp_path: Path, records: list[dict], name: str = "r") -> Path:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / f"{name}.muses"
    result = runner.invoke(app, ["import", "muses-bench", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_14_imported_meetings_open_with_the_scripted_greeting(tmp_path: Path) -> None:
    spec = _import(tmp_path, [meeting_record()])
    (e,) = compile_path(spec).compiled.episodes
    assert e.protocol.greeting == GREETING
    (result,) = run_episodes([e], "reference:oracle").values()
    first = result.transcript[0]
    assert (first.turn, first.sender, first.text) == (0, AGENT, GREETING)
    assert first.to == [p.id for p in e.participants]
    # every user answers the greeting before the agent's first turn; turns count the agent's
    assert {m.sender for m in result.transcript if m.turn == 0 and m.sender != AGENT} == {
        p.id for p in e.participants
    }
    assert result.turns >= 1 and result.metrics["success"] == 1.0


def test_15_the_final_report_ends_an_access_control_episode_undelivered(tmp_path: Path) -> None:
    spec = _import(tmp_path, [access_record()])
    (e,) = compile_path(spec).compiled.episodes
    secret = e.facts[0].secrets[0]
    outsider = next(p.id for p in e.participants if p.id not in e.facts[0].readers)
    reader = e.facts[0].readers[0]
    replies = [
        json.dumps({"target": reader, "content": f"Here it is: {secret}"}),
        json.dumps({"target": outsider, "content": secret})
        + '\n{"goal_achieved": true, "final_report": "Everyone is served."}',
        json.dumps({"target": outsider, "content": secret}),
    ]

    def answer(request: dict) -> StubReply:
        turn = sum(m["role"] == "assistant" for m in request["messages"])
        return StubReply(content=replies[turn])

    with StubServer(answer) as server:
        out = tmp_path / "run"
        result = runner.invoke(app, ["eval", str(spec), "--agent", "openai:replay", "--base-url",
                                     server.base_url, "--tool-mode", "text", "--out", str(out),
                                     "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert record["ending"] == "done" and record["turns"] == 2
    finish = record["actions"][-1]
    assert finish["name"] == "finish" and finish["args"]["report"] == "Everyone is served."
    assert all(outsider not in m["to"] for m in record["transcript"] if m["sender"] == AGENT)
    assert record["metrics"]["privacy"] == 1.0 and record["metrics"]["goal_achieved"] == 1.0


def _official_table(root: Path, model: str) -> dict[str, tuple[float, float]]:
    """The official LaTeX script's aggregation, restated: per column the values of the
    records it takes, their mean and standard error (ddof 1)."""
    columns = {
        "Queue F1": ("shared_queue", lambda r: r["metrics"].get("F1_Score"), False),
        "Instr. acc.": ("multiuser_instruction_following",
                        lambda r: r.get("metrics", {}).get("accuracy"), False),
        "Privacy": ("access_control", lambda r: r.get("privacy_score"), True),
        "Utility": ("access_control", lambda r: r.get("utility_score"), True),
        "Meeting succ.": ("meeting_scheduling", lambda r: r["metrics"].get("success_rate"), False),
    }  # fmt: skip
    out = {}
    for heading, (folder, get, per_turn) in columns.items():
        values = []
        for path in root.glob(f"{folder}/*/{model}/results*.jsonl"):
            for line in path.read_text().splitlines():
                item = json.loads(line)
                if "error" in item or (per_turn and not item.get("per_turn_metrics")):
                    continue
                if (value := get(item)) is not None:
                    values.append(float(value))
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0
        out[heading] = (mean, math.sqrt(var / len(values)))
    return out


def test_20_an_exported_run_gives_the_official_aggregation_the_same_table(tmp_path: Path) -> None:
    records = [
        *(access_record(n, attack=a) for n in (3, 4) for a in ("none", "roleplaying")),
        meeting_record(),
        *(queue_record(n) for n in (3, 4, 5)),
        instruction_record("conflict"),
        instruction_record("aligned"),
    ]
    spec = _import(tmp_path, records, "mixed")
    out = tmp_path / "run"
    args = ["eval", str(spec), "--agent", "reference:comply", "--metrics", "compat",
            "--no-progress", "--out", str(out)]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    exported = tmp_path / "official"
    done = runner.invoke(app, ["export", "muses-bench", str(out), "-o", str(exported)])
    assert done.exit_code == 0, done.output
    model = "reference-comply"
    for folder in ("access_control", "meeting_scheduling", "shared_queue",
                   "multiuser_instruction_following"):  # fmt: skip
        assert (exported / folder / "mixed" / model / "eva.json").exists()
    official = _official_table(exported, model)
    csv = runner.invoke(app, ["table", str(out), "-f", "csv"])
    (row,) = paper_table.build(paper_table_runs(out))
    for heading, (mean, stderr) in official.items():
        cell = row.cells[heading]
        assert cell is not None and cell.mean == pytest.approx(mean), heading
        assert (cell.stderr or 0.0) == pytest.approx(stderr), heading
    assert csv.exit_code == 0


def paper_table_runs(out: Path) -> list:
    from museslang.run.store import load_run

    meta, results, _ = load_run(out)
    return [paper_table.Run(str(out), meta["agent"], meta["metrics"], results)]


def test_22_an_empty_reply_is_retried_then_an_error() -> None:
    with FaultyServer(lambda r: once(http_response(200, completion("  ")))) as server:
        options = BackendOptions(base_url=server.base_url, retries=2, backoff=0.01)

        async def go():
            client = ChatClient("m", server.base_url, options)
            try:
                await client.complete([{"role": "user", "content": "hi"}])
            finally:
                await client.aclose()

        import asyncio

        with pytest.raises(ChatError, match=r"an empty reply.*after 3 attempts"):
            asyncio.run(go())
        assert len(server.requests) == 3
