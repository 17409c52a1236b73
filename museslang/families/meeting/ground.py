"""This family's part of a compiled episode's ground truth (`truth.meeting`)."""

from __future__ import annotations

from pydantic import Field

from museslang.ir.models import IRModel


class MeetingTruth(IRModel):
    calendar: list[str] = Field(description="every slot of the grid, in order")
    required: list[str] = Field(description="required attendees")
    optional: list[str] = Field(description="optional attendees")
    feasible_slots: list[str] = Field(description="slots every required attendee accepts")
    best_slots: list[str] = Field(description="feasible slots with the highest score")
    best_score: int = Field(description="score of a best slot")
    max_score: int = Field(description="highest score over all slots (the utility normaliser)")
    difficulty: str = Field(description="consensus | negotiation | partial | infeasible")
    lower_bound_turns: int = Field(description="fewest agent turns that can succeed")
