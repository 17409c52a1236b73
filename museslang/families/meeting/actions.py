"""The meeting's own action: finalising the meeting (museslang.actions),
handed to its `Family` as `own_actions`."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from museslang.actions import ActionArgs, ActionKind, as_list
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import Message


class FinalizeMeeting(ActionArgs):
    slot: str = Field(description="the meeting slot, written like 'Tue 9:30'")
    attendees: list[str] = Field(description="user ids invited to the meeting")

    _lists = field_validator("attendees", mode="before")(as_list)


def _apply(
    episode: EpisodeGraph, turn: int, args: Any, transcript: list[Message], public: bool
) -> tuple[str, bool]:
    from museslang.runtime.engine import resolve_users

    _, unknown = resolve_users(episode, args.attendees)
    extra = f" (unknown attendees ignored: {', '.join(unknown)})" if unknown else ""
    return f"meeting finalised; the conversation is over{extra}", True


def _official(item: dict[str, Any]) -> dict[str, Any] | None:
    """The official final object: `goal_achieved: true` with a `final_schedule`."""
    schedule = item.get("final_schedule")
    if not item.get("goal_achieved") or not schedule:
        return None
    return {"slot": str(schedule).strip("[] "), "attendees": item.get("attendees") or []}


_FINALIZE = re.compile(
    r"^\s*\**finali[sz]e\**\s*:?\s*(.+?)\s+with\s+(.+?)\s*\.?\s*$", re.IGNORECASE
)

FINALIZE_MEETING = ActionKind(
    "finalize_meeting",
    FinalizeMeeting,
    "Finalise the meeting at one slot with the attendees who can make it. This ends the "
    "conversation.",
    True,
    "FINALIZE Tue 9:30 WITH Name, Other",
    apply=_apply,
    line=_FINALIZE,
    line_args=lambda m: {"slot": m[1], "attendees": m[2]},
    reads_json=_official,
    json_rank=10,
    writes_json=lambda episode, args: [
        {
            "goal_achieved": True,
            "final_schedule": args.get("slot"),
            "attendees": args.get("attendees") or [],
        }
    ],
)
