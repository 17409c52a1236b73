"""Why an episode of a family written in museslang failed: each goal that does not hold
(and for a per-user goal, the users it fails for) with the values of its comparison,
each metric that differs from the oracle's play, and the facts beside the transcript
(private ones marked). The same `Explanation` a Python family's `explain` hook gives.
"""

from __future__ import annotations

from typing import Any

from museslang.authored import outcome
from museslang.expr import nodes as E
from museslang.expr import temporal
from museslang.expr.evaluate import (
    EvalError,
    Evaluator,
    World,
    evaluate,
    holds,
    let_scope,
    parsed,
    show,
)
from museslang.ir import models as ir
from museslang.ir.explanation import Explanation, Failure, rank
from museslang.ir.results import EpisodeResult

COMPARISONS = {"<", "<=", ">", ">=", "==", "!=", "in"}
EPSILON = 1e-9


def _value(v: Any) -> str:
    return "nothing" if v is None else show(round(v, 3) if isinstance(v, float) else v)


def _why(node: E.Node, text: str, run: Evaluator, scope: dict[str, Any]) -> list[str]:
    """The parts of a condition that do not hold, with their values: each failing
    conjunct of an `and`, a comparison as 'a <= b (a = 900, b = 700)'; a def's call and a
    `let` by the parts of their bodies (a def's as its body is written)."""
    if isinstance(node, E.Call) and node.fn in run.world.defs and node.binding is None:
        spec, local = run.bound(node, scope)
        return _why(parsed(spec.value), spec.value, run, local)
    if isinstance(node, E.Let):
        return _why(node.body, text, run, let_scope(node, scope))
    if isinstance(node, E.BinOp) and node.op == "and":
        parts = [n for n in (node.left, node.right) if not run.eval(n, scope)]
        return [w for n in parts for w in _why(n, text, run, scope)]
    if isinstance(node, E.BinOp) and node.op in COMPARISONS:
        left, right = (_shown(n, text, run, scope) for n in (node.left, node.right))
        return [f"{left}, not {node.op} {right}"]
    if isinstance(node, E.Call) and node.fn in temporal.TEMPORAL:
        return [temporal.why(run, node, scope, text) or text[node.start : node.end].strip()]
    return [text[node.start : node.end].strip()]


def _shown(node: E.Node, text: str, run: Evaluator, scope: dict[str, Any]) -> str:
    """'u.floor = 35'; a literal as itself."""
    written = text[node.start : node.end].strip()
    return written if isinstance(node, E.Lit) else f"{written} = {_value(run.eval(node, scope))}"


def _sides(text: str, w: World, scope: dict[str, Any]) -> str:
    try:
        return "; ".join(_why(parsed(text), text, Evaluator(w), scope))
    except EvalError:
        return ""


def _goal(m: ir.MeasureSpec, w: World) -> str | None:
    """Why the goal does not hold, or None when it does."""
    try:
        if m.per == "episode":
            if holds(m.value, w):  # as scoring reads a goal (a call never made: not met)
                return None
            sides = _sides(m.value, w, {})
            return f"goal {m.name} does not hold" + (f": {sides}" if sides else "")
        failing = []
        for user in w.users:
            scope = {"u": user}
            if (m.where is None or evaluate(m.where, w, scope)) and not holds(m.value, w, scope):
                sides = _sides(m.value, w, scope)
                failing.append(user.id + (f": {sides}" if sides else ""))
    except EvalError as exc:
        return f"goal {m.name} cannot be evaluated: {exc}"
    return f"goal {m.name} fails for {' | '.join(failing)}" if failing else None


def _facts(fam: ir.AuthoredFamily, of: str, facts: dict[str, Any]) -> list[str]:
    private = {f.name for f in fam.facts if f.of == of and f.private}
    return [f"{k} {show(v)}" + (" (private)" if k in private else "") for k, v in facts.items()]


def explain_family(
    fam: ir.AuthoredFamily, episode: ir.EpisodeGraph, result: EpisodeResult
) -> Explanation:
    truth = episode.truth.authored
    w = outcome.played(fam, episode, result)
    lines = [("facts", "; ".join(_facts(fam, "scenario", w.facts)) or "none")]
    lines += [
        (o.id, "; ".join(_facts(fam, "option", o.facts)) or (o.title or o.id)) for o in w.options
    ]
    if truth is not None and truth.ideal:
        calls = [
            f"{c.action}({', '.join(f'{k}={show(v)}' for k, v in c.args.items())})"
            for c in truth.ideal
        ]
        lines.append(("the oracle plays", "; ".join(calls)))
    played = [
        f"{c.action}({', '.join(f'{k}={show(v)}' for k, v in c.args.items())})"
        for calls in w.calls.values()
        for c in calls
    ]
    lines.append(("the agent played", "; ".join(played) or "nothing"))
    people = {}
    for user, p in zip(w.users, episode.participants, strict=True):
        said = rank(p)
        people[user.id] = [*said, p.attendance, *_facts(fam, "user", user.facts)]
    got = Explanation(truth=lines, people=people)
    ideal = truth.ideal_scores if truth is not None else {}
    scores = outcome.scores(fam, w)
    for m in fam.measures:
        if m.kind == "goal":
            why = _goal(m, w)
            if why is not None:
                got.failures.append(Failure(m.name, why))
            continue
        value, best = scores.get(m.name), ideal.get(m.name)
        if value is not None and best is not None and abs(value - best) > EPSILON:
            got.failures.append(
                Failure(m.name, f"{m.name} = {_value(value)} (the oracle's play: {_value(best)})")
            )
    first = next((f for f in got.failures if f.name in fam.success), None)
    if first is not None and scores.get(outcome.SUCCESS) != 1.0:
        got.reason = first.detail
    return got


def explain(episode: ir.EpisodeGraph, result: EpisodeResult) -> Explanation:
    """The hook installed families carry (museslang.family.Family.explain)."""
    from museslang.authored.install import INSTALLED

    return explain_family(INSTALLED[episode.family], episode, result)
