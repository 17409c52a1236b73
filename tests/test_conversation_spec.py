"""The shipped `specs/conversation.muses`: its seeds compile to the official seed schema
(categories, conflicts, private-message needs, roles, backgrounds, behaviour cues), and
`generate --format muses-bench --turn-mix official` writes well-formed per-user-role
records from it; a teacher that broadcasts what it hears loses every seed that holds a
private detail to the quality filter, counted."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path
from museslang.families.conversation.quality import carries
from tests.conftest import ROOT

SPEC = ROOT / "specs" / "conversation.muses"
runner = CliRunner()
LINE = re.compile(r"^@(?P<to>[A-Za-z][\w ,]*?)(?P<private>\(private\))?: \S")


def _episodes():  # type: ignore[no-untyped-def]
    result = compile_path(SPEC)
    assert result.ok and not result.diagnostics.items, [d.message for d in result.diagnostics]
    return result.compiled.episodes


def test_the_seeds_declare_the_official_schema() -> None:
    episodes = _episodes()
    truths = [e.truth.conversation for e in episodes]
    assert all(t is not None for t in truths)
    assert len({t.category for t in truths}) >= 4
    assert {t.conflicts for t in truths} == {True, False}
    assert any(t.private_messages for t in truths) and any(t.private for t in truths)
    assert any(t.cues for t in truths)  # a disruptive participant
    for episode, truth in zip(episodes, truths, strict=True):
        assert truth.description and truth.expected_turns
        assert 2 <= len(episode.participants) <= 10
        assert all(p.role and p.persona and p.says for p in episode.participants)
        people = {p.id for p in episode.participants}
        assert set(truth.private) <= people and set(truth.cues) <= people


def _generate(tmp_path: Path, teacher: str, code: int = 0) -> tuple[Path, dict]:
    out = tmp_path / "data"
    args = ["generate", str(SPEC), "--teacher", teacher, "--format", "muses-bench",
            "--turn-mix", "official", "-o", str(out)]  # fmt: skip
    done = runner.invoke(app, args)
    assert done.exit_code == code, done.output
    return out, json.loads((out / "generate.json").read_text(encoding="utf-8"))


def test_generate_writes_per_user_role_records(tmp_path: Path) -> None:
    episodes = {e.id: e for e in _episodes()}
    out, stats = _generate(tmp_path, "reference:oracle")
    assert stats["kept"] == len(episodes) and stats["counted"] == {}
    meta = [json.loads(ln) for ln in (out / "metadata.jsonl").read_text().splitlines()]
    pairs = []
    for split in ("train.jsonl", "val.jsonl"):  # metadata.jsonl names each line's split
        rows = (out / split).read_text(encoding="utf-8").splitlines()
        names = [m["episode"] for m in meta if m["split"] == split]
        assert len(rows) == len(names)
        pairs += [(json.loads(row), name) for row, name in zip(rows, names, strict=True)]
    assert sorted(name for _, name in pairs) == sorted(episodes)
    for record, name in pairs:
        episode = episodes[name]
        people = {p.id for p in episode.participants}
        private = episode.truth.conversation.private
        assert set(record) == {"messages"}
        messages = record["messages"]
        assert all(set(m) == {"role", "content"} and isinstance(m["content"], str)
                   and m["content"].strip() for m in messages)  # fmt: skip
        roles = [m["role"] for m in messages]
        assert roles[0] == "system" and roles[-1] == "assistant" and "system" not in roles[1:]
        assert set(roles[1:]) <= {"assistant"} | {f"user_{p}" for p in people}
        assert roles[1].startswith("user_")  # the users open the conversation
        for m in messages:
            if m["role"] != "assistant":
                continue
            for ln in m["content"].splitlines():
                found = LINE.match(ln)
                assert found, ln
                to = {t.strip() for t in found["to"].split(",")}
                assert to == {"all"} or to <= people, ln
                for owner, details in private.items():
                    if to != {owner}:
                        assert not any(carries(ln, d) for d in details), ln


def test_a_broadcasting_teacher_loses_every_seed_with_a_private_detail(tmp_path: Path) -> None:
    with_private = sum(bool(e.truth.conversation.private) for e in _episodes())
    _, stats = _generate(tmp_path, "reference:comply")
    assert stats["kept"] == len(_episodes()) - with_private
    assert stats["counted"]["conversation"]["private_public"]["conversations"] == with_private


SEED = """scenario lab_rota "Sharing the microscope" {
  family: conversation
  objective: "Draw up a week's rota for one microscope that two researchers need."
  extra: { category: "scientific_research", complexity: "low", conflicts: true,
           private_messages: false, expected_turns: 4 }
  protocol { turns: addressed  max_turns: 4  prompt: "prompts/conversation.j2" }
  user Wen { role: "Postdoc"  persona: "Has a grant deadline on Friday."
             says: "I need the microscope every morning this week." }
  user Kofi { role: "PhD student"  persona: "Runs long overnight imaging."
              says: "Could I have it from Tuesday evening to Wednesday noon?" }
}
"""


def test_author_writes_conversation_seeds_shown_the_shipped_spec(tmp_path: Path) -> None:
    """With specs/conversation.muses shipped, `author --family conversation` needs no
    --example: a model's seed is checked, gated and kept like any family's."""
    script = tmp_path / "script.json"
    script.write_text(json.dumps([[f"```muses\n{SEED}```"]]), encoding="utf-8")
    out = tmp_path / "seeds"
    args = ["author", "--family", "conversation", "--model", f"scripted:{script}",
            "--out", str(out), "--count", "1", "--category", "scientific_research",
            "--rounds", "0"]  # fmt: skip
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    kept = sorted(out.glob("*.muses"))
    assert len(kept) == 1 and json.loads((out / "author.json").read_text())["kept"] == 1
    assert compile_path(kept[0]).ok
