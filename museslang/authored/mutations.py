"""The damage a family written in museslang allows to the oracle's play, from its action
schemas (the mutation audit, museslang.runtime.mutations): each accepted call dropped,
each argument changed to another legal value (the next user, every other option, a
range's ends, the flag flipped, one user more or less), and each private user fact told
to another user. A damaged play that meets every goal at least as well as the oracle's
is equivalent (as good by the ground truth: the family's hard goals); metrics and soft
goals are preferences and do not decide it."""

from __future__ import annotations

from typing import Any

from museslang.authored import outcome
from museslang.expr.evaluate import show
from museslang.ir import models as ir
from museslang.ir.results import EpisodeResult
from museslang.runtime.mutations import Mutation, call_text, dropped, told, with_args

MAX_OPTIONS = 8  # other options tried per call


def mutations(episode: ir.EpisodeGraph, result: EpisodeResult) -> list[Mutation]:
    from museslang.authored.install import INSTALLED

    fam = INSTALLED[episode.family]
    actions = {a.name: a for a in fam.actions}
    users = [p.id for p in episode.participants]
    options = [o.id for o in episode.truth.authored.options] if episode.truth.authored else []
    damaged: list[tuple[str, str, EpisodeResult]] = []
    for i, record in enumerate(result.actions):
        spec = actions.get(record.name)
        if not record.ok or spec is None:
            continue
        shown = call_text(record.name, record.args)
        damaged.append(("drop", f"{shown} is dropped", dropped(result, i)))
        for p in spec.params:
            for value, how in _others(p, record.args.get(p.name), users, options):
                damaged.append(
                    (
                        "argument",
                        f"{shown} has {p.name}={how}",
                        with_args(result, i, **{p.name: value}),
                    )
                )
    for u in episode.participants:
        private = [f for f in fam.facts if f.of == "user" and f.private and f.name in u.facts]
        others = [v for v in users if v != u.id]
        for f in private if others else []:
            text = f"{u.id}'s {f.name.replace('_', ' ')} is {show(u.facts[f.name])}."
            damaged.append(
                (
                    "leak",
                    f"{u.id}'s private {f.name} is told to {others[0]}",
                    told(result, others[0], text),
                )
            )
    base = outcome.scores(fam, outcome.played(fam, episode, result))
    # the hard goals: a soft goal (`weight:`), like a metric, is a preference, not the truth
    goals = [m.name for m in fam.measures if m.kind == "goal" and m.weight is None]
    out = []
    for kind, what, r in damaged:
        got = outcome.scores(fam, outcome.played(fam, episode, r))
        same = all(_at_least(got.get(g), base.get(g)) for g in goals)
        why = "it meets every goal as well as the oracle's play" if same else None
        criteria = {g: got.get(g) for g in fam.success}
        out.append(Mutation(kind, what, r, equivalent=same, why=why, criteria=criteria))
    return out


def _at_least(got: float | None, ideal: float | None) -> bool:
    if ideal is None:
        return got is None
    return got is not None and got >= ideal - 1e-9


def _others(
    p: ir.ParamSpec, value: Any, users: list[str], options: list[str]
) -> list[tuple[Any, str]]:
    """Other legal values of a parameter than `value`, each with how it reads."""
    if p.type == "user":
        if value not in users or len(users) < 2:
            return []
        other = users[(users.index(value) + 1) % len(users)]
        return [(other, other)]
    if p.type == "option":
        return [(o, o) for o in options if str(o).lower() != str(value).lower()][:MAX_OPTIONS]
    if p.type == "flag":
        return [(not value, show(not value))]
    if p.type == "users":
        chosen = [u for u in users if u in (value or [])]
        out = [
            ([u for u in chosen if u != x], f"[{', '.join(u for u in chosen if u != x)}]")
            for x in chosen
        ]
        extra = next((u for u in users if u not in chosen), None)
        if extra is not None:
            out.append(([*chosen, extra], f"[{', '.join([*chosen, extra])}]"))
        return out
    if p.type == "text":
        return [("", "''")] if value else []
    if not isinstance(value, int | float):
        return []
    ends = [p.low, p.high] if p.low is not None and p.high is not None else [0, value * 2 + 1]
    return [(v, show(v)) for v in dict.fromkeys(ends) if v != value]
