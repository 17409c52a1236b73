"""`precedence`: an answer that breaks a higher-authority user's binding constraint is
sent back to the agent before anyone gets it.

Compiled from the spec: the ground truth (`truth.constraints`) says which constraint of
a user with more authority beat a contradicting one of someone with less (its loser's
`overridden_by`). Before the answer is delivered, each such winning constraint is
verified on the text it applies to (the whole answer, or the user's part of a per-user
answer), by the same verifier the metrics use. One that fails asks the agent to answer
again, naming the constraint and whom it outranks, at most `MAX_RETRIES` times; after
that the answer goes out as written (a guard cannot write the answer for the agent), and
the metrics score it as they would without the guard."""

from __future__ import annotations

from museslang.actions import Action, Answer
from museslang.families.instruction_following.metrics import per_user_parts
from museslang.instructions.verifiers import describe, verify
from museslang.runtime.guard import MAX_RETRIES, PASS, Guard, GuardContext, Verdict


class Precedence(Guard):
    name = "precedence"
    summary = "asks again for an answer that breaks a higher-authority user's constraint"
    families = ("instruction_following",)

    def call(self, ctx: GuardContext, action: Action) -> Verdict:
        if not isinstance(action.args, Answer) or ctx.tries >= MAX_RETRIES:
            return PASS
        episode, text = ctx.episode, action.args.text
        people = {p.id: p for p in episode.participants}
        parts = per_user_parts(episode, text) if episode.protocol.answer == "per_user" else {}
        broken: list[str] = []
        for loser in episode.truth.constraints or []:
            if not loser.overridden_by:
                continue
            user, _, index = loser.overridden_by.rpartition("#")
            winner = people.get(user)
            if winner is None or not index.isdigit() or int(index) >= len(winner.constraints):
                continue
            c = winner.constraints[int(index)]
            mine = parts.get(user) if episode.protocol.answer == "per_user" else text
            if mine is None or not verify(c.id, mine, c.kwargs):
                broken.append(f"{user}'s instruction ({describe(c.id, c.kwargs)}) does not "
                              f"hold, and {user} outranks {loser.user}")  # fmt: skip
        if not broken:
            return PASS
        return Verdict("retry", "; ".join(dict.fromkeys(broken)), action.name)


GUARD = Precedence()
