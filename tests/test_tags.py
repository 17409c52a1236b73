"""Tags on scenarios (`tags: [smoke, ward]`), selected with `eval --tag` and
`generate --tag`. The diagnostics are golden (tests/golden/diagnostics/e014_tags_*)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path, to_json

runner = CliRunner()

SPEC = """\
scenario standup {
  family: meeting
  tags: [smoke, "team-a"]
  user Amara { prefers: [Mon 9:00, Tue 9:00] }
  user Bo { prefers: [Mon 9:00] }
  sweep { samples: 2 }
}

scenario planning extends standup {
  tags: [nightly]
  user Bo { prefers: [Tue 9:00] }
}

scenario review {
  family: meeting
  user Chen { prefers: [Wed 9:00] }
  user Dana { prefers: [Wed 9:00] }
}
"""


def _spec(tmp_path: Path) -> Path:
    path = tmp_path / "tagged.muses"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_each_episode_carries_its_scenario_s_tags(tmp_path: Path) -> None:
    result = compile_path(_spec(tmp_path))
    assert result.compiled is not None, [d.message for d in result.diagnostics.errors]
    tags = {e.id: e.tags for e in result.compiled.episodes}
    assert tags == {
        "standup-s1": ["smoke", "team-a"], "standup-s2": ["smoke", "team-a"],
        "planning-s1": ["nightly"], "planning-s2": ["nightly"],  # a field: replaced
        "review": [],
    }  # fmt: skip
    # an untagged episode's JSON has no `tags` key: specs without tags compile as before
    episodes = json.loads(to_json(result.compiled))["episodes"]
    assert "tags" not in episodes[-1] and episodes[0]["tags"] == ["smoke", "team-a"]


def test_eval_runs_the_tagged_episodes_only(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["eval", str(_spec(tmp_path)), "--tag", "nightly", "--tag", "team-a"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    ran = [json.loads(line)["id"] for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(ran) == ["planning-s1", "planning-s2", "standup-s1", "standup-s2"]
    assert json.loads((out / "run.json").read_text())["tags"] == ["nightly", "team-a"]


def test_a_compiled_file_selects_as_its_spec(tmp_path: Path) -> None:
    compiled = tmp_path / "tagged.json"
    done = runner.invoke(app, ["compile", str(_spec(tmp_path)), "-o", str(compiled)])
    assert done.exit_code == 0, done.output
    out = tmp_path / "run"
    result = runner.invoke(app, ["eval", str(compiled), "--tag", "smoke", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2/2 episodes ok" in result.output


def test_a_tag_nothing_carries_is_one_clear_error(tmp_path: Path) -> None:
    spec = str(_spec(tmp_path))
    result = runner.invoke(app, ["eval", spec, "--tag", "smoky", "--out", str(tmp_path / "r")])
    assert result.exit_code != 0
    assert "--tag smoky: no episode is tagged 'smoky'; did you mean 'smoke'?" in result.output
    assert "(tags here: nightly, smoke, team-a)" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r" / "results.jsonl").exists()


def test_generate_takes_the_same_tags(tmp_path: Path) -> None:
    out = tmp_path / "data"
    args = ["generate", str(_spec(tmp_path)), "--teacher", "reference:oracle", "--val", "0"]
    result = runner.invoke(app, [*args, "--tag", "nightly", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "kept 2/2 episodes" in result.output
    bad = runner.invoke(app, [*args, "--tag", "weekly", "--out", str(tmp_path / "d2")])
    assert bad.exit_code != 0 and "no episode is tagged 'weekly'" in bad.output
