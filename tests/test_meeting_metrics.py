"""Meeting metrics on hand-built episodes and results."""

from __future__ import annotations

import pytest

from museslang.compiler import compile_path
from museslang.ir.results import ActionRecord
from museslang.metrics.registry import METRICS
from museslang.metrics.scoring import missing_metrics, score
from tests.conftest import GOLDEN, result_with


@pytest.fixture(scope="module")
def standup():
    result = compile_path(GOLDEN / "compiled" / "standup.muses")
    return result.compiled.episodes[0]


def finalize(slot: str, attendees: list[str], ok: bool = True) -> ActionRecord:
    return ActionRecord(
        turn=1, name="finalize_meeting", args={"slot": slot, "attendees": attendees}, ok=ok
    )


def test_standup_truth_is_what_the_metrics_use(standup) -> None:
    t = standup.truth.meeting
    by = {p.id: p for p in standup.participants}
    assert t.required and t.best_slots
    assert all(t.best_slots[0] in (by[r].preferred + by[r].secondary) for r in t.required)


def test_best_slot_with_everyone_scores_perfectly(standup) -> None:
    t = standup.truth.meeting
    everyone = [p.id for p in standup.participants]
    m = score(standup, result_with(standup, finalize(t.best_slots[0], everyone)))
    assert m["success"] == m["optimality"] == m["attendance_required"] == 1.0
    assert m["utility"] == pytest.approx(t.best_score / t.max_score)
    assert m["turns"] == 1.0 and m["turn_ratio"] == 1.0 / t.lower_bound_turns


def test_slot_text_is_normalised(standup) -> None:
    t = standup.truth.meeting
    day, clock = t.best_slots[0].split()
    long_day = {
        "Mon": "Monday",
        "Tue": "Tuesday",
        "Wed": "Wednesday",
        "Thu": "Thursday",
        "Fri": "Friday",
    }[day]
    hour, minute = clock.split(":")
    written = f"{long_day} {int(hour):02d}:{minute}"
    everyone = [p.id.upper() for p in standup.participants]
    m = score(standup, result_with(standup, finalize(written, everyone)))
    assert m["success"] == 1.0


def test_missing_required_attendee_fails(standup) -> None:
    t = standup.truth.meeting
    others = [p.id for p in standup.participants if p.id != t.required[0]]
    m = score(standup, result_with(standup, finalize(t.best_slots[0], others)))
    assert m["success"] == 0.0 and m["optimality"] == 0.0
    assert m["attendance_required"] < 1.0


def test_unavailable_slot_fails_and_no_finalise_scores_zero(standup) -> None:
    bad = next(
        s for s in standup.truth.meeting.calendar if s not in standup.truth.meeting.feasible_slots
    )
    m = score(standup, result_with(standup, finalize(bad, [p.id for p in standup.participants])))
    assert m["success"] == 0.0
    none = score(standup, result_with(standup, turns=10))
    assert none["success"] == none["utility"] == none["attendance"] == 0.0
    assert none["turn_ratio"] is None


def test_rejected_actions_do_not_count(standup) -> None:
    t = standup.truth.meeting
    m = score(standup, result_with(standup, finalize(t.best_slots[0], t.required, ok=False)))
    assert m["success"] == 0.0


def test_every_meeting_metric_is_registered(meeting_spec) -> None:
    assert missing_metrics(meeting_spec.episodes) == []
    assert {
        "success",
        "attendance",
        "utility",
        "optimality",
        "turns",
        "turn_ratio",
        "prefix_reuse",
    } <= {METRICS.get(k).name for k in METRICS.names() if k.startswith(("meeting:", "*:"))}
