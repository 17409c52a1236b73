"""An episode's outcome as a family's expressions read it, and its goals and metrics.

Only what the run stored is read: the actions the engine accepted and the messages the
agent sent, so `rescore` recomputes every value from `results.jsonl`.
"""

from __future__ import annotations

from typing import Any

from museslang.expr.evaluate import (
    CallV,
    EvalError,
    OptionV,
    UserV,
    World,
    evaluate,
    holds,
    number,
)
from museslang.ir.models import (
    AuthoredFamily,
    AuthoredTruth,
    EpisodeGraph,
    MeasureSpec,
    OptionSpec,
    Participant,
)
from museslang.ir.results import AGENT, EpisodeResult

SUCCESS = "success"


def world(family: AuthoredFamily, episode: EpisodeGraph) -> World:
    """The episode before anything happened: its users, options and facts."""
    return world_of(family, episode.participants, episode.truth.authored)


def world_of(
    family: AuthoredFamily, participants: list[Participant], truth: AuthoredTruth | None
) -> World:
    """The same, from an episode's parts (while the compiler is still building it). A
    fact of type `option` holds an option's id; here it becomes that option (`u.shift.hours`
    reads it), or `none` for an id the catalogue lacks (the check refuses such ids)."""
    options = catalogue(family, truth.options if truth else [])
    users = [
        UserV(
            p.id,
            p.role,
            p.authority,
            p.attendance == "required",
            resolved(family, "user", p.facts, options),
        )
        for p in participants
    ]
    keys = {
        a.name: next((p.name for p in a.params if p.type == "user"), None) for a in family.actions
    }
    facts = resolved(family, "scenario", truth.facts if truth else {}, options)
    private = frozenset((f.of, f.name) for f in family.facts if f.private)
    phrasings = {
        (f.of, f.name): {k.lower(): list(v) for k, v in f.leaks_as.items()}
        for f in family.facts
        if f.leaks_as
    }
    return World(users, options, facts, keys=keys, private=private, phrasings=phrasings)


def catalogue(family: AuthoredFamily, options: list[OptionSpec]) -> list[OptionV]:
    """The scenario's options as values; an option's own `option` facts name another."""
    plain = [OptionV(o.id, o.title, dict(o.facts)) for o in options]
    return [OptionV(o.id, o.title, resolved(family, "option", o.facts, plain)) for o in plain]


def resolved(
    family: AuthoredFamily, of: str, facts: dict[str, Any], options: list[OptionV]
) -> dict[str, Any]:
    """Facts as expressions read them: an `option` fact's id as the option it names."""
    kinds = {f.name for f in family.facts if f.of == of and f.type == "option"}
    if not kinds:
        return dict(facts)
    return {k: (as_option(v, options) if k in kinds else v) for k, v in facts.items()}


def as_option(value: Any, options: list[OptionV]) -> OptionV | None:
    """The option a value names (an option already, or its id, in any case), or None."""
    if isinstance(value, OptionV) or value is None:
        return value
    wanted = str(value).lower()
    return next((o for o in options if o.id.lower() == wanted), None)


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
        else:
            w.heard[m.sender] = w.heard.get(m.sender, "") + "\n" + m.text
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
            return value_of(m, w), None
        except EvalError as exc:
            return (0.0 if goal else None), str(exc)
    values: list[float | None] = []
    why: str | None = None
    for u in w.users:
        try:
            if m.where is not None and not evaluate(m.where, w, {"u": u}):
                continue
            values.append(value_of(m, w, {"u": u}))
        except EvalError as exc:
            why = why or f"{exc} (for {u.id})"
            if not goal:
                return None, why
            values.append(0.0)
    if not values:
        return None, why
    return sum(v for v in values if v is not None) / len(values), why


def value_of(m: MeasureSpec, w: World, scope: dict[str, Any] | None = None) -> float | None:
    """One evaluation of a goal (1 or 0: a goal that reads a call never made is not met)
    or of a metric (its number)."""
    if m.kind == "goal":
        return 1.0 if holds(m.value, w, scope) else 0.0
    return _score(evaluate(m.value, w, scope))


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
