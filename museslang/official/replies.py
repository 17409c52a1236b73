"""Each agent turn as the official runner would have received it: a reply text.

A model that answered in text (`--tool-mode text`) is re-read from what it wrote
(`EpisodeResult.replies`). Where the agent acted through tools, or is a reference
policy that writes no text, its actions are written back as the JSON objects the
official prompts ask for (one per line): a message as `{"target", "content"}` per
recipient, a shared resource as its content to each user, a finalised meeting or the
end of a conversation as `{"goal_achieved": true, ...}`, queue decisions as
`{"accepted_instructions", "rejected_instructions"}`; an answer is its text.
"""

from __future__ import annotations

import json
from typing import Any

from museslang.ir.models import EpisodeGraph
from museslang.runtime.transcript import ActionRecord, EpisodeResult

UNREADABLE = "(unreadable)"


def _objects(episode: EpisodeGraph, action: ActionRecord) -> list[Any] | str:
    args = action.args
    if action.name == "answer":
        text = args.get("text")
        return text if isinstance(text, str) else ""
    if action.name == "send_message":
        return [{"target": t, "content": args.get("text", "")} for t in args.get("to") or []]
    if action.name == "share_resource":
        wanted = str(args.get("resource", "")).lower()
        fact = next((f for f in episode.facts if wanted in {f.id.lower(), f.title.lower()}), None)
        content = (fact.content or fact.title) if fact is not None else ""
        return [{"target": u, "content": content} for u in args.get("users") or []]
    if action.name == "finalize_meeting":
        return [{"goal_achieved": True, "final_schedule": args.get("slot"),
                 "attendees": args.get("attendees") or []}]  # fmt: skip
    if action.name == "finish":
        return [{"goal_achieved": True, "final_report": args.get("report", "")}]
    if action.name == "decide_orders":
        rejected = [{"id": r.get("id"), "reason": r.get("reason", "")}
                    for r in args.get("reject") or [] if isinstance(r, dict)]  # fmt: skip
        return [{"accepted_instructions": args.get("accept") or [],
                 "rejected_instructions": rejected}]  # fmt: skip
    return []


def written(episode: EpisodeGraph, actions: list[ActionRecord]) -> str:
    """One turn's actions as the official JSON reply."""
    parts: list[str] = []
    for action in actions:
        if action.name == UNREADABLE:
            continue
        got = _objects(episode, action)
        if isinstance(got, str):
            parts.append(got)
        else:
            parts += [json.dumps(o, ensure_ascii=False) for o in got]
    return "\n".join(parts)


def texts(episode: EpisodeGraph, result: EpisodeResult) -> list[str | None]:
    """The reply text of agent turns 1..result.turns, as the official runner reads them."""
    by_turn = {r.turn: r for r in result.replies}
    out: list[str | None] = []
    for turn in range(1, result.turns + 1):
        reply = by_turn.get(turn)
        if reply is not None and not reply.tool_calls:
            out.append(reply.text if reply.text is not None else "")
        else:
            out.append(written(episode, [a for a in result.actions if a.turn == turn]))
    return out
