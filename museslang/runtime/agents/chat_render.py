"""Chat prompts for local models whose chat template knows nothing of tools.

Many small instruction models (SmolLM2 among them) ship a template that renders
`role` and `content` only: tool definitions are dropped, an assistant turn that only
called tools (`content: None`) fails to render, and a `tool` message shows as a role
the model never saw. For those, museslang writes the tools into the system message
and the calls and results into the text, in the Hermes convention that `batch.to_turn`
reads back (`<tool_call>{...}</tool_call>`, `<tool_response>...</tool_response>`).
A template that handles tools gets the messages as they are.
"""

from __future__ import annotations

import json
from typing import Any

TOOLS_HEADER = (
    "You can call these tools. To call one, write a line\n"
    '<tool_call>{"name": "TOOL", "arguments": {...}}</tool_call>\n'
    "with the tool's name and a JSON object of its arguments; write one such line per "
    "call. The tools:\n<tools>\n{tools}\n</tools>"
)


def supports_tools(template: str | None) -> bool:
    return bool(template) and "tools" in str(template)


def inline_tools(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict]:
    """The conversation with tools, calls and results written as text."""
    listing = "\n".join(json.dumps(t.get("function", t), ensure_ascii=False) for t in tools)
    header = TOOLS_HEADER.replace("{tools}", listing)
    out: list[dict[str, Any]] = []
    for m in messages:
        role, content = m["role"], m.get("content") or ""
        if role == "system":
            out.append({"role": "system", "content": f"{content.rstrip()}\n\n{header}"})
        elif role == "tool":
            out.append({"role": "user", "content": f"<tool_response>\n{content}\n</tool_response>"})
        elif role == "assistant" and m.get("tool_calls"):
            calls = [_call_text(c["function"]) for c in m["tool_calls"]]
            out.append({"role": "assistant", "content": "\n".join([content, *calls]).strip()})
        else:
            out.append({"role": role, "content": content})
    if not out or out[0]["role"] != "system":
        out.insert(0, {"role": "system", "content": header})
    return out


def _call_text(fn: dict[str, Any]) -> str:
    call = {"name": fn["name"], "arguments": fn["arguments"]}
    return f"<tool_call>{json.dumps(call, ensure_ascii=False)}</tool_call>"


def render(tokenizer: Any, messages: list[dict[str, Any]], tools: list[dict] | None) -> str:
    """The prompt text for the next assistant turn."""
    if tools and not supports_tools(tokenizer.chat_template):
        messages, tools = inline_tools(messages, tools), None
    else:
        messages = [m if m.get("content") is not None else {**m, "content": ""} for m in messages]
    return tokenizer.apply_chat_template(
        messages, tools=tools, add_generation_prompt=True, tokenize=False
    )
