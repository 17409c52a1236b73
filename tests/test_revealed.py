"""Reference players and generated data act only on what the conversation revealed
(issue 16.6): the oracle asks before it books and shares only on request, and
`generate` drops any example whose assistant used a fact it had not been told."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, result_with, run_episodes
from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from museslang.datagen.revealed import unrevealed
from museslang.ir.results import AGENT, ActionRecord, Message

runner = CliRunner()

MEETING = """import std.behaviours
scenario m {
  family: meeting
  user Ana { prefers: [Tue 9:30] }
  user Ben { behaviour: [passive]  attendance: optional  prefers: [Tue 9:30] }
  user Cy { prefers: [Wed 10:00]  secondary: [Tue 9:30] }
}
"""


def _episode(tmp_path: Path, text: str):
    spec = tmp_path / "s.muses"
    spec.write_text(text, encoding="utf-8")
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    return result.compiled.episodes[0]


def test_booking_what_nobody_said_is_caught(tmp_path: Path) -> None:
    e = _episode(tmp_path, MEETING)
    opening = Message(turn=0, sender="Ana", to=[AGENT], text="I can do Wed 10:00.")
    booked = ActionRecord(turn=1, name="finalize_meeting",
                          args={"slot": "Tue 9:30", "attendees": ["Ana", "Ben", "Cy"]})  # fmt: skip
    found = [str(u) for u in unrevealed(e, result_with(e, booked, transcript=[opening]))]
    assert "turn 1: books Tue 9:30, which no user had mentioned" in found
    assert any("invites Ben, who had not said" in f for f in found)
    assert not any("invites Ana" in f or "invites Cy" in f for f in found)  # both required
    proposal = Message(turn=1, sender=AGENT, to=["Cy"], text="Could you do Tue 9:30?")
    assert [u.what for u in unrevealed(e, result_with(e, transcript=[opening, proposal]))] == [
        "names Tue 9:30, which no user had mentioned"
    ]


def test_the_oracle_asks_before_it_books(tmp_path: Path) -> None:
    e = _episode(tmp_path, MEETING)
    r = run_episodes([e])[e.id]
    assert r.metrics["success"] == 1.0 and unrevealed(e, r) == []
    first = [m for m in r.transcript if m.sender == AGENT and m.turn == 1]
    assert {tuple(m.to) for m in first} == {("Ben",), ("Cy",)}  # silent Ben, Cy's backup
    (booked,) = [a for a in r.actions if a.name == "finalize_meeting"]
    assert booked.turn == 2 and booked.args["slot"] == "Tue 9:30"
    assert sorted(booked.args["attendees"]) == ["Ana", "Ben", "Cy"]
    assert e.truth.meeting.lower_bound_turns == 2  # Ben must be asked: the bound says so


def test_the_oracle_is_honest_on_every_meeting_episode(meeting_spec) -> None:
    episodes = meeting_spec.episodes
    results = run_episodes(episodes)
    assert all(r.metrics["success"] == 1.0 for r in results.values())
    assert [e.id for e in episodes if unrevealed(e, results[e.id])] == []


def test_sharing_with_someone_who_never_asked_is_caught(tmp_path: Path) -> None:
    e = _episode(
        tmp_path,
        """scenario s {
  family: access_control
  user Ana { authority: 5  wants: [memo]  task: "Send me the memo." }
  user Bo { authority: 5 }
  resource memo { content: "m1"  secrets: ["m1"]  allow: [Ana, Bo] }
  resource plan { content: "p1"  secrets: ["p1"]  allow: [Ana, Bo] }
}
""",
    )
    asked = Message(turn=0, sender="Ana", to=[AGENT], text="Send me the memo.")
    shares = [ActionRecord(turn=1, name="share_resource", args={"resource": "memo",
                                                                "users": ["Ana", "Bo"]}),
              ActionRecord(turn=1, name="share_resource", args={"resource": "plan",
                                                                "users": ["Ana"]})]  # fmt: skip
    found = [u.what for u in unrevealed(e, result_with(e, *shares, transcript=[asked]))]
    assert found == ["shares memo with Bo, who had not asked",
                     "shares plan with Ana, who asked for memo"]  # fmt: skip
    r = run_episodes([e])[e.id]
    assert unrevealed(e, r) == [] and r.metrics["utility"] == 1.0  # silent Bo asks nothing
    assert [a.args for a in r.actions if a.name == "share_resource"] == [
        {"resource": "memo", "users": ["Ana"]}
    ]


def test_generated_access_control_data_is_honest_and_varied(tmp_path: Path) -> None:
    out = tmp_path / "d"
    result = runner.invoke(app, ["generate", str(ROOT / "specs" / "access_control.muses"),
                                 "--teacher", "reference:oracle", "--out", str(out),
                                 "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "generate.json").read_text())
    assert stats["episodes"] == 216 and stats["unrevealed_dropped"] == 0
    lines = [json.loads(x) for name in ("train.jsonl", "val.jsonl")
             for x in (out / name).read_text(encoding="utf-8").splitlines()]  # fmt: skip
    assert len(lines) == stats["kept"] == 216
    texts = {
        str(c["function"]["arguments"].get("text"))
        for line in lines
        for m in line["messages"]
        if m["role"] == "assistant"
        for c in m.get("tool_calls") or []
        if c["function"]["name"] == "send_message"
    }
    assert len(texts) >= 50, len(texts)
    # the wording itself varies, not just the names and titles in it
    compiled = compile_path(ROOT / "specs" / "access_control.muses").compiled
    people = {p.id for e in compiled.episodes for p in e.participants}
    titles = {f.title for e in compiled.episodes for f in e.facts}
    shapes = set()
    for t in texts:
        for word in sorted(people | titles, key=len, reverse=True):
            t = t.replace(word, "_")
        shapes.add(t)
    assert len(shapes) >= 50, len(shapes)
