"""The damage the queue's one action allows to the oracle's play (the mutation audit,
museslang.runtime.mutations): the decision dropped, and each order's decision flipped."""

from __future__ import annotations

from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.runtime.mutations import Mutation, accepted, drop_each, with_args


def mutations(episode: EpisodeGraph, result: EpisodeResult) -> list[Mutation]:
    out = drop_each(episode, result)
    truth = episode.truth.queue
    if truth is not None and not truth.accepted and out:
        # no decision lists nothing as accepted, which is what the truth says here
        out[0] = Mutation(
            out[0].kind,
            out[0].what,
            out[0].result,
            equivalent=True,
            why="the truth accepts no order; unlisted orders count as rejected",
        )
    for i in accepted(result, "decide_orders"):
        args = result.actions[i].args
        accept = [str(a) for a in args.get("accept") or []]  # type: ignore[union-attr]
        reject = [r for r in args.get("reject") or [] if isinstance(r, dict)]  # type: ignore[union-attr]
        for order in accept:
            kept = [a for a in accept if a != order]
            flipped = [*reject, {"id": order, "reason": "flipped by the audit"}]
            out.append(
                Mutation(
                    "decision",
                    f"order {order} is rejected instead of accepted",
                    with_args(result, i, accept=kept, reject=flipped),
                )
            )
        for r in reject:
            kept = [x for x in reject if x is not r]
            out.append(
                Mutation(
                    "decision",
                    f"order {r.get('id')} is accepted instead of rejected",
                    with_args(result, i, accept=[*accept, str(r.get("id"))], reject=kept),
                )
            )
    return out
