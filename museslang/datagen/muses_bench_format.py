"""Training data in the official MUSES Bench format that its `train.py` reads: one
`{"messages": [...]}` line per conversation, the system prompt the student sees, each
user's messages under the role `user_<Name>`, and each agent turn as one assistant
message of `@Name: ...` / `@Name(private): ...` / `@all: ...` lines, written from what
was delivered (so every line is well formed, whatever the teacher wrote around it). A
message is marked `(private)` where the teacher marked it so in its reply.

Two things keep the records true to what a model trained on them will see. The system
prompt's sentence on how user messages arrive (the identity template's, e.g. "wrapped in
tags") is replaced by the one these records use: each person under their own role. And a
conversation in which the agent wrote nothing (it only acted through tools) has no
record at all (`trains`): `{"messages": []}` teaches nothing, and a file of them is typed
as a list of nulls by `datasets`, which then will not join it to real data."""

from __future__ import annotations

import re
from typing import Any

from museslang.actions import EVERYONE
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, EpisodeResult, Message


def _marked(result: EpisodeResult, m: Message) -> bool:
    if len(m.to) != 1:
        return False
    wrote = " ".join(r.text or "" for r in result.replies if r.turn == m.turn)
    return bool(re.search(rf"@\s*{re.escape(m.to[0])}\s*\(\s*private", wrote, re.I))


def _line(episode: EpisodeGraph, result: EpisodeResult, m: Message) -> str:
    if (
        m.kind == "unaddressed"
        or EVERYONE in m.to
        or (len(m.to) > 1 and set(m.to) >= {p.id for p in episode.participants})
    ):
        return f"@all: {m.text}"
    marker = "(private)" if _marked(result, m) else ""
    return f"@{', '.join(m.to)}{marker}: {m.text}"


ROLES = "Each person's messages arrive under their own role: user_<Name>."


def _system(episode: EpisodeGraph, result: EpisodeResult) -> str:
    system = next((m.get("content") for m in result.conversation or []
                   if m.get("role") == "system"), "")  # fmt: skip
    text, said = str(system or ""), episode.identity.describe
    return text.replace(said, ROLES) if said and said in text else text


def trains(data: dict[str, Any]) -> bool:
    """The record holds at least one agent turn to learn from."""
    return any(m["role"] == "assistant" for m in data["messages"])


def record(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Any]:
    messages: list[dict[str, str]] = [{"role": "system", "content": _system(episode, result)}]
    turns = sorted({m.turn for m in result.transcript})
    for turn in turns:
        said = [m for m in result.transcript if m.turn == turn and m.sender == AGENT]
        if said:
            text = "\n".join(_line(episode, result, m) for m in said if m.text.strip())
            messages.append({"role": "assistant", "content": text})
        for m in result.transcript:
            if m.turn == turn and m.sender != AGENT:
                messages.append({"role": f"user_{m.sender}", "content": m.text})
    while messages and messages[-1]["role"] != "assistant":  # end on the agent's turn
        messages.pop()
    return {"messages": messages}
