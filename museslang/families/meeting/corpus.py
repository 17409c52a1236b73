"""What this family lends museslang's robustness tests (museslang.testing.corpus): the
base of the hostile specs, an official record, a fuzz strategy and the stub server's
facilitator. Imported only by museslang.testing."""

from __future__ import annotations

from typing import Any

from museslang.families.meeting.truth import find_slots
from museslang.testing.corpus import CORPORA, Corpus, StubTurn

FAMILY = "meeting"

BASE = """scenario s {{
  family: meeting
  {body}
  user Ana {{ prefers: [Tue 9:30] }}
  user Ben {{ prefers: [Tue 9:30, Wed 10:00] attendance: optional }}
}}
"""


def _hostile(scale: int) -> list[tuple[str, str | bytes]]:
    return [("empty_calendar", BASE.format(body="calendar: c }\ncalendar c { days: [] hours: [] "))]


def _record(**extra: Any) -> dict[str, Any]:
    users = [
        {"id": "Ana", "is_essential": True, "preferred_slots": ["Tue 9:30"], "secondary_slots": []},
        {"id": "Ben", "is_essential": False, "preferred_slots": ["Tue 9:30"],
         "secondary_slots": []},
    ]  # fmt: skip
    return {"id": "m1", "users": users, "system_prompt": "Schedule it.", **extra}


def _fuzz() -> Any:
    from hypothesis import strategies as st

    from museslang.testing.fuzz import NAMES, SLOTS

    @st.composite
    def body(draw) -> list[str]:
        n = draw(st.integers(2, 6))
        lines = [f"  family: {FAMILY}"]
        for i, name in enumerate(NAMES[:n]):
            mine = draw(st.lists(st.sampled_from(SLOTS[1:]), min_size=0, max_size=4, unique=True))
            required = i == 0 or draw(st.booleans())
            slots = ", ".join(["Mon 9:00", *mine])
            line = f"  user {name} {{ prefers: [{slots}]"
            line += " attendance: required" if required else " attendance: optional"
            lines.append(line + " }")
        return lines

    return body()


def _stub(turn: StubTurn):
    """Ask everyone twice, then finalise the first slot heard (with tools, or the text
    protocol's lines when the prompt explains one)."""
    from museslang.testing.openai_stub import StubReply

    slot = (find_slots(turn.texts) or ["Mon 9:00"])[0]
    if "finalize_meeting" in turn.tools:
        if turn.turn < 3:
            ask = "When are you free this week? Any backup options?"
            return StubReply(tool_calls=[("send_message", {"to": ["all"], "text": ask})])
        return StubReply(tool_calls=[("finalize_meeting", {"slot": slot, "attendees": ["all"]})])
    if "Reply format:" in turn.system:
        if turn.turn < 3:
            return StubReply(content="@all: When are you free this week? Any backup options?")
        return StubReply(content=f"FINALIZE {slot} WITH all")
    return None


CORPORA.register(FAMILY)(
    Corpus(base=BASE, hostile=_hostile, record=_record, fuzz=_fuzz, stub=_stub)
)
