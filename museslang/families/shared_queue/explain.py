"""Why a shared-queue episode failed, and its ground truth beside the transcript: which
orders must be accepted, which rejected and why, each user's rank and orders
(museslang.report.explain)."""

from __future__ import annotations

from museslang.families.shared_queue import metrics
from museslang.ir.explanation import Explanation, Failure, rank
from museslang.ir.models import EpisodeGraph, Order
from museslang.ir.results import EpisodeResult
from museslang.report.explain import number

SHOWN = 12  # orders named in a truth line before "and N more"


def _tag(o: Order) -> str:
    return f"{o.id} [ref: {o.ref}]" if o.ref else o.id


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return (", ".join(items[:SHOWN]) or "none") + more


def _order_message(o: Order, result: EpisodeResult) -> tuple[int | None, tuple[int, int] | None]:
    """The user's message that carries the order, and where its text stands in it."""
    for i, m in enumerate(result.transcript):
        if m.sender != o.by:
            continue
        for needle in (o.text, f"[ref: {o.ref}]" if o.ref else None):
            at = m.text.find(needle) if needle else -1
            if needle and at >= 0:
                return i, (at, at + len(needle))
    return None, None


def explain(episode: EpisodeGraph, result: EpisodeResult) -> Explanation:
    truth = episode.truth.queue
    should_accept, _ = metrics._truth(episode)
    why = {r.id: r.reason for r in truth.rejected} if truth else {}
    orders = {o.id: o for o in episode.orders}
    lines = [
        (
            "accept",
            _listed([_tag(orders[i]) for i in (truth.accepted if truth else []) if i in orders]),
        ),
        ("reject", _listed([f"{_tag(orders[r])} ({why[r]})" for r in why if r in orders])),
    ]
    lines += [
        (f.id, f"{f.title}: capacity {f.capacity}") for f in episode.facts if f.capacity is not None
    ]
    people: dict[str, list[str]] = {}
    for p in episode.participants:
        said = rank(p)
        for o in episode.orders:
            if o.by == p.id:
                verdict = "accept" if o.id in should_accept else f"reject: {why.get(o.id, '?')}"
                said.append(f"{_tag(o)} → {verdict}")
        people[p.id] = said
    got = Explanation(truth=lines, people=people)
    if not any(a.name == "decide_orders" and a.ok for a in result.actions):
        got.reason = f"no decision was made on the {len(episode.orders)} orders"
        got.failures.append(Failure("accuracy", got.reason))
        return got
    decided = metrics.decided(episode, result)
    wrong = []
    for o in episode.orders:
        state = (
            "accepted"
            if o.id in decided.accepted
            else "rejected"
            if o.id in decided.rejected
            else "left undecided"
        )
        should = "accepted" if o.id in should_accept else "rejected"
        if state != should:
            reason = "" if should == "accepted" else f" ({why.get(o.id, '?')})"
            message, span = _order_message(o, result)
            wrong.append(
                Failure(
                    "accuracy",
                    f"order {_tag(o)} by {o.by} should be {should}{reason} but was {state}",
                    message,
                    span,
                    o.by,
                )
            )
    got.failures += wrong
    if decided.unknown:
        got.failures.append(Failure("precision", "named no order: " + ", ".join(decided.unknown)))
    over = result.metrics.get("capacity_violations")
    if isinstance(over, float) and over > 0:
        got.failures.append(
            Failure(
                "capacity_violations", f"{number(over)} accepted orders beyond a worker's capacity"
            )
        )
    if wrong:
        many = f"{len(wrong)} of {len(episode.orders)} orders decided wrongly; first: "
        got.reason = (many if len(wrong) > 1 else "") + wrong[0].detail
    elif got.failures:
        got.reason = got.failures[0].detail
    return got
