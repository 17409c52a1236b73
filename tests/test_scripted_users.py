"""Scripted meeting users: openings, availability, backups, stubbornness."""

from __future__ import annotations

from museslang.families.meeting.users import ScriptedMeetingUser
from museslang.ir.models import Participant
from museslang.ir.results import Message


def user(**kw) -> ScriptedMeetingUser:
    base = dict(
        id="Ana",
        preferred=["Mon 9:00", "Tue 10:00", "Wed 11:00", "Thu 13:00"],
        secondary=["Fri 14:00"],
    )
    return ScriptedMeetingUser(Participant(**(base | kw)), seed=7)


def said(u: ScriptedMeetingUser, text: str, turn: int = 1) -> str:
    return u.reply(turn, [Message(turn=turn, sender="agent", to=["Ana"], text=text)])


def test_passive_users_wait() -> None:
    assert user(opening="passive").opening() is None


def test_full_disclosure_states_every_preferred_slot() -> None:
    text = user(disclosure="full").opening()
    assert all(s in text for s in ["Mon 9:00", "Tue 10:00", "Wed 11:00", "Thu 13:00"])
    assert "Fri 14:00" not in text


def test_partial_disclosure_states_some_then_the_rest_when_asked() -> None:
    u = user(disclosure="partial")
    first = u.opening()
    assert "Mon 9:00" in first and "Thu 13:00" not in first
    later = said(u, "When are you available this week?")
    assert "Thu 13:00" in later


def test_stubborn_users_refuse_backups_until_asked() -> None:
    u = user(stubborn=True)
    u.opening()
    assert "rather not" in said(u, "Does Fri 14:00 work?") or "not good" in said(
        u, "Does Fri 14:00 work?", 2
    )
    reveal = said(u, "Do you have any backup slots?", 3)
    assert "Fri 14:00" in reveal
    assert "can" in said(u, "Could you do Fri 14:00?", 4).lower()


def test_flexible_users_accept_backups_and_decline_other_slots() -> None:
    u = user(stubborn=False)
    assert "Fri 14:00" in said(u, "How about Fri 14:00?")
    assert "can't" in said(u, "How about Mon 16:00?", 2) or "doesn't work" in said(
        u, "How about Mon 16:00?", 2
    )


def test_no_backups_is_said_plainly() -> None:
    u = user(secondary=[])
    assert "nothing beyond" in said(u, "Any alternatives?") or "anything other" in said(
        u, "Any alternatives?"
    )


def test_wording_is_deterministic_and_varied() -> None:
    a = [
        user().reply(t, [Message(turn=t, sender="agent", to=["Ana"], text="Mon 9:00?")])
        for t in range(8)
    ]
    b = [
        user().reply(t, [Message(turn=t, sender="agent", to=["Ana"], text="Mon 9:00?")])
        for t in range(8)
    ]
    assert a == b
    assert len(set(a)) > 1
