"""This family's part of a compiled episode's ground truth (`truth.queue`)."""

from __future__ import annotations

from pydantic import Field

from museslang.ir.models import IRModel


class QueueDecision(IRModel):
    id: str
    reason: str


class QueueTruth(IRModel):
    accepted: list[str] = Field(description="orders an ideal orchestrator accepts")
    rejected: list[QueueDecision] = Field(description="orders it rejects, with the reason")
