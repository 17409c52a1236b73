"""An episode's outcome as a family's expressions read it, and its goals and metrics.

Only what the run stored is read: the actions the engine accepted and the messages the
agent sent, so `rescore` recomputes every value from `results.jsonl`.
"""

from __future__ import annotations

from typing import Any

from museslang.authored.evaluate import CallV, EvalError, OptionV, UserV, World, evaluate, number
from museslang.ir.models import (
    AuthoredFamily,
    AuthoredTruth,
    EpisodeGraph,
    MeasureSpec,
    Participant,
)
from museslang.runtime.transcript import AGENT, EpisodeResult

SUCCESS = "success"


def world(family: AuthoredFamily, episode: EpisodeGraph) -> World:
    """The episode before anything happened: its users, options and facts."""
    return world_of(family, episode.participants, episode.truth.authored)


def world_of(
    family: AuthoredFamily, participants: list[Participant], truth: AuthoredTruth | None
) -> World:
    """The same, from an episode's parts (while the compiler is still building it)."""
    users = [
        UserV(p.id, p.role, p.authority, p.attendance == "required", dict(p.facts))
        for p in participants
    ]
    options = [OptionV(o.id, o.title, dict(o.facts)) for o in (truth.options if truth else [])]
    keys = {
        a.name: next((p.name for p in a.params if p.type == "user"), None) for a in family.actions
    }
    return World(users, options, dict(truth.facts) if truth else {}, keys=keys)


def call_value(w: World, family: AuthoredFamily, action: str, args: dict[str, Any]) -> CallV:
    """A stored call's arguments as values: user and option ids become the user or option
    (matched case-insensitively, as the engine accepted them)."""
    spec = next(a for a in family.actions if a.name == action)
    users = {u.id.lower(): u for u in w.users}
    options = {o.id.lower(): o for o in w.options}
    values: dict[str, Any] = {}
    for p in spec.params:
        raw = args.get(p.name)
        if p.type == "user":
            values[p.name] = users.get(str(raw).lower()) if raw is not None else None
        elif p.type == "option":
            values[p.name] = options.get(str(raw).lower()) if raw is not None else None
        elif p.type == "users":
            values[p.name] = [users[str(r).lower()] for r in raw or [] if str(r).lower() in users]
        else:
            values[p.name] = raw
    return CallV(action, values)


def played(family: AuthoredFamily, episode: EpisodeGraph, result: EpisodeResult) -> World:
    """The world after the run: the accepted calls and what each user was sent."""
    w = world(family, episode)
    names = {a.name for a in family.actions}
    for record in result.actions:
        if record.ok and record.name in names:
            w.calls.setdefault(record.name, []).append(
                call_value(w, family, record.name, record.args)
            )
    for m in result.transcript:
        if m.sender == AGENT:
            for uid in m.to:
                w.told[uid] = w.told.get(uid, "") + "\n" + m.text
    return w


def measure(m: MeasureSpec, w: World) -> float | None:
    """A goal's share met, or a metric's value (per user: the mean over its users)."""
    try:
        if m.per == "episode":
            return _score(evaluate(m.value, w))
        chosen = [u for u in w.users if m.where is None or evaluate(m.where, w, {"u": u})]
        if not chosen:
            return None
        values = [_score(evaluate(m.value, w, {"u": u})) for u in chosen]
        return sum(v for v in values if v is not None) / len(values)
    except EvalError:
        return None


def _score(value: Any) -> float | None:
    if value is None:
        return None
    return float(number(value))


def scores(family: AuthoredFamily, w: World) -> dict[str, float | None]:
    """Every goal and metric, and `success`: 1.0 when every success goal is fully met (a
    goal about no user at all counts as met)."""
    values = {m.name: measure(m, w) for m in family.measures}
    met = all(values.get(s) in (None, 1.0) for s in family.success)
    return {SUCCESS: 1.0 if met else 0.0} | values
