"""The agent's actions, one typed model each, and two ways to parse them.

A model that supports tools gets them as OpenAI function tools; one that does
not writes them in its text (`@Name: ...` lines or JSON objects). Both paths
produce the same `Action` objects, so the engine and the scorers never know
which one was used.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from museslang.registry import Registry

EVERYONE = "all"


def _as_list(value: Any) -> Any:
    """Models write `"to": "Ana"` or `"to": "Ana, Ben"` as often as a list."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]| and ", value) if part.strip()]
    return value


class _Args(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class SendMessage(_Args):
    to: list[str] = Field(description=f"user ids, or ['{EVERYONE}'] for everyone")
    text: str = Field(description="the message; only the addressed users see it")

    _lists = field_validator("to", mode="before")(_as_list)


class FinalizeMeeting(_Args):
    slot: str = Field(description="the meeting slot, written like 'Tue 9:30'")
    attendees: list[str] = Field(description="user ids invited to the meeting")

    _lists = field_validator("attendees", mode="before")(_as_list)


class Finish(_Args):
    report: str = Field(
        default="", description="an optional closing report; it is recorded, not sent"
    )


class ShareResource(_Args):
    resource: str = Field(description="id of the resource to share")
    users: list[str] = Field(description="user ids who receive its full content")

    _lists = field_validator("users", mode="before")(_as_list)


class Rejection(_Args):
    id: str = Field(description="order id or reference number")
    reason: str = Field(default="", description="why it is rejected")


class DecideOrders(_Args):
    accept: list[str] = Field(default_factory=list, description="ids of the orders accepted")
    reject: list[Rejection] = Field(default_factory=list, description="orders rejected")

    _lists = field_validator("accept", mode="before")(_as_list)

    @field_validator("reject", mode="before")
    @classmethod
    def _reasons(cls, value: Any) -> Any:
        value = _as_list(value)
        if isinstance(value, list):
            return [{"id": v} if isinstance(v, str | int) else v for v in value]
        return value


class Answer(_Args):
    text: str = Field(description="the one answer every user receives")


@dataclass(frozen=True)
class ActionKind:
    name: str
    args: type[_Args]
    description: str
    ends: bool  # taking it ends the episode
    text_syntax: str  # how to write it without tools


ACTIONS: Registry[ActionKind] = Registry("action")


def _kind(kind: ActionKind) -> None:
    ACTIONS.register(kind.name)(kind)


_kind(
    ActionKind(
        "send_message",
        SendMessage,
        "Send a message to one user, several, or everyone. Only the addressed users see it "
        "and only they reply.",
        False,
        "@Name: message   (or @Name, Other: message, or @all: message)",
    )
)
_kind(
    ActionKind(
        "finalize_meeting",
        FinalizeMeeting,
        "Finalise the meeting at one slot with the attendees who can make it. This ends the "
        "conversation.",
        True,
        "FINALIZE Tue 9:30 WITH Name, Other",
    )
)
_kind(
    ActionKind(
        "finish",
        Finish,
        "End the conversation: every user has what they need, or nothing more can be done. "
        "An optional report is recorded, not sent to anyone.",
        True,
        '{"goal_achieved": true, "final_report": "..."}',
    )
)
_kind(
    ActionKind(
        "share_resource",
        ShareResource,
        "Give users the full content of a resource.",
        False,
        "SHARE resource_id WITH Name, Other",
    )
)
_kind(
    ActionKind(
        "decide_orders",
        DecideOrders,
        "Accept and reject the queued orders by id, with a reason for each rejection. This "
        "ends the episode.",
        True,
        '{"action": "decide_orders", "accept": ["id", ...], '
        '"reject": [{"id": "id", "reason": "..."}]}',
    )
)
_kind(
    ActionKind(
        "answer",
        Answer,
        "Send the one shared answer to every user. This ends the episode.",
        True,
        "the whole reply is the answer",
    )
)


class Action(BaseModel):
    """A parsed action: its name and validated arguments."""

    name: str
    args: _Args
    unaddressed: bool = False  # text mode: prose that named no recipient, sent to everyone

    def dump(self) -> dict[str, object]:
        return self.args.model_dump()


class ActionError(ValueError):
    """A tool call or text directive that names no known action or has bad arguments."""


def make_action(name: str, arguments: dict[str, Any], allowed: tuple[str, ...]) -> Action:
    if name not in allowed:
        raise ActionError(f"unknown action {name!r}; this scenario allows {', '.join(allowed)}")
    kind = ACTIONS.get(name)
    try:
        return Action(name=name, args=kind.args.model_validate(arguments))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or name
        raise ActionError(f"{name}: {where}: {first['msg']}") from None


def parse_tool_call(name: str, arguments: str, allowed: tuple[str, ...]) -> Action:
    try:
        data = json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        raise ActionError(f"{name}: arguments are not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ActionError(f"{name}: arguments must be a JSON object")
    return make_action(name, data, allowed)


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
def _tool_schemas(allowed: tuple[str, ...]) -> str:
    return json.dumps(_build_tool_schemas(allowed))


def tool_schemas(allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    """The OpenAI `tools` list for these actions (built once, copied per episode)."""
    return json.loads(_tool_schemas(allowed))


def _build_tool_schemas(allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    tools = []
    for name in allowed:
        kind = ACTIONS.get(name)
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": name,
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


def text_protocol(allowed: tuple[str, ...], answer: str | None = None) -> str:
    """The reply format explained to a model that gets no tools."""
    if allowed == ("answer",):
        if answer == "per_user":
            return per_user_format(tools=False)
        return "Reply format: the whole reply is the answer; every user receives it as written."
    lines = ["Reply format: write each action on its own line."]
    for name in allowed:
        kind = ACTIONS.get(name)
        lines.append(f"- {kind.description} Write: {kind.text_syntax}")
    if "send_message" in allowed:
        lines.append("A message continues on the following lines until the next action line.")
    return "\n".join(lines)


_ADDRESS = re.compile(
    r"^\s*(?:@|to\s+)([\w .,'-]+?)\s*(?:\((?:private|privately|dm)\))?\s*:\s?(.*)$",
    re.IGNORECASE,
)
_DIRECTIVE = re.compile(r"^\s*@\S")  # a line meant as an address, readable or not
_FINALIZE = re.compile(
    r"^\s*\**finali[sz]e\**\s*:?\s*(.+?)\s+with\s+(.+?)\s*\.?\s*$", re.IGNORECASE
)
_SHARE = re.compile(r"^\s*\**share\**\s*:?\s*(\S+)\s+with\s+(.+?)\s*\.?\s*$", re.IGNORECASE)


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


_OFFICIAL = {"accepted_instructions": "accept", "rejected_instructions": "reject"}


def _official(item: dict[str, Any], allowed: tuple[str, ...]) -> tuple[str, dict] | None:
    """The reply objects MUSES Bench's own prompts ask for, as museslang actions: queue
    decisions, `{"target", "content"}` messages, and the final `{"goal_achieved": true}`
    object: with a `final_schedule`, a finalised meeting; otherwise the end of the
    conversation (a `final_report` is recorded, not delivered). `goal_achieved: false`
    ends nothing and finalises nothing, whatever else the object says."""
    if "decide_orders" in allowed and _OFFICIAL.keys() & item.keys():
        return "decide_orders", {_OFFICIAL.get(k, k): v for k, v in item.items()}
    if "goal_achieved" in item and ("finish" in allowed or "finalize_meeting" in allowed):
        if not item.get("goal_achieved"):
            return "", {}  # read, and deliberately nothing
        schedule = item.get("final_schedule")
        if "finalize_meeting" in allowed and schedule:
            slot = str(schedule).strip("[] ")
            return "finalize_meeting", {"slot": slot, "attendees": item.get("attendees") or []}
        report = item.get("final_report")
        return "finish", {"report": report if isinstance(report, str) else ""}
    if "send_message" in allowed and "target" in item and "content" in item:
        return "send_message", {"to": item["target"], "text": item["content"]}
    return None


def _from_json(value: Any, allowed: tuple[str, ...]) -> tuple[list[Action], bool]:
    """The actions a JSON value states, and whether it was read as an action at all (an
    official `goal_achieved: false` object is read and means nothing)."""
    items = value if isinstance(value, list) else [value]
    actions = []
    read = False
    for item in items:
        if not isinstance(item, dict):
            continue
        name = item.get("action") or item.get("name") or item.get("tool")
        if name is None and (official := _official(item, allowed)) is not None:
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
        actions.append(make_action(name, args, allowed))
    return actions, read or bool(actions)


def _ends_conversation(text: str) -> bool:
    """The official runner's end-of-conversation test: `"goal_achieved": true` anywhere in
    the reply (spaces and escaped newlines ignored)."""
    squashed = text.replace("\\n", "").replace(" ", "")
    return '"goal_achieved":true' in squashed or "'goal_achieved':true" in squashed


@dataclass
class TextParse:
    actions: list[Action]
    errors: list[str]


def parse_text(text: str, allowed: tuple[str, ...]) -> TextParse:
    """Read actions from a reply written without tools; tolerant by design.

    JSON objects naming an action are taken first. Then lines: `@Name: ...`,
    `FINALIZE slot WITH names`, `SHARE id WITH names`. Text that addresses no
    one, from an agent that may send messages, goes to everyone: a reply that
    reached every user is scored as having reached every user.
    """
    if allowed == ("answer",):
        # the reply itself is the answer: it may be JSON or fenced on purpose (a format rule)
        return TextParse([Action(name="answer", args=Answer(text=text))], [])
    actions: list[Action] = []
    errors: list[str] = []
    if "finish" in allowed and "finalize_meeting" not in allowed and _ends_conversation(text):
        # access control: the official runner stops at once and delivers nothing of this turn
        report = next(
            (v.get("final_report") for _, _, v in _json_objects(text)
             if isinstance(v, dict) and isinstance(v.get("final_report"), str)),
            "",
        )  # fmt: skip
        return TextParse([Action(name="finish", args=Finish(report=report))], [])
    rest = text
    for start, end, value in reversed(_json_objects(text)):
        try:
            got, read = _from_json(value, allowed)
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
    for line in rest.splitlines():
        fin = _FINALIZE.match(line) if "finalize_meeting" in allowed else None
        share = _SHARE.match(line) if "share_resource" in allowed else None
        addr = _ADDRESS.match(line) if "send_message" in allowed else None
        if fin:
            actions.append(
                make_action("finalize_meeting", {"slot": fin[1], "attendees": fin[2]}, allowed)
            )
            current = None
        elif share:
            actions.append(
                make_action("share_resource", {"resource": share[1], "users": share[2]}, allowed)
            )
            current = None
        elif addr:
            current = (_as_list(addr[1]), [addr[2]])
            messages.append(current)
        elif "send_message" in allowed and _DIRECTIVE.match(line):
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
    if leftover and "send_message" in allowed and not sends:
        loose = SendMessage(to=[EVERYONE], text=leftover)
        sends.insert(0, Action(name="send_message", args=loose, unaddressed=True))
    return TextParse(sends + actions, errors)
