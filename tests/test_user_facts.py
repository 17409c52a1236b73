"""Facts that name a user (`type: user`): a user's drawn from the users drawn before it
(`earlier`), the scenario's from the episode's users, a written one checked against the
scenario's users. Stored as the user's name, read as that user (`u.buddy.id`,
`host.authority`), and told by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from museslang.authored import outcome
from museslang.compiler import check_path, compile_path
from museslang.expr.evaluate import UserV
from tests.conftest import result_with

SPEC = Path(__file__).resolve().parent / "fixtures" / "written" / "buddies.muses"


def _compiled():
    result = compile_path(SPEC)
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.compiled is not None
    return result.compiled


def test_a_user_fact_holds_a_users_name_and_reads_as_that_user() -> None:
    compiled = _compiled()
    (fam,) = compiled.families
    assert {f.name: (f.of, f.type) for f in fam.facts} == {
        "buddy": ("user", "user"),
        "host": ("scenario", "user"),
    }
    drawn = [e for e in compiled.episodes if e.scenario == "office_team"]
    assert len(drawn) == 2
    for episode in drawn:
        ids = [p.id for p in episode.participants]
        # each user's buddy is the user drawn just before (the first has none)
        assert [p.facts["buddy"] for p in episode.participants] == [None, *ids[:-1]]
        assert episode.truth.authored is not None
        assert episode.truth.authored.facts["host"] in ids
        w = outcome.world(fam, episode)
        second = w.users[1]
        assert isinstance(second.facts["buddy"], UserV) and second.facts["buddy"] is w.users[0]
        assert isinstance(w.facts["host"], UserV)
    written = next(e for e in compiled.episodes if e.scenario == "written")
    assert [p.facts["buddy"] for p in written.participants] == ["Ben", "Ana"]


def test_the_goal_reads_the_named_user_and_a_wrong_buddy_fails_it() -> None:
    compiled = _compiled()
    (fam,) = compiled.families
    written = next(e for e in compiled.episodes if e.scenario == "written")
    from museslang.ir.results import ActionRecord

    def pairs(*who: tuple[str, str]) -> list[ActionRecord]:
        return [ActionRecord(turn=1, name="pair", args={"newcomer": a, "buddy": b})
                for a, b in who]  # fmt: skip

    right = pairs(("Ana", "Ben"), ("Ben", "Ana"))
    wrong = pairs(("Ana", "Ana"), ("Ben", "Ana"))
    score = lambda calls: outcome.scores(  # noqa: E731
        fam, outcome.played(fam, written, result_with(written, *calls))
    )
    assert score(right)["paired"] == 1.0
    assert score(wrong)["paired"] == 0.5


def _errors(tmp_path: Path, old: str, new: str) -> list[str]:
    text = SPEC.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "s.muses"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return [f"{d.code} {d.message}" for d in check_path(path).diagnostics.errors]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('buddy: "Ana"', 'buddy: "Ann"', "E073 fact 'buddy' names 'Ann', which is no user"),
        ('buddy: "Ana"', "buddy: 3", "E073 fact 'buddy' must be the name of one of the scenario"),
        ('draw: "default(earlier[-1], none)"', "draw: \"'Ana'\"",
         "E071 the draw of 'buddy' must be a user, not a text"),
        ("fact host { of: scenario", "fact host { of: option",
         "E072 an option's fact 'host' cannot name a user"),
    ],
)  # fmt: skip
def test_mistakes_in_user_facts(tmp_path: Path, old: str, new: str, message: str) -> None:
    got = _errors(tmp_path, old, new)
    assert any(g.startswith(message) for g in got), got
