"""A reference player that asks first and acts once the users replied (`on: reply`,
`ask:`): its first turn sends what it asks, its second makes its calls, and the
conversation conditions see that order (`before(all spoke, called(give))`)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import check_path, compile_path

SPEC = Path(__file__).resolve().parent / "fixtures" / "written" / "desks_ask_first.muses"


def _run(tmp_path: Path, agent: str) -> dict:
    out = tmp_path / agent
    got = CliRunner().invoke(app, ["eval", str(SPEC), "--agent", f"reference:{agent}",
                                   "--no-progress", "--out", str(out)])  # fmt: skip
    assert got.exit_code == 0, got.output
    return json.loads((out / "results.jsonl").read_text().splitlines()[0])


def test_the_oracle_asks_on_its_first_turn_and_acts_on_its_second(tmp_path: Path) -> None:
    r = _run(tmp_path, "oracle")
    asked = [m for m in r["transcript"] if m["sender"] == "agent"]
    assert [(m["turn"], m["text"]) for m in asked] == [
        (1, "Ana, which desk would you like?"),
        (1, "Ben, which desk would you like?"),
    ]
    assert [(a["turn"], a["name"]) for a in r["actions"] if a["name"] == "give"] == [
        (2, "give"),
        (2, "give"),
    ]
    assert r["metrics"]["success"] == 1.0 and r["metrics"]["asked_first"] == 1.0


def test_a_player_that_does_not_ask_is_caught_by_the_condition(tmp_path: Path) -> None:
    r = _run(tmp_path, "comply")
    assert r["metrics"]["asked_first"] == 0.0  # it gave desks before anyone spoke


def test_the_compiled_oracle_scores_with_what_it_asked() -> None:
    result = compile_path(SPEC)
    assert result.ok and result.compiled is not None
    (fam,) = result.compiled.families
    oracle = next(p for p in fam.plays if p.name == "oracle")
    assert oracle.on == "reply" and oracle.ask and "ask:oracle" in fam.at
    comply = next(p for p in fam.plays if p.name == "comply")
    assert set(comply.model_dump(mode="json")) == {"name", "calls", "search", "tell"}
    # the compiled plan holds what the oracle asks and calls, not the users' replies: a
    # condition on who spoke is judged when the episode is played (above)
    assert result.compiled.episodes[0].truth.authored.ideal_scores["served"] == 1.0


def test_ask_needs_on_reply_and_on_reply_needs_two_turns(tmp_path: Path) -> None:
    text = SPEC.read_text(encoding="utf-8")
    no_on = tmp_path / "no_on.muses"
    no_on.write_text(text.replace("    on: reply\n", ""), encoding="utf-8")
    got = [d.message for d in check_path(no_on).diagnostics.errors]
    assert got == ["play oracle: `ask:` is sent by a play that waits for replies"]
    short = tmp_path / "short.muses"
    short.write_text(text.replace("max_turns: 4", "max_turns: 1"), encoding="utf-8")
    got = [d.message for d in check_path(short).diagnostics.errors]
    assert got == ["play oracle acts on its second turn, and the family's episodes have 1"]


def test_the_episode_view_says_when_a_condition_over_the_conversation_failed(
    tmp_path: Path,
) -> None:
    _run(tmp_path, "comply")
    shown = CliRunner().invoke(app, ["show", str(tmp_path / "comply"), "office"])
    assert shown.exit_code == 0, shown.output
    assert (
        "goal asked_first does not hold: called(give) held on turn 1, before "
        "all(u in users: spoke(u)) did" in shown.output
    )
