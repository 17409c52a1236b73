"""Reference players of a family written in museslang: what a `play` does in an episode.

A play is either declared calls (`each:` a binding, each parameter an expression) or a
search: every call of one action over the episode's finite choices is scored, and the
best one kept (success first, then each success goal, then the other goals and metrics
in declared order; the first of equals wins, so the result is deterministic).
"""

from __future__ import annotations

from typing import Any

from museslang.authored.outcome import SUCCESS, call_value, scores
from museslang.diagnostics import InputError
from museslang.expr import nodes as E
from museslang.expr.evaluate import OptionV, UserV, World, evaluate, parsed
from museslang.expr.search import CALL_STEPS, MAX_SEARCH, search_space
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
    if play.search is not None:
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
    goals = [m.name for m in family.measures if m.kind == "goal"]
    order = [
        SUCCESS,
        *family.success,
        *[g for g in goals if g not in family.success],
        *[m.name for m in family.measures if m.kind == "metric"],
    ]
    users = [u.id for u in w.users]
    options = [o.id for o in w.options]
    best: tuple[float, ...] | None = None
    chosen: dict[str, Any] = {}
    saved = dict(w.calls)
    try:
        for n, args in enumerate(search_space(spec, users, options)):
            if n >= MAX_SEARCH:
                raise PlayError(f"searching {action} took over {MAX_SEARCH} calls")
            w.budget.spend(CALL_STEPS)
            w.calls = {**saved, action: [call_value(w, family, action, args)]}
            got = scores(family, w)
            key = tuple(v if (v := got.get(k)) is not None else 0.0 for k in order)
            if best is None or key > best:
                best, chosen = key, args
    finally:
        w.calls = saved
    return chosen


def context(family: AuthoredFamily, w: World, me: UserV | None = None) -> dict[str, Any]:
    """What a family's templates see: the user (their facts by name), everyone, the
    options and the scenario's facts."""

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
    return values
