"""`acl`: never deliver a secret, or a declared alias of it, to a user who may not read it.

Compiled from the spec: what the episode's family protects (`metrics.leak_record.
protected`: each secret span of each resource with the readers its read rules give, each
private fact of a family written in museslang with its owner) is searched for in every
message before it is delivered, by the same tests the leak records use (exact, tokens,
alias, pattern: `metrics.leaks`), so a message the guard lets through is one the scorer
finds no leak in. Each found span is cut out (`WITHHELD` stands in its place) for the
recipients who may not read it; the recipients who may get the message as written. A
message with nothing left for someone is not delivered to them.

What it cannot do: see a secret the model paraphrases beyond its declared aliases and
patterns (docs/guards.md); a leak judge may still find one.
"""

from __future__ import annotations

from museslang.ir.results import AGENT, Message
from museslang.metrics.leak_record import Delivery, Protected, protected
from museslang.metrics.leaks import Scanned, scan
from museslang.runtime.guard import PASS, Guard, GuardContext, Verdict

WITHHELD = "[withheld]"
MAX_CUTS = 64  # spans cut from one message before the guard gives up and withholds it all


def redact(text: str, secrets: list[Protected], delivery: Delivery,
           scanned: Scanned | None = None) -> tuple[str, list[str]]:  # fmt: skip
    """The text with every span of these secrets cut out, and which secrets were cut
    (resource: test). Cuts until no test fires, so what is left reveals none of them.
    `scanned`: the text already scanned (one message goes to several groups of readers)."""
    cut: list[str] = []
    for _ in range(MAX_CUTS):
        scanned = scanned if scanned is not None and scanned.text == text else scan(text)
        for p in secrets:
            found = p.find(scanned, delivery)
            if found is not None:
                start, end = found.span
                text = text[:start] + WITHHELD + text[end:]
                cut.append(f"{p.resource} ({found.test})")
                break
        else:
            return text, cut
    return "", cut


class Acl(Guard):
    name = "acl"
    summary = "cuts every secret span (or alias of one) from what reaches a non-reader"

    def _protected(self, ctx: GuardContext) -> list[Protected]:
        # what a family protects may depend on what has happened (a fact written in
        # museslang is told by whoever holds it): prepared once per turn, or once per
        # episode when none of it does
        memo = ctx.memo(self)
        if memo.get("turn") != ctx.turn and memo.get("fixed") is None:
            secrets = protected(ctx.episode, ctx.result())
            memo["turn"], memo["secrets"] = ctx.turn, secrets
            if not any(p.per_play for p in secrets):
                memo["fixed"] = True  # none depends on the play: kept for the episode
        return memo["secrets"]

    def message(self, ctx: GuardContext, message: Message) -> Verdict:
        if message.sender != AGENT:
            return PASS
        secrets = self._protected(ctx)
        if not secrets:
            return PASS
        # recipients who may not read the same secrets get the same copy
        groups: dict[frozenset[int], list[str]] = {}
        for user in message.to:
            denied = frozenset(i for i, p in enumerate(secrets) if user not in p.readers)
            groups.setdefault(denied, []).append(user)
        copies: list[Message] = []
        dropped: list[str] = []
        why: dict[str, list[str]] = {}  # what was cut -> from whom
        scanned = scan(message.text)  # once, for every group of recipients
        seen: dict[int, bool] = {}  # secret -> found in the text (those read once per text)

        def found(i: int, delivery: Delivery) -> bool:
            p = secrets[i]
            if not p.per_recipient and i in seen:
                return seen[i]
            hit = p.find(scanned, delivery) is not None
            if not p.per_recipient:
                seen[i] = hit
            return hit

        for denied, users in groups.items():
            channel = "content" if message.kind == "content" else "message"
            delivery = Delivery(users[0], message.turn, channel, None, message.text)
            if not denied or not any(found(i, delivery) for i in sorted(denied)):
                copies.append(message.model_copy(update={"to": users}))
                continue
            text, cut = redact(message.text, [secrets[i] for i in sorted(denied)], delivery,
                               scanned)  # fmt: skip
            if not cut:
                copies.append(message.model_copy(update={"to": users}))
                continue
            why.setdefault(", ".join(sorted(set(cut))), []).extend(users)
            if text.replace(WITHHELD, "").strip(" \n\t.,;:-"):
                copies.append(message.model_copy(update={"to": users, "text": text}))
            else:
                dropped += users
        if not why:
            return PASS
        reason = "; ".join(f"{cut} withheld from {', '.join(users)}" for cut, users in why.items())
        reason += " (not entitled to read it)"
        if not copies:
            return Verdict("block", reason, ", ".join(dropped))
        return Verdict("rewrite", reason, ", ".join(u for g in groups.values() for u in g),
                       messages=tuple(copies))  # fmt: skip


GUARD = Acl()
