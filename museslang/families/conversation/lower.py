"""The ground truth of a conversation episode, read from the seed's declarations: the
scenario's `extra` (category, complexity, conflicts, private_messages, expected_turns)
and each user's `extra` (`private`: a detail or a list of them; `cue`: how they behave)."""

from __future__ import annotations

from typing import Any

from museslang.families.conversation.ground import Conversation
from museslang.lower.episodes import Lowered


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return []


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes"))


def truth(lowered: Lowered) -> dict[str, object]:
    """Its ground truth (`Family.truth`): the seed's fields the quality filter reads."""
    sc = lowered.scenario
    extra = dict(sc.extra or {})
    turns = extra.get("expected_turns")
    return {
        "conversation": Conversation(
            category=str(extra.get("category") or "general"),
            description=str(extra.get("description") or sc.objective or sc.title or ""),
            complexity=str(extra.get("complexity") or "medium"),
            conflicts=_flag(extra.get("conflicts")),
            private_messages=_flag(extra.get("private_messages")),
            expected_turns=turns if isinstance(turns, int) else None,
            private={p.id: found for p in lowered.participants
                     if (found := _texts(p.extra.get("private")))},
            cues={p.id: str(p.extra["cue"]) for p in lowered.participants
                  if isinstance(p.extra.get("cue"), str)},
        )
    }  # fmt: skip
