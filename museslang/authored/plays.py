"""Reference players of a family written in museslang: what a `play` does in an episode.

A play is either declared calls (`each:` a binding, each parameter an expression) or a
search: every call of one action over the episode's finite choices is scored, and the
best one kept; with `each:`, every set of calls, one per element of the binding, and the
best set kept (a roster: one call per nurse, scored as a whole). Best means success
first, then each success goal, then the other goals, then the soft goals' weighted share
(`preferences`) and each soft goal, then the metrics, in declared order; the first of
equals wins, so the result is deterministic.
"""

from __future__ import annotations

from typing import Any

from museslang.authored.outcome import PREFERENCES, SUCCESS, call_value, scores
from museslang.diagnostics import InputError
from museslang.expr import nodes as E
from museslang.expr.evaluate import OptionV, UserV, World, evaluate, parsed
from museslang.expr.search import (
    CALL_STEPS,
    MAX_SEARCH,
    bound_param,
    joint_space,
    search_space,
)
from museslang.ir.models import AuthoredFamily, PlaySpec


class PlayError(InputError):
    """A play that cannot be carried out in this episode (its search is too large)."""


Call = tuple[str, dict[str, Any]]  # action, arguments as the agent would write them


def as_json(value: Any) -> Any:
    if isinstance(value, UserV | OptionV):
        return value.id
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def calls_of(family: AuthoredFamily, play: PlaySpec, w: World) -> list[Call]:
    """The play's calls in this episode, ending with the family's ending action when the
    play takes none and that action needs no arguments."""
    out: list[Call] = []
    if play.search is not None and play.each is not None:
        out += [(play.search, args) for args in joint(family, play.search, play.each, w)]
    elif play.search is not None:
        out.append((play.search, search(family, play.search, w)))
    for call in play.calls:
        for scope in _each(call.each, w):
            args = {k: as_json(evaluate(text, w, scope)) for k, text in call.args.items()}
            out.append((call.action, args))
    ending = {a.name: a for a in family.actions if a.ends}
    if not any(name in ending for name, _ in out):
        bare = next((a for a in ending.values() if not a.params), None)
        if bare is not None:
            out.append((bare.name, {}))
    return out


def _each(binding: str | None, w: World) -> list[dict[str, Any]]:
    if binding is None:
        return [{}]
    node = parsed(f"count({binding}: true)")
    assert isinstance(node, E.Call) and node.binding is not None
    b = node.binding
    from museslang.expr.evaluate import Evaluator

    ev = Evaluator(w)
    out = []
    for item in ev.eval(b.domain, {}) or []:
        scope = {b.var: item}
        if b.where is None or ev.eval(b.where, scope):
            out.append(scope)
    return out


def search(family: AuthoredFamily, action: str, w: World) -> dict[str, Any]:
    spec = next(a for a in family.actions if a.name == action)
    users = [u.id for u in w.users]
    options = [o.id for o in w.options]
    sets = ([args] for args in search_space(spec, users, options))
    chosen = _best(family, action, sets, w)
    return chosen[0] if chosen else {}


def joint(family: AuthoredFamily, action: str, each: str, w: World) -> list[dict[str, Any]]:
    """The best set of calls of `action`, one per element of the binding `each` (the
    element fills the action's parameter of its type), all searched together: a roster
    is one call per nurse, and only the whole roster can be scored."""
    spec = next(a for a in family.actions if a.name == action)
    scopes = _each(each, w)
    var = each.split(" in ", 1)[0].strip()
    elements = [as_json(scope[var]) for scope in scopes]
    kind = "user" if all(isinstance(s[var], UserV) for s in scopes) else "option"
    bound = bound_param(spec, kind)
    if bound is None:  # the checker refuses it; a compiled file edited by hand may not
        raise PlayError(f"action {action} has no {kind} parameter for `each:` to fill")
    users = [u.id for u in w.users]
    options = [o.id for o in w.options]
    return _best(family, action, joint_space(spec, bound.name, elements, users, options), w)


def _best(family: AuthoredFamily, action: str, sets, w: World) -> list[dict[str, Any]]:
    """The set of calls that scores best (success first, then each success goal, then the
    other goals and metrics in declared order; the first of equals wins)."""
    goals = [m.name for m in family.measures if m.kind == "goal" and m.weight is None]
    soft = [m.name for m in family.measures if m.weight is not None]
    order = [
        SUCCESS,
        *family.success,
        *[g for g in goals if g not in family.success],
        *([PREFERENCES, *soft] if soft else []),  # the weighted share first, then each
        *[m.name for m in family.measures if m.kind == "metric"],
    ]
    best: tuple[float, ...] | None = None
    chosen: list[dict[str, Any]] = []
    saved = dict(w.calls)
    try:
        for n, calls in enumerate(sets):
            if n >= MAX_SEARCH:
                raise PlayError(f"searching {action} took over {MAX_SEARCH} calls")
            w.budget.spend(CALL_STEPS * max(len(calls), 1))
            w.calls = {**saved, action: [call_value(w, family, action, a) for a in calls]}
            got = scores(family, w)
            key = tuple(v if (v := got.get(k)) is not None else 0.0 for k in order)
            if best is None or key > best:
                best, chosen = key, calls
    finally:
        w.calls = saved
    return chosen


def context(
    family: AuthoredFamily, w: World, me: UserV | None = None, calls: list[Call] | None = None
) -> dict[str, Any]:
    """What a family's templates see: the user (their facts by name), everyone, the
    options and the scenario's facts; a play's `tell:` also sees its `calls` (action ->
    each call's arguments, users and options as the dicts above) and `mine` (action -> its
    call about the user told, by the action's user parameter), so a player can tell each
    user what it decided for them: `{{ mine.assign.shift.title }}`."""

    def person(u: UserV) -> dict[str, Any]:
        return {
            "id": u.id,
            "name": u.id,
            "role": u.role,
            "authority": as_json(u.authority),
            "required": u.required,
        } | {k: as_json(v) for k, v in u.facts.items()}

    values: dict[str, Any] = {k: as_json(v) for k, v in w.facts.items()}
    values["users"] = [person(u) for u in w.users]
    values["options"] = [
        {"id": o.id, "title": o.title or o.id} | {k: as_json(v) for k, v in o.facts.items()}
        for o in w.options
    ]
    if me is not None:
        values |= person(me)
        values["me"] = person(me)
        values["others"] = [person(u) for u in w.users if u.id != me.id]
    if calls is not None:
        people = {p["id"].lower(): p for p in values["users"]}
        options = {o["id"].lower(): o for o in values["options"]}
        # every action is in `mine`, as none when the play made no call about the user:
        # `{% if mine.assign %}` reads naturally and a typo still fails
        values["calls"], values["mine"] = {}, {a.name: None for a in family.actions}
        for name, args in calls:
            spec = next((a for a in family.actions if a.name == name), None)
            if spec is None:
                continue
            shown = {}
            for p in spec.params:
                v = args.get(p.name)
                table = people if p.type in ("user", "users") else options
                if p.type in ("user", "option"):
                    v = table.get(str(v).lower(), v)
                elif p.type == "users" and isinstance(v, list):
                    v = [table.get(str(x).lower(), x) for x in v]
                shown[p.name] = v
            values["calls"].setdefault(name, []).append(shown)
            keys = w.keys.get(name, ())
            if me is not None and any(str(args.get(k, "")).lower() == me.id.lower() for k in keys):
                values["mine"][name] = shown
    return values
