"""A teacher that writes the text protocol: its actions as the lines a model without tools
must write (`@Name: ...`, `SHARE res WITH Name`, `FINALIZE slot WITH names`, the queue's
JSON object, the answer as the whole reply).

A teacher that acts (the reference oracle) returns actions, which the engine records as
tool calls. For `generate --tool-mode text` the student is evaluated without tools, so
its training example must show exactly the text it will have to write, and the system
prompt it will see (the engine adds the text protocol to it when `uses_tools` is off).
Each reply is read back with the same parser evaluation uses (`parse_text`) and must
give the same actions: an example the parser would misread is never written.

`short_ids`: shared-queue orders are named by their reference number (`4179`, which
the scorer resolves) instead of the internal id (`Nadia_task_4179`), a shorter thing
for a small model to copy.
"""

from __future__ import annotations

import json
from typing import Any

from museslang.actions import Action
from museslang.runtime.action_text import parse_text
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView, WrappingAgent


class TextUnreadable(RuntimeError):
    """The text a teacher's actions were written as does not read back as those actions."""


def _names(users: list[str]) -> str:
    return ", ".join(users)


def render_action(action: Action) -> str:
    """One action as the text protocol writes it."""
    args = action.dump()
    name = action.name
    if name == "send_message":
        return f"@{_names(list(args['to']))}: {args['text']}"
    if name == "share_resource":
        return f"SHARE {args['resource']} WITH {_names(list(args['users']))}"
    if name == "finalize_meeting":
        return f"FINALIZE {args['slot']} WITH {_names(list(args['attendees']))}"
    if name == "answer":
        return str(args["text"])
    if name == "finish":
        return json.dumps(
            {"goal_achieved": True, "final_report": args.get("report", "")}, ensure_ascii=False
        )
    # any other action: the JSON object `parse_text` reads first
    return json.dumps({"action": name, **args}, ensure_ascii=False)


def _short_ids(view: EpisodeView, action: Action) -> Action:
    if action.name != "decide_orders":
        return action
    refs = {o.id: o.ref for o in view.episode.orders if o.ref}
    args: dict[str, Any] = action.dump()
    args["accept"] = [refs.get(i, i) for i in args.get("accept", [])]
    args["reject"] = [{**r, "id": refs.get(r["id"], r["id"])} for r in args.get("reject", [])]
    return Action(name=action.name, args=type(action.args).model_validate(args))


class TextTeacher(WrappingAgent):
    """Wraps an acting teacher; each turn's actions come back as text-protocol replies."""

    uses_tools = False

    def __init__(self, inner: Agent, *, short_ids: bool = True) -> None:
        super().__init__(inner)
        self.short_ids = short_ids

    async def act(self, view: EpisodeView) -> AgentTurn:
        turn = await self.inner.act(view)
        if turn.message is not None and not turn.message.get("tool_calls"):
            return turn  # already text (a model teacher playing without tools)
        actions = [_short_ids(view, a) if self.short_ids else a for a in turn.actions]
        text = "\n".join(render_action(a) for a in actions)
        parsed = parse_text(text, view.kinds)
        want = [(a.name, a.dump()) for a in actions]
        got = [(a.name, a.dump()) for a in parsed.actions]
        if parsed.errors or sorted(map(json.dumps, want)) != sorted(map(json.dumps, got)):
            raise TextUnreadable(
                f"turn {view.turn}: the text protocol does not read back as the teacher's "
                f"actions: {text[:200]!r}"
            )
        return AgentTurn(parsed.actions, {"role": "assistant", "content": text}, usage=turn.usage)
