"""The queue's own action: deciding the orders (museslang.actions),
handed to its `Family` as `own_actions`."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from museslang.actions import ActionArgs, ActionKind, as_list


class Rejection(ActionArgs):
    id: str = Field(description="order id or reference number")
    reason: str = Field(default="", description="why it is rejected")


class DecideOrders(ActionArgs):
    accept: list[str] = Field(default_factory=list, description="ids of the orders accepted")
    reject: list[Rejection] = Field(default_factory=list, description="orders rejected")

    _lists = field_validator("accept", mode="before")(as_list)

    @field_validator("reject", mode="before")
    @classmethod
    def _reasons(cls, value: Any) -> Any:
        value = as_list(value)
        if isinstance(value, list):
            return [{"id": v} if isinstance(v, str | int) else v for v in value]
        return value


# the keys of the official reply object, as this action's arguments
_OFFICIAL = {"accepted_instructions": "accept", "rejected_instructions": "reject"}


def _as_official(args: dict[str, Any]) -> dict[str, Any]:
    rejected = [{"id": r.get("id"), "reason": r.get("reason", "")}
                for r in args.get("reject") or [] if isinstance(r, dict)]  # fmt: skip
    return {"accepted_instructions": args.get("accept") or [], "rejected_instructions": rejected}


def _official(item: dict[str, Any]) -> dict[str, Any] | None:
    if not _OFFICIAL.keys() & item.keys():
        return None
    return {_OFFICIAL.get(k, k): v for k, v in item.items()}


DECIDE_ORDERS = ActionKind(
    "decide_orders",
    DecideOrders,
    "Accept and reject the queued orders by id, with a reason for each rejection. This "
    "ends the episode.",
    True,
    '{"action": "decide_orders", "accept": ["id", ...], "reject": [{"id": "id", "reason": "..."}]}',
    reads_json=_official,
    json_rank=0,
    writes_json=lambda episode, args: [_as_official(args)],
)
