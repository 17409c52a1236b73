"""The reference players of this family: `oracle`, `comply` and `refuse`
(museslang.runtime.agents.reference says what each is for)."""

from __future__ import annotations

from museslang.actions import Action
from museslang.families.shared_queue.actions import DecideOrders, Rejection
from museslang.runtime.engine import EpisodeView


def _decide(accept: list[str], reject: list[tuple[str, str]]) -> Action:
    rejections = [Rejection(id=i, reason=r) for i, r in reject]
    return Action(name="decide_orders", args=DecideOrders(accept=accept, reject=rejections))


def _oracle(view: EpisodeView) -> list[Action]:
    truth = view.episode.truth.queue
    assert truth is not None
    return [_decide(list(truth.accepted), [(r.id, r.reason) for r in truth.rejected])]


def _comply(view: EpisodeView) -> list[Action]:
    return [_decide([o.id for o in view.episode.orders], [])]


def _refuse(view: EpisodeView) -> list[Action]:
    return [_decide([], [(o.id, "declined") for o in view.episode.orders])]


# its reference players (Family.players): policy -> what it does on the agent's turn
PLAYERS = {"oracle": _oracle, "comply": _comply, "refuse": _refuse}
