"""This family's part of a compiled episode's ground truth (`truth.constraints`)."""

from __future__ import annotations

from pydantic import Field

from museslang.ir.models import IRModel


class ConstraintTruth(IRModel):
    user: str = Field(description="who stated it")
    index: int = Field(description="its position in the user's constraints")
    id: str = Field(description="instruction id")
    binding: bool = Field(description="must hold in the answer")
    overridden_by: str | None = Field(
        default=None, description="'User#index' of the higher-authority constraint it contradicts"
    )


Constraints = list[ConstraintTruth]
