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
    return measured(m, w)[0]


def measured(m: MeasureSpec, w: World) -> tuple[float | None, str | None]:
    """`measure`, and why it could not be evaluated when it could not (a division by
    zero). A goal that cannot be evaluated is not met (for that user, per user): a goal
    nobody can check must never count as passed. A metric that cannot be evaluated has no
    value. Either way the reason is kept on the result (`unevaluated`)."""
    goal = m.kind == "goal"
    if m.per == "episode":
        try:
            return _score(evaluate(m.value, w)), None
        except EvalError as exc:
            return (0.0 if goal else None), str(exc)
    values: list[float | None] = []
    why: str | None = None
    for u in w.users:
        try:
            if m.where is not None and not evaluate(m.where, w, {"u": u}):
                continue
            values.append(_score(evaluate(m.value, w, {"u": u})))
        except EvalError as exc:
            why = why or f"{exc} (for {u.id})"
            if not goal:
                return None, why
            values.append(0.0)
    if not values:
        return None, why
    return sum(v for v in values if v is not None) / len(values), why


def _score(value: Any) -> float | None:
    if value is None:
        return None
    return float(number(value))


def scores(family: AuthoredFamily, w: World) -> dict[str, float | None]:
    """Every goal and metric, and `success`: 1.0 when every success goal is fully met (a
    goal about no user at all counts as met)."""
    return scored(family, w)[0]


def scored(family: AuthoredFamily, w: World) -> tuple[dict[str, float | None], dict[str, str]]:
    """`scores`, and for each goal or metric that could not be evaluated, why."""
    values: dict[str, float | None] = {}
    unevaluated: dict[str, str] = {}
    for m in family.measures:
        values[m.name], why = measured(m, w)
        if why is not None:
            unevaluated[m.name] = why
    met = all(values.get(s) in (None, 1.0) for s in family.success)
    # museslang's own success first, and never replaced by a declaration named like it
    computed = {k: v for k, v in values.items() if k != SUCCESS}
    return {SUCCESS: 1.0 if met else 0.0} | computed, unevaluated
