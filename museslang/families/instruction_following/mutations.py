"""The damage an instruction-following answer allows (the mutation audit,
museslang.runtime.mutations): the answer dropped, a user's part of a per-user answer left
out, and each binding constraint broken in turn: the oracle's text changed by the first
edit (upper case, lower case, cut in half, commas added or removed, ...) that the
constraint's own verifier rejects. A constraint no edit breaks is not tried."""

from __future__ import annotations

import json
from collections.abc import Callable

from museslang.families.instruction_following.metrics import answer_text, per_user_parts
from museslang.instructions.verifiers import verify
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.runtime.mutations import Mutation, accepted, copy, drop_each

EDITS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("in upper case", str.upper),
    ("in lower case", str.lower),
    ("cut in half", lambda t: t[: len(t) // 2]),
    ("with a clause added", lambda t: t + " Also, and, however, see you soon, thanks, bye."),
    ("without its commas", lambda t: t.replace(",", "")),
    ("twice over", lambda t: t + "\n\n" + t),
    ("as one line", lambda t: " ".join(t.split())),
    ("wrapped in quotes", lambda t: f'"{t}"'),
    ("as a JSON string", lambda t: json.dumps({"answer": t})),
    ("emptied", lambda t: ""),
)


def mutations(episode: EpisodeGraph, result: EpisodeResult) -> list[Mutation]:
    out = drop_each(episode, result)
    answers = accepted(result, "answer")
    text = answer_text(result)
    if not answers or text is None:
        return out
    index = answers[-1]
    per_user = episode.protocol.answer == "per_user"
    parts = per_user_parts(episode, text) if per_user else {}
    people = {p.id: p for p in episode.participants}
    if per_user:
        bound = {c.user for c in episode.truth.constraints or [] if c.binding}
        for user in parts:
            rest = {u: t for u, t in parts.items() if u != user}
            free = user not in bound  # nothing of theirs is scored (a conflict they lost)
            out.append(
                Mutation(
                    "constraint",
                    f"{user}'s part of the answer is left out",
                    _answered(result, index, text, json.dumps(rest)),
                    equivalent=free,
                    why=f"no constraint of {user}'s binds" if free else None,
                )
            )
    for c in episode.truth.constraints or []:
        if not c.binding:
            continue
        rule = people[c.user].constraints[c.index]
        mine = parts.get(c.user, "") if per_user else text
        for how, edit in EDITS:
            broken = edit(mine)
            if verify(rule.id, broken, rule.kwargs):
                continue
            new = json.dumps({**parts, c.user: broken}) if per_user else broken
            whose = f"{c.user}'s part of the answer" if per_user else "the answer"
            out.append(
                Mutation(
                    "constraint",
                    f"{whose} {how} breaks {c.user}'s {rule.id}",
                    _answered(result, index, text, new),
                )
            )
            break
    return out


def _answered(result: EpisodeResult, index: int, old: str, new: str) -> EpisodeResult:
    """The result with answer `index` saying `new` (its action and the message it sent)."""
    out = copy(result)
    out.actions[index].args = {**out.actions[index].args, "text": new}
    for m in out.transcript:
        if m.text == old:
            m.text = new
    return out
