"""The agent's side of an episode as an append-only chat.

The system prompt is fixed for the whole episode and every turn is appended,
never re-rendered, so each request starts with the previous request and its
reply verbatim. That is what lets a server's prefix cache (vLLM's automatic
prefix caching) reuse the work of the previous turn; `prefix_reuse` measures
how much of each request it could reuse.
"""

from __future__ import annotations

import json
from typing import Any

from museslang.ir.models import IdentityTemplate
from museslang.ir.results import Message
from museslang.prompts import render

KICKOFF = "(The conversation begins. No one has written yet; you may open it.)"
NO_REPLY = "(No one replied.)"


def render_incoming(identity: IdentityTemplate, messages: list[Message]) -> str:
    """User messages as the agent sees them: each wrapped by the identity template."""
    return "\n\n".join(render(identity.wrap, {"user": m.sender, "text": m.text}) for m in messages)


def _serialise(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, sort_keys=True) + "\n"


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by bisection on slices (C-speed compares)."""
    if b.startswith(a):
        return len(a)
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class AgentConversation:
    """The chat sent to the agent, plus the prefix-reuse measurement."""

    def __init__(self, system: str) -> None:
        self.messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
        self._text = _serialise(self.messages[0])
        self._previous: str | None = None  # last request and its reply, serialised
        self.reuse: list[float] = []  # per request: share of it that repeats the last one
        self.kept: list[float] = []  # per request: share of the last one it repeats

    def add_user(self, content: str) -> None:
        self._append({"role": "user", "content": content})

    def add_assistant(self, message: dict[str, Any]) -> None:
        self._append(message)

    def add_tool_result(self, call_id: str, content: str) -> None:
        self._append({"role": "tool", "tool_call_id": call_id, "content": content})

    def _append(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self._text += _serialise(message)

    def request(self) -> list[dict[str, Any]]:
        """The messages of the next request; records how much repeats the last one."""
        if self._previous is not None:
            shared = common_prefix(self._previous, self._text)
            self.reuse.append(shared / len(self._text))
            self.kept.append(shared / len(self._previous))
        return list(self.messages)

    def replied(self) -> None:
        """Call after the reply was appended: the next request should extend all of it."""
        self._previous = self._text


def hf_message(m: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-format chat message as Hugging Face chat templates take it."""
    out: dict[str, Any] = {"role": m["role"], "content": m.get("content")}
    if m.get("tool_calls"):
        calls = []
        for c in m["tool_calls"]:
            fn = c["function"]
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except json.JSONDecodeError:
                args = {"_raw": fn.get("arguments")}
            calls.append({"id": c["id"], "type": "function",
                          "function": {"name": fn["name"], "arguments": args}})  # fmt: skip
        out["tool_calls"] = calls
    if m["role"] == "tool":
        out["tool_call_id"] = m.get("tool_call_id")
    return out
