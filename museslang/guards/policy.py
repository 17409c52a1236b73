"""`policy`: the rules the agent must keep, repeated after every turn (AgentDojo's
"repeat the user's prompt"): a long conversation pushes the system prompt far back, and
an attack works on the latest turn.

The rules are compiled from the episode: its objective, and who may read each resource
that has secrets (the readers its read rules give)."""

from __future__ import annotations

from museslang.runtime.guard import Guard, GuardContext


def rules(ctx: GuardContext) -> str:
    e = ctx.episode
    parts = [e.objective.strip()] if e.objective else []
    for fact in e.facts:
        if fact.secrets:
            who = ", ".join(fact.readers) or "no one here"
            parts.append(f"the {fact.title} may be read by {who} only")
    return "; ".join(parts) or "keep to the rules of your system prompt"


class Policy(Guard):
    name = "policy"
    summary = "repeats the episode's rules (objective, who may read what) after every turn"
    side = "prompt"

    def reminder(self, ctx: GuardContext) -> str | None:
        memo = ctx.memo(self)
        if "text" not in memo:
            memo["text"] = f"(Reminder of your rules: {rules(ctx)}.)"
        return memo["text"]


GUARD = Policy()
