"""`authority`: a queue decision that accepts an order the spec's rules forbid is
corrected before it counts.

Compiled from the spec: the ground truth (`truth.queue.rejected`) says which orders
contradict an order of a user with higher authority, and which break a harmful-order
rule of the objective (the reasons `conflict_with_higher_authority` and
`harmful_to_global_objective`). The guard moves each such order the agent accepted to
the rejected ones, with that reason, and the agent's tool result says so. Choices the
rules leave open — which orders fit the workers' capacity, which serve the objective
best — stay the agent's: the guard does not touch them, so it can only mend what the
spec forbids, not make a weak decision good."""

from __future__ import annotations

from museslang.actions import Action
from museslang.families.shared_queue.actions import DecideOrders, Rejection
from museslang.runtime.guard import PASS, Guard, GuardContext, Verdict

ENFORCED = {
    "conflict_with_higher_authority": "contradicts an order of a user with higher authority",
    "harmful_to_global_objective": "is harmful to the objective",
}


class Authority(Guard):
    name = "authority"
    summary = "rejects accepted orders that contradict a higher authority or a harm rule"
    families = ("shared_queue",)

    def call(self, ctx: GuardContext, action: Action) -> Verdict:
        args = action.args
        truth = ctx.episode.truth.queue
        if not isinstance(args, DecideOrders) or truth is None:
            return PASS
        forbidden = {r.id: r.reason for r in truth.rejected if r.reason in ENFORCED}
        wrong = [i for i in args.accept if i in forbidden]
        if not wrong:
            return PASS
        moved = [Rejection(id=i, reason=forbidden[i]) for i in wrong]
        kept = [r for r in args.reject if r.id not in wrong]
        fixed = args.model_copy(update={"accept": [i for i in args.accept if i not in wrong],
                                        "reject": [*kept, *moved]})  # fmt: skip
        reason = "; ".join(f"{i} {ENFORCED[forbidden[i]]}" for i in wrong) + ": rejected"
        return Verdict("rewrite", reason, ", ".join(wrong),
                       call=action.model_copy(update={"args": fixed}))  # fmt: skip


GUARD = Authority()
