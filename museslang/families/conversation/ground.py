"""The conversation family's part of a compiled episode's ground truth: the seed's own
fields, and what each participant keeps private (`truth.conversation`)."""

from __future__ import annotations

from pydantic import Field

from museslang.ir.models import IRModel


class Conversation(IRModel):
    category: str = Field(default="general", description="the seed's category (it_support, ...)")
    description: str = Field(default="", description="the situation, as the seed says it")
    complexity: str = Field(default="medium", description="low, medium or high")
    conflicts: bool = Field(default=False, description="the participants want conflicting things")
    private_messages: bool = Field(
        default=False, description="the conversation needs private messages"
    )
    expected_turns: int | None = Field(default=None, description="the seed's expected turns")
    private: dict[str, list[str]] = Field(
        default_factory=dict, description="user -> details only that user may be told"
    )
    cues: dict[str, str] = Field(
        default_factory=dict, description="user -> a private behaviour cue (disruptive users)"
    )
