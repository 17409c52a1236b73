"""What this family lends museslang's robustness tests: the base of the hostile specs, an
official record, a fuzz strategy and the stub server's facilitator.
museslang.testing.corpus reads these names (BASE, hostile, record, fuzz, stub); this
module imports nothing of museslang.testing (a floor above), which hands the fuzz
strategy and the stub play their helpers (`kit`)."""

from __future__ import annotations

from typing import Any

from museslang.families.meeting.truth import find_slots

FAMILY = "meeting"

BASE = """scenario s {{
  family: meeting
  {body}
  user Ana {{ prefers: [Tue 9:30] }}
  user Ben {{ prefers: [Tue 9:30, Wed 10:00] attendance: optional }}
}}
"""


def hostile(scale: int) -> list[tuple[str, str | bytes]]:
    return [("empty_calendar", BASE.format(body="calendar: c }\ncalendar c { days: [] hours: [] "))]


def record(**extra: Any) -> dict[str, Any]:
    users = [
        {"id": "Ana", "is_essential": True, "preferred_slots": ["Tue 9:30"], "secondary_slots": []},
        {"id": "Ben", "is_essential": False, "preferred_slots": ["Tue 9:30"],
         "secondary_slots": []},
    ]  # fmt: skip
    return {"id": "m1", "users": users, "system_prompt": "Schedule it.", **extra}


def fuzz(kit: Any) -> Any:
    from hypothesis import strategies as st

    @st.composite
    def body(draw) -> list[str]:
        n = draw(st.integers(2, 6))
        lines = [f"  family: {FAMILY}"]
        for i, name in enumerate(kit.names[:n]):
            mine = draw(
                st.lists(st.sampled_from(kit.slots[1:]), min_size=0, max_size=4, unique=True)
            )
            required = i == 0 or draw(st.booleans())
            slots = ", ".join(["Mon 9:00", *mine])
            line = f"  user {name} {{ prefers: [{slots}]"
            line += " attendance: required" if required else " attendance: optional"
            lines.append(line + " }")
        return lines

    return body()


def stub(turn: Any, reply: Any) -> Any:
    """Ask everyone twice, then finalise the first slot heard (with tools, or the text
    protocol's lines when the prompt explains one)."""
    slot = (find_slots(turn.texts) or ["Mon 9:00"])[0]
    if "finalize_meeting" in turn.tools:
        if turn.turn < 3:
            ask = "When are you free this week? Any backup options?"
            return reply(tool_calls=[("send_message", {"to": ["all"], "text": ask})])
        return reply(tool_calls=[("finalize_meeting", {"slot": slot, "attendees": ["all"]})])
    if "Reply format:" in turn.system:
        if turn.turn < 3:
            return reply(content="@all: When are you free this week? Any backup options?")
        return reply(content=f"FINALIZE {slot} WITH all")
    return None
