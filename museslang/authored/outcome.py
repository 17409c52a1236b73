"""An episode's outcome as a family's expressions read it, and its goals and metrics.

Only what the run stored is read: the actions the engine accepted and the messages the
agent sent, so `rescore` recomputes every value from `results.jsonl`.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

from museslang.expr import nodes as E
from museslang.expr.evaluate import (
    CallV,
    EvalError,
    OptionV,
    UserV,
    World,
    evaluate,
    holds,
    number,
    parsed,
)
from museslang.expr.temporal import TEMPORAL
from museslang.ir.models import (
    AuthoredFamily,
    AuthoredTruth,
    EpisodeGraph,
    FunctionSpec,
    MeasureSpec,
    OptionSpec,
    Participant,
)
from museslang.ir.results import AGENT, EpisodeResult

SUCCESS = "success"
# the weighted share of a family's soft goals met (goals with `weight:`), when it has any
PREFERENCES = "preferences"


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
    for u in users:  # a `user` fact holds a user's name: here, that user
        u.facts.update(resolved(family, "user", u.facts, options, users))
    keys = {a.name: tuple(p.name for p in a.params if p.type == "user") for a in family.actions}
    facts = resolved(family, "scenario", truth.facts if truth else {}, options, users)
    private = frozenset((f.of, f.name) for f in family.facts if f.private)
    phrasings = {
        (f.of, f.name): {k.lower(): list(v) for k, v in f.leaks_as.items()}
        for f in family.facts
        if f.leaks_as
    }
    return World(users, options, facts, keys=keys, private=private, phrasings=phrasings,
                 defs=defs_of(family))  # fmt: skip


def defs_of(family: AuthoredFamily) -> dict[str, FunctionSpec]:
    """The family's defs by name, as its expressions call them."""
    return {d.name: d for d in family.defs}


def catalogue(family: AuthoredFamily, options: list[OptionSpec]) -> list[OptionV]:
    """The scenario's options as values; an option's own `option` facts name another."""
    plain = [OptionV(o.id, o.title, dict(o.facts)) for o in options]
    return [OptionV(o.id, o.title, resolved(family, "option", o.facts, plain)) for o in plain]


def resolved(
    family: AuthoredFamily,
    of: str,
    facts: dict[str, Any],
    options: list[OptionV],
    users: list[UserV] | None = None,
) -> dict[str, Any]:
    """Facts as expressions read them: an `option` fact's id as the option it names, and
    (once the users are known) a `user` fact's name as the user it names."""
    kinds = {f.name: f.type for f in family.facts if f.of == of and f.type in ("option", "user")}
    if not kinds:
        return dict(facts)
    out = dict(facts)
    for k, v in facts.items():
        if kinds.get(k) == "option":
            out[k] = as_option(v, options)
        elif kinds.get(k) == "user" and users is not None:
            out[k] = as_user(v, users)
    return out


def as_user(value: Any, users: list[UserV]) -> UserV | None:
    """The user a value names (a user already, or a name, in any case), or None."""
    if isinstance(value, UserV) or value is None:
        return value
    wanted = str(value).lower()
    return next((u for u in users if u.id.lower() == wanted), None)


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
    if reads_the_conversation(family):
        w.moments = _moments_of_run(family, w, result)
    return w


def reads_the_conversation(family: AuthoredFamily) -> bool:
    """Whether any goal, metric or guard judges the conversation as it went (always,
    before, ...): only then are an episode's moments built."""
    texts = [t for m in family.measures for t in (m.value, m.where) if t]
    texts += [t for g in family.guards for t in (g.never, g.where) if t]
    texts += [d.value for d in family.defs]  # a def they call may judge it
    return any(_temporal(t) for t in texts)


@lru_cache(maxsize=4096)
def _temporal(text: str) -> bool:
    try:
        node = parsed(text)
    except E.ExprError:
        return False
    return any(isinstance(n, E.Call) and n.fn in TEMPORAL for n in E.walk(node))


class _Timeline:
    """The moments of one episode, built event by event (expr/temporal.py)."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.calls: dict[str, list[CallV]] = {}
        self.told: dict[str, str] = {}
        self.heard: dict[str, str] = {}
        self.moments = [self.snapshot(0)]

    def snapshot(self, turn: int) -> World:
        return dataclasses.replace(
            self.w,
            calls={k: list(v) for k, v in self.calls.items()},
            told=dict(self.told),
            heard=dict(self.heard),
            moments=[],
            turn=turn,
        )

    def sent(self, to: list[str], text: str, turn: int) -> None:
        for uid in to:
            self.told[uid] = self.told.get(uid, "") + "\n" + text
        self.moments.append(self.snapshot(turn))

    def called(self, name: str, call: CallV, turn: int) -> None:
        self.calls.setdefault(name, []).append(call)
        self.moments.append(self.snapshot(turn))

    def wrote(self, uid: str, text: str, turn: int) -> None:
        self.heard[uid] = self.heard.get(uid, "") + "\n" + text
        self.moments.append(self.snapshot(turn))


def _moments_of_run(family: AuthoredFamily, w: World, result: EpisodeResult) -> list[World]:
    """Turn by turn: the agent's messages and accepted calls in the order it made them,
    then the users' replies of that turn (turn 0: the greeting and the openings)."""
    line = _Timeline(w)
    names = {a.name for a in family.actions}
    turns = sorted({m.turn for m in result.transcript} | {a.turn for a in result.actions})
    for t in turns:
        agent = iter([m for m in result.transcript if m.turn == t and m.sender == AGENT])
        for record in (a for a in result.actions if a.turn == t and a.ok):
            if record.name == "send_message":
                m = next(agent, None)
                if m is not None:
                    line.sent(m.to, m.text, t)
            elif record.name in names:
                line.called(record.name, call_value(w, family, record.name, record.args), t)
        for m in agent:  # what no send_message accounts for (content, unaddressed prose)
            line.sent(m.to, m.text, t)
        for m in result.transcript:
            if m.turn == t and m.sender != AGENT:
                line.wrote(m.sender, m.text, t)
    return line.moments


def moments_of_play(
    family: AuthoredFamily,
    w: World,
    told: dict[str, str],
    calls: list[tuple[str, CallV]],
    asked: dict[str, str] | None = None,
    turn: int = 1,
) -> list[World]:
    """A reference play's moments, as it makes them: what an `on: reply` play asks on its
    first turn, then on the turn it acts its messages (`tell:`), then its calls."""
    line = _Timeline(w)
    for uid, text in (asked or {}).items():
        line.sent([uid], text, 1)
    for uid, text in told.items():
        line.sent([uid], text, turn)
    for name, call in calls:
        line.called(name, call, turn)
    return line.moments


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
    computed = {k: v for k, v in values.items() if k not in (SUCCESS, PREFERENCES)}
    soft = [(m.weight, values.get(m.name)) for m in family.measures if m.weight is not None]
    if soft:
        scored_soft = [(w, v) for w, v in soft if v is not None]
        total = sum(w for w, _ in scored_soft)
        computed[PREFERENCES] = sum(w * v for w, v in scored_soft) / total if total else None
    return {SUCCESS: 1.0 if met else 0.0} | computed, unevaluated


def metric_names(family: AuthoredFamily) -> list[str]:
    """What a family written in museslang scores: success, its goals and metrics, and
    `preferences` when it has soft goals."""
    names = [SUCCESS, *(m.name for m in family.measures)]
    return [*names, PREFERENCES] if any(m.weight is not None for m in family.measures) else names
