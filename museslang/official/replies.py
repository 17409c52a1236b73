"""Each agent turn as the official runner would have received it: a reply text.

A model that answered in text (`--tool-mode text`) is re-read from what it wrote
(`EpisodeResult.replies`). Where the agent acted through tools, or is a reference
policy that writes no text, its actions are written back as the JSON objects the
official prompts ask for (one per line), as each action kind writes itself
(`ActionKind.writes_json`): a message as `{"target", "content"}` per recipient, the
end of a conversation as `{"goal_achieved": true, ...}`, an answer as its text, and
each family's own actions as its official runner expects them.
"""

from __future__ import annotations

import json
from typing import Any

from museslang.actions import kinds_of
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import ActionRecord, EpisodeResult

UNREADABLE = "(unreadable)"


def _objects(episode: EpisodeGraph, action: ActionRecord) -> list[Any] | str:
    kind = kinds_of(episode.family).get(action.name)
    if kind is None or kind.writes_json is None:
        return []
    return kind.writes_json(episode, action.args)


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
