"""The action catalogue: every action the agent can take, one typed model each.

A kind is data (its argument model, what the agent is told, how it is written without
tools, how an official reply object states it): lowering, the engine, the scorers and
the interchange format all read the same catalogue. museslang's own kinds are `CORE`; a
family brings its own as values (`Family.own_actions`), so what an episode may do is
always asked of its family (`offered`, `kinds_of`), never of a process-wide registry.
Reading actions out of a model's reply (tool calls, text) is the runtime's job
(museslang.runtime.action_text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from museslang import family as families
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import Message

if TYPE_CHECKING:
    from museslang.family import Family

EVERYONE = "all"


def as_list(value: Any) -> Any:
    """Models write `"to": "Ana"` or `"to": "Ana, Ben"` as often as a list."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]| and ", value) if part.strip()]
    return value


class ActionArgs(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class SendMessage(ActionArgs):
    to: list[str] = Field(description=f"user ids, or ['{EVERYONE}'] for everyone")
    text: str = Field(description="the message; only the addressed users see it")

    _lists = field_validator("to", mode="before")(as_list)


class Finish(ActionArgs):
    report: str = Field(
        default="", description="an optional closing report; it is recorded, not sent"
    )


class Answer(ActionArgs):
    text: str = Field(description="the one answer every user receives")


# what an action does in the episode: (episode, turn, its arguments, the transcript so
# far, whether every message reaches everyone) -> (result for the agent, accepted?)
Apply = Callable[[EpisodeGraph, int, Any, list[Message], bool], tuple[str, bool]]


@dataclass(frozen=True)
class ActionKind:
    name: str
    args: type[ActionArgs]
    description: str
    ends: bool  # taking it ends the episode
    text_syntax: str  # how to write it without tools
    apply: Apply | None = None  # None: recorded, nothing delivered
    # text mode: a line that states the action, and its arguments from the match
    line: re.Pattern[str] | None = None
    line_args: Callable[[re.Match[str]], dict[str, Any]] | None = None
    # text mode: the arguments an official MUSES Bench reply object states for it (None:
    # not this action; NOTHING: read, and deliberately nothing), tried in `json_rank` order
    reads_json: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    json_rank: int = 100
    # the reverse, for `--metrics compat`: the action (its arguments as recorded) as the
    # official reply objects, or as plain text (an answer)
    writes_json: Callable[[EpisodeGraph, dict[str, Any]], list[Any] | str] | None = None


NOTHING: dict[str, Any] = {"": None}  # an object read as meaning no action at all

# the kinds an episode offers or records, by name, in the order they are offered
Kinds = Mapping[str, ActionKind]


def _finish_json(item: dict[str, Any]) -> dict[str, Any] | None:
    """The official `{"goal_achieved": true}` object ends the conversation (a
    `final_report` is recorded, not delivered); `goal_achieved: false` means nothing."""
    if "goal_achieved" not in item:
        return None
    if not item.get("goal_achieved"):
        return NOTHING
    report = item.get("final_report")
    return {"report": report if isinstance(report, str) else ""}


_SEND = ActionKind(
    "send_message",
    SendMessage,
    "Send a message to one user, several, or everyone. Only the addressed users see it "
    "and only they reply.",
    False,
    "@Name: message   (or @Name, Other: message, or @all: message)",
    reads_json=lambda item: (
        {"to": item["target"], "text": item["content"]}
        if "target" in item and "content" in item
        else None
    ),
    json_rank=30,
)
_FINISH = ActionKind(
    "finish",
    Finish,
    "End the conversation: every user has what they need, or nothing more can be done. "
    "An optional report is recorded, not sent to anyone.",
    True,
    '{"goal_achieved": true, "final_report": "..."}',
    reads_json=lambda item: _finish_json(item),
    json_rank=20,
    writes_json=lambda episode, args: [
        {"goal_achieved": True, "final_report": args.get("report", "")}
    ],
)
_ANSWER = ActionKind(
    "answer",
    Answer,
    "Send the one shared answer to every user. This ends the episode.",
    True,
    "the whole reply is the answer",
    writes_json=lambda episode, args: t if isinstance(t := args.get("text"), str) else "",
)

# museslang's own kinds, which every family may offer
CORE: Kinds = MappingProxyType({k.name: k for k in (_SEND, _FINISH, _ANSWER)})


def catalogue(*owners: Family | None) -> dict[str, ActionKind]:
    """Every kind these families' episodes can record: museslang's own, then each
    family's `own_actions` (None: a family not installed here brings none)."""
    found = dict(CORE)
    for family in owners:
        if family is not None:
            found.update((kind.name, kind) for kind in family.own_actions)
    return found


def kinds_of(family: str) -> dict[str, ActionKind]:
    """Every kind an episode of the family named can record (only museslang's own for a
    family not installed here: its results are still read and summarised)."""
    return catalogue(families.find(family))


def offered(family: Family, names: Iterable[str] | None = None) -> dict[str, ActionKind]:
    """The kinds the family's agent is offered (its `actions`, or these names), in that
    order: what the tools, the text protocol and the parsers of an episode read."""
    found = catalogue(family)
    wanted = family.actions if names is None else tuple(names)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ActionError(
            f"family {family.name!r} offers action {missing[0]!r}, which neither museslang "
            f"nor the family defines (known: {', '.join(found)})"
        )
    return {n: found[n] for n in wanted}


class Action(BaseModel):
    """A parsed action: its name and validated arguments."""

    name: str
    args: ActionArgs
    unaddressed: bool = False  # text mode: prose that named no recipient, sent to everyone

    def dump(self) -> dict[str, object]:
        return self.args.model_dump()


class ActionError(ValueError):
    """A tool call or text directive that names no known action or has bad arguments."""


def make_action(name: str, arguments: dict[str, Any], kinds: Kinds) -> Action:
    """The action `name` with these arguments, checked against the kinds the episode
    offers (`offered`)."""
    if name not in kinds:
        raise ActionError(f"unknown action {name!r}; this scenario allows {', '.join(kinds)}")
    kind = kinds[name]
    try:
        return Action(name=name, args=kind.args.model_validate(arguments))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or name
        got = "" if first["type"] == "missing" else f" (got {json_kind(first['input'])})"
        raise ActionError(f"{name}: {where}: {first['msg']}{got}") from None


def json_kind(value: Any) -> str:
    """A value as the model wrote it, named by its JSON type, for error messages."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             type(None): "null", int: "a number", float: "a number"}  # fmt: skip
    text = json.dumps(value, ensure_ascii=False)
    return f"{kinds.get(type(value), type(value).__name__)} {text[:60]}{'…' * (len(text) > 60)}"
