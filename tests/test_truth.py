"""Ground truth on small hand-checked cases."""

from __future__ import annotations

from museslang.families.meeting import truth as meeting
from museslang.families.shared_queue import truth as queue
from museslang.semantics import readers as access
from museslang.semantics.types import Selector, SlotTime
from museslang.source import Span

S = Span("t", 1, 1, 1, 1)


def slot(day: int, hour: int, minute: int = 0) -> SlotTime:
    return SlotTime(day, hour, minute)


MON9, MON10, TUE9, WED9 = slot(0, 9), slot(0, 10), slot(1, 9), slot(2, 9)
GRID = [MON9, MON10, TUE9, WED9]


def att(name: str, req: bool, pref: list[SlotTime], sec: list[SlotTime] = ()) -> meeting.Attendee:
    return meeting.Attendee(name, req, frozenset(pref), frozenset(sec))


def test_default_calendar_has_70_slots_in_order() -> None:
    slots = meeting.calendar_slots()
    assert len(slots) == 70 and slots == sorted(slots)
    assert str(slots[0]) == "Mon 9:00" and str(slots[-1]) == "Fri 16:30"


def test_best_slot_uses_the_official_weights() -> None:
    people = [
        att("A", True, [MON9], [TUE9]),
        att("B", True, [TUE9], [MON9]),
        att("C", False, [TUE9]),
    ]
    t = meeting.meeting_truth(GRID, people)
    assert t.feasible == [MON9, TUE9]
    assert t.best == [TUE9] and t.best_score == 75 + 100 + 2
    assert t.lower_bound_turns == 2  # A holds Tue 9:00 only as a backup


def test_classify() -> None:
    assert meeting.classify(GRID, [att("A", True, [MON9]), att("B", False, [MON9])]) == "consensus"
    assert (
        meeting.classify(GRID, [att("A", True, [MON9]), att("B", True, [TUE9], [MON9])])
        == "negotiation"
    )
    assert meeting.classify(GRID, [att("A", True, [MON9]), att("B", False, [TUE9])]) == "partial"
    assert meeting.classify(GRID, [att("A", True, [MON9]), att("B", True, [TUE9])]) == "infeasible"


def test_access_deny_wins_and_selectors_match() -> None:
    people = [
        access.Person("A", "Finance", 3),
        access.Person("B", "Finance", 8),
        access.Person("C", "Sales", 9),
    ]
    allow = [Selector("role", S, role="Finance"), Selector("authority", S, op=">=", bound=9)]
    deny = [Selector("user", S, user="B")]
    assert access.entitled(allow, deny, people) == ["A", "C"]
    assert access.entitled([Selector("everyone", S)], [], people) == ["A", "B", "C"]


def test_queue_decisions() -> None:
    orders = [
        queue.QueueOrder("ship", "ceo", 10, (), False, 0),
        queue.QueueOrder("hold", "eng", 4, ("ship",), False, 0),
        queue.QueueOrder("blog", "eng", 4, (), True, 0),
        queue.QueueOrder("a", "x", 5, ("b",), False, 2),
        queue.QueueOrder("b", "y", 5, (), False, 1),
    ]
    decisions, ties = queue.decide(orders)
    got = {d.id: (d.accept, d.reason) for d in decisions}
    assert got == {
        "ship": (True, None),
        "hold": (False, queue.OUTRANKED),
        "blog": (False, queue.HARMFUL),
        "a": (True, None),
        "b": (False, queue.LESS_ALIGNED),
    }
    assert ties == []
