"""Reading the agent's actions out of a model's reply, and telling a model how to
write them.

A model that supports tools gets the kinds its episode offers (museslang.actions.offered:
museslang's own and its family's) as OpenAI function tools; one that does not writes
actions in its text (`@Name: ...` lines or JSON objects). Both paths produce the same
`Action` objects, so the engine and the scorers never know which one was used.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from museslang.actions import (
    EVERYONE,
    NOTHING,
    Action,
    ActionError,
    ActionKind,
    Answer,
    Finish,
    Kinds,
    SendMessage,
    as_list,
    json_kind,
    make_action,
)
from museslang.official.parse import ends_conversation


def parse_tool_call(name: str, arguments: str, kinds: Kinds) -> Action:
    """The action a tool call names, its arguments checked against the action's schema
    (the tool's declared parameters) whatever the server said it parsed: a bare string
    where the object is declared, a required field left out, a value of the wrong type
    is an `ActionError` that says which."""
    try:
        data = json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        raise ActionError(f"{name}: arguments are not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        fields = ""
        if name in kinds:
            declared = list(kinds[name].args.model_fields)
            fields = f" of {', '.join(declared)}" if declared else ""
        raise ActionError(
            f"{name}: arguments must be a JSON object{fields}, as the tool declares; "
            f"got {json_kind(data)}"
        )
    return make_action(name, data, kinds)


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON schema without titles or $refs: some servers' tool parsers choke on both."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return clean(defs[node["$ref"].split("/")[-1]])
            return {k: clean(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return clean(raw)


@lru_cache(maxsize=32)
def _tool_schemas(offered: tuple[ActionKind, ...]) -> str:
    return json.dumps(_build_tool_schemas(offered))


def tool_schemas(kinds: Kinds) -> list[dict[str, Any]]:
    """The OpenAI `tools` list for these actions (built once, copied per episode)."""
    return json.loads(_tool_schemas(tuple(kinds.values())))


def _build_tool_schemas(offered: tuple[ActionKind, ...]) -> list[dict[str, Any]]:
    tools = []
    for kind in offered:
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": kind.name,
                    "description": kind.description,
                    "parameters": _schema(kind.args),
                },
            }
        )
    return tools


def per_user_format(tools: bool) -> str:
    """How a per-user answer is written: one JSON object keyed by user id."""
    head = "The answer tool's text is" if tools else "Reply format: reply with"
    return (
        f"{head} one JSON object and nothing else. Its keys are the users' ids, exactly as "
        "written above; the value under each id is your answer to that user, and only that "
        "user's own rules are checked against it. A code fence around the object is tolerated."
    )


def text_protocol(kinds: Kinds, answer: str | None = None) -> str:
    """The reply format explained to a model that gets no tools."""
    if tuple(kinds) == ("answer",):
        if answer == "per_user":
            return per_user_format(tools=False)
        return "Reply format: the whole reply is the answer; every user receives it as written."
    lines = ["Reply format: write each action on its own line."]
    for kind in kinds.values():
        lines.append(f"- {kind.description} Write: {kind.text_syntax}")
    if "send_message" in kinds:
        lines.append("A message continues on the following lines until the next action line.")
    return "\n".join(lines)


_ADDRESS = re.compile(
    r"^\s*(?:@|to\s+)([\w .,'-]+?)\s*(?:\((?:private|privately|dm)\))?\s*:\s?(.*)$",
    re.IGNORECASE,
)
_DIRECTIVE = re.compile(r"^\s*@\S")  # a line meant as an address, readable or not


def _json_objects(text: str) -> list[tuple[int, int, Any]]:
    """Every top-level JSON object or array embedded in the text, with its span."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, int, Any]] = []
    i = 0
    while i < len(text):
        if text[i] in "{[":
            try:
                value, end = decoder.raw_decode(text, i)
            except json.JSONDecodeError:
                i += 1
                continue
            if isinstance(value, dict | list):
                found.append((i, end, value))
                i = end
                continue
        i += 1
    return found


def _official(item: dict[str, Any], kinds: Kinds) -> tuple[str, dict] | None:
    """The reply objects MUSES Bench's own prompts ask for, as museslang actions: each
    offered kind that reads such objects is asked, in `json_rank` order; `("", {})`: the
    object was read and deliberately means nothing."""
    readers = sorted((k for k in kinds.values() if k.reads_json), key=lambda k: k.json_rank)
    for kind in readers:
        assert kind.reads_json is not None
        args = kind.reads_json(item)
        if args is NOTHING:
            return "", {}
        if args is not None:
            return kind.name, args
    return None


def _from_json(value: Any, kinds: Kinds) -> tuple[list[Action], bool]:
    """The actions a JSON value states, and whether it was read as an action at all (an
    official `goal_achieved: false` object is read and means nothing)."""
    items = value if isinstance(value, list) else [value]
    actions = []
    read = False
    for item in items:
        if not isinstance(item, dict):
            continue
        name = item.get("action") or item.get("name") or item.get("tool")
        if name is None and (official := _official(item, kinds)) is not None:
            name, item = official
            read = True
            if not name:
                continue
        if not isinstance(name, str):
            continue
        args = item.get("arguments") or item.get("args") or item.get("parameters")
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except json.JSONDecodeError:
                args = None
        if not isinstance(args, dict):
            args = {k: v for k, v in item.items() if k not in {"action", "name", "tool"}}
        actions.append(make_action(name, args, kinds))
    return actions, read or bool(actions)


@dataclass
class TextParse:
    actions: list[Action]
    errors: list[str]


def parse_text(text: str, kinds: Kinds) -> TextParse:
    """Read actions from a reply written without tools; tolerant by design.

    JSON objects naming an action are taken first. Then lines: `@Name: ...`, and the
    lines the offered kinds define (`FINALIZE slot WITH names`, ...). Text that addresses no
    one, from an agent that may send messages, goes to everyone: a reply that
    reached every user is scored as having reached every user.
    """
    if tuple(kinds) == ("answer",):
        # the reply itself is the answer: it may be JSON or fenced on purpose (a format rule)
        return TextParse([Action(name="answer", args=Answer(text=text))], [])
    actions: list[Action] = []
    errors: list[str] = []
    other_endings = [n for n, k in kinds.items() if n != "finish" and k.ends]
    if "finish" in kinds and not other_endings and ends_conversation(text):
        # finish as the only ending (access control): the official runner stops at once
        # and delivers nothing of this turn
        report = next(
            (v.get("final_report") for _, _, v in _json_objects(text)
             if isinstance(v, dict) and isinstance(v.get("final_report"), str)),
            "",
        )  # fmt: skip
        return TextParse([Action(name="finish", args=Finish(report=report))], [])
    rest = text
    for start, end, value in reversed(_json_objects(text)):
        try:
            got, read = _from_json(value, kinds)
        except ActionError as exc:
            errors.append(str(exc))
            got, read = [], True
        if read:
            actions[:0] = got
            rest = rest[:start] + rest[end:]
    rest = re.sub(r"```\w*", "", rest)
    current: tuple[list[str], list[str]] | None = None
    loose: list[str] = []
    messages: list[tuple[list[str], list[str]]] = []
    stated = [k for k in kinds.values() if k.line is not None]
    for line in rest.splitlines():
        found = next(((k, m) for k in stated if k.line and (m := k.line.match(line))), None)
        addr = _ADDRESS.match(line) if "send_message" in kinds else None
        if found is not None:
            kind, match = found
            assert kind.line_args is not None
            actions.append(make_action(kind.name, kind.line_args(match), kinds))
            current = None
        elif addr:
            current = (as_list(addr[1]), [addr[2]])
            messages.append(current)
        elif "send_message" in kinds and _DIRECTIVE.match(line):
            errors.append(f"unreadable address line: {line.strip()[:120]!r}")
            current = None
        elif current is not None:
            current[1].append(line)
        else:
            loose.append(line)
    sends = [
        Action(name="send_message", args=SendMessage(to=to, text="\n".join(body).strip()))
        for to, body in messages
        if "\n".join(body).strip()
    ]
    leftover = "\n".join(loose).strip()
    if leftover and "send_message" in kinds and not sends:
        loose = SendMessage(to=[EVERYONE], text=leftover)
        sends.insert(0, Action(name="send_message", args=loose, unaddressed=True))
    return TextParse(sends + actions, errors)
