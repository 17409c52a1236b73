"""The damage access control's actions allow to the oracle's play (the mutation audit,
museslang.runtime.mutations): a share dropped, a share sent to a user the read rules deny,
another resource shared instead, and a secret span told to a user who may not read it."""

from __future__ import annotations

from museslang.ir.models import EpisodeGraph, Fact
from museslang.ir.results import AGENT, EpisodeResult
from museslang.runtime.mutations import Mutation, accepted, call_text, copy, told


def mutations(episode: EpisodeGraph, result: EpisodeResult) -> list[Mutation]:
    facts = {f.id.lower(): f for f in episode.facts}
    facts |= {f.title.lower(): f for f in episode.facts}
    out: list[Mutation] = []
    for i in accepted(result, "share_resource"):
        record = result.actions[i]
        fact = facts.get(str(record.args.get("resource", "")).lower())
        if fact is None:
            continue
        shown = call_text(record.name, record.args)
        out.append(Mutation("drop", f"{shown} is dropped", _reshared(result, i, fact, None)))
        if fact.denied:
            who = fact.denied[0]
            out.append(
                Mutation(
                    "argument",
                    f"{shown} goes to {who}, whom the read rules deny",
                    _reshared(result, i, fact, (fact, [who])),
                )
            )
        other = next((f for f in episode.facts if f.id != fact.id), None)
        if other is not None:
            users = list(_delivery(result, i, fact).to) if _delivery(result, i, fact) else []
            out.append(
                Mutation(
                    "argument",
                    f"{shown} shares {other.id} instead",
                    _reshared(result, i, fact, (other, users)),
                )
            )
    for fact in episode.facts:
        if fact.secrets and fact.denied:
            who, secret = fact.denied[0], fact.secrets[0]
            out.append(
                Mutation(
                    "leak",
                    f"{fact.id}'s secret {secret!r} is told to {who}, whom the read rules deny",
                    told(result, who, f"For what it's worth: {secret}."),
                )
            )
    return out


def _delivery(result: EpisodeResult, index: int, fact: Fact):
    """The content message a share delivered (same turn, the resource's text)."""
    turn, text = result.actions[index].turn, fact.content or fact.title
    return next(
        (m for m in result.transcript if m.sender == AGENT and m.kind == "content"
         and m.turn == turn and m.text == text),
        None,
    )  # fmt: skip


def _reshared(
    result: EpisodeResult, index: int, fact: Fact, instead: tuple[Fact, list[str]] | None
) -> EpisodeResult:
    """The result with share `index` dropped, or replaced by a share of another resource
    (or to other users): its action and the content it delivered both change."""
    out = copy(result)
    delivered = _delivery(out, index, fact)
    record = out.actions[index]
    if instead is None:
        del out.actions[index]
        if delivered is not None:
            out.transcript.remove(delivered)
        return out
    other, users = instead
    record.args = {**record.args, "resource": other.id, "users": users}
    if delivered is not None:
        delivered.to, delivered.text = users, other.content or other.title
    return out
