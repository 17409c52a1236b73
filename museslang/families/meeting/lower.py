"""Lowering meeting scenarios: the ground truth (feasible and best slots) and generated
attendees with slots drawn for the sweep cell's difficulty (museslang.lower.episodes)."""

from __future__ import annotations

from typing import Any

from museslang.families.meeting import ground
from museslang.families.meeting import truth as meeting
from museslang.families.meeting.population import assign_meeting
from museslang.ir import models as ir
from museslang.lower.episodes import Drawn, Lowered, participant
from museslang.semantics.calendar import scenario_calendar


def _truth_of(slots, participants: list[ir.Participant]) -> ground.MeetingTruth:
    by_text = {str(s): s for s in slots}
    attendees = [
        meeting.Attendee(
            p.id,
            p.attendance == "required",
            frozenset(by_text[s] for s in p.preferred if s in by_text),
            frozenset(by_text[s] for s in p.secondary if s in by_text),
            frozenset(
                by_text[s]
                for s in meeting.stated_up_front(p.preferred, p.opening, p.disclosure)
                if s in by_text
            ),
        )
        for p in participants
    ]
    t = meeting.meeting_truth(slots, attendees)
    return ground.MeetingTruth(
        calendar=[str(s) for s in slots],
        required=[a.id for a in attendees if a.required],
        optional=[a.id for a in attendees if not a.required],
        feasible_slots=[str(s) for s in t.feasible],
        best_slots=[str(s) for s in t.best],
        best_score=t.best_score,
        max_score=t.max_score,
        difficulty=meeting.classify(slots, attendees),
        lower_bound_turns=t.lower_bound_turns,
    )


def truth(lowered: Lowered) -> dict[str, Any]:
    """Its ground truth (`Family.truth`): the calendar, the feasible and best slots."""
    return {"meeting": _truth_of(lowered.slots, lowered.participants)}


def population(drawn: Drawn) -> tuple[list[ir.Participant], list[ir.Order]]:
    """Its generated users (`Family.population`): attendees with slots drawn for the
    cell's difficulty."""
    sc, pop = drawn.scenario, drawn.scenario.population
    assert pop is not None
    difficulty = drawn.planned.cell.get("difficulty", "consensus")
    assign_meeting(drawn.rng, drawn.people, pop, scenario_calendar(sc), difficulty)
    src = drawn.lc.source_of(pop.head)
    out = []
    for p in drawn.people:
        status = "required" if p.required else "optional"
        out.append(participant(
            p, drawn.disclosure, src, stubborn=p.stubborn,
            behaviours=["proactive" if p.proactive else "passive",
                        "stubborn" if p.stubborn else "flexible"],
            goal=f"Meet with the team at a time you can make ({status} attendee).",
        ))  # fmt: skip
    return out, []
