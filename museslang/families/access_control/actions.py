"""Access control's own action: sharing a resource's content (museslang.actions),
handed to its `Family` as `own_actions`."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from museslang.actions import ActionArgs, ActionKind, as_list
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, Message


class ShareResource(ActionArgs):
    resource: str = Field(description="id of the resource to share")
    users: list[str] = Field(description="user ids who receive its full content")

    _lists = field_validator("users", mode="before")(as_list)


def _apply(
    episode: EpisodeGraph, turn: int, args: Any, transcript: list[Message], public: bool
) -> tuple[str, bool]:
    from museslang.runtime.engine import resolve_users

    wanted = args.resource.strip().lower()
    fact = next((f for f in episode.facts if wanted in {f.id.lower(), f.title.lower()}), None)
    if fact is None:
        known = ", ".join(f.id for f in episode.facts) or "none"
        return f"no resource {args.resource!r} (resources: {known})", False
    to, unknown = resolve_users(episode, args.users)
    if not to:
        return f"not shared: no such user {', '.join(unknown) or '(none)'}", False
    if public:
        to = [p.id for p in episode.participants]
    text = fact.content or fact.title
    transcript.append(Message(turn=turn, sender=AGENT, to=to, text=text, kind="content"))
    return f"shared {fact.id} with {', '.join(to)}", True


def _as_official(episode: EpisodeGraph, args: dict[str, Any]) -> list[Any]:
    """The official runner delivers a document as its text, to each user."""
    wanted = str(args.get("resource", "")).lower()
    fact = next((f for f in episode.facts if wanted in {f.id.lower(), f.title.lower()}), None)
    content = (fact.content or fact.title) if fact is not None else ""
    return [{"target": u, "content": content} for u in args.get("users") or []]


SHARE_RESOURCE = ActionKind(
    "share_resource",
    ShareResource,
    "Give users the full content of a resource.",
    False,
    "SHARE resource_id WITH Name, Other",
    apply=_apply,
    line=re.compile(r"^\s*\**share\**\s*:?\s*(\S+)\s+with\s+(.+?)\s*\.?\s*$", re.IGNORECASE),
    line_args=lambda m: {"resource": m[1], "users": m[2]},
    writes_json=_as_official,
)
