"""A compiled file's families written in museslang, checked again when it is loaded.

A compiled file is input like any other: it may have been edited by hand or by someone
else. Its schema is checked by pydantic; this checks what a spec's `check` would have:
every expression parses within its bounds and types against the family's own facts and
actions, no constant part fails, each play names actions and parameters that exist, a
search stays searchable and within its bound on every episode of the file, templates
parse, and each episode's facts have their declared types. A file that fails is refused
before anything of it is installed or runs, so a tampered expression is one message,
never a scoring failure on every episode. (Expressions are only ever evaluated by
museslang's own evaluator: an `__import__('os')` in one is an unknown function.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from museslang.expr import constants, cost
from museslang.expr import nodes as E
from museslang.expr.search import MAX_SEARCH, search_size, searchable
from museslang.expr.types import (
    BOOL,
    BUILTINS,
    FACT_TYPES,
    NUMBER,
    OPTION,
    PARAM_TYPES,
    USER,
    Checker,
    ExprTypeError,
    def_order,
    describe,
    element,
    fits,
    param_scope,
    too_deep,
)
from museslang.ir import models as ir
from museslang.prompts import PromptError, parse_template
from museslang.semantics.written.scenario import fits_type, too_large


def problems(compiled: ir.CompiledSpec) -> list[str]:
    """What is wrong with the file's families, one line each (empty: nothing)."""
    out: list[str] = []
    for fam in compiled.families:
        mine = [e for e in compiled.episodes if e.family == fam.name]
        out += [f"family '{fam.name}': {p}" for p in _family(fam, mine)]
    return out


def _family(fam: ir.AuthoredFamily, episodes: list[ir.EpisodeGraph]) -> Iterator[str]:
    structural = list(_structure(fam))
    yield from structural
    if structural:
        return  # the expressions' types assume the actions and goals they name
    typed = True
    for what, text, scope, want, draw in _expressions(fam):
        found = _typed(fam, text, scope, want, draw)
        if found is not None:
            typed = False
            yield f"{what}: {found}"
    for entity, name in [(fam, "opening"), (fam, "reply"), (fam, "brief")] + [
        (p, "tell") for p in fam.plays
    ]:
        text = getattr(entity, name)
        if text is not None:
            try:
                parse_template(text)
            except PromptError as exc:
                yield f"template `{name}`: {exc}"
    if typed:  # the cost of an expression that does not parse is not known
        yield from _episodes(fam, episodes)


def _structure(fam: ir.AuthoredFamily) -> Iterator[str]:
    actions = {a.name: a for a in fam.actions}
    goals = {m.name for m in fam.measures if m.kind == "goal"}
    for a in fam.actions:
        for p in a.params:
            if p.type == "number" and (p.low is None) != (p.high is None):
                yield f"action '{a.name}': parameter '{p.name}' has one bound"
            if p.low is not None and p.high is not None and not p.low <= p.high:
                yield f"action '{a.name}': parameter '{p.name}' has an empty range"
    names = [d.name for d in fam.defs]
    for d in fam.defs:
        if d.name in BUILTINS:
            yield f"def '{d.name}' is named like a built-in function"
        if names.count(d.name) > 1:
            yield f"def '{d.name}' is declared twice"
            return
    for name, cycle in def_order(fam)[1].items():
        yield f"def '{name}' calls itself ({' -> '.join(cycle)})"
    for name in fam.success:
        if name not in goals:
            yield f"success names '{name}', which is not a goal"
    for m in fam.measures:
        if m.weight is not None and (m.kind != "goal" or m.name in fam.success or m.weight <= 0):
            yield f"'{m.name}' has a weight, and only a soft goal may (above 0, not in success)"
    if not any(p.name == "oracle" for p in fam.plays):
        yield "it has no oracle"
    for play in fam.plays:
        if play.search is not None:
            action = actions.get(play.search)
            if action is None:
                yield f"play {play.name} searches an unknown action '{play.search}'"
            elif not all(searchable(p) for p in action.params):
                yield f"play {play.name}: action '{action.name}' has no finite choices"
            elif search_size(action, 1, 1) > MAX_SEARCH:
                yield f"play {play.name}: the search of '{action.name}' is over its bound"
            elif play.each is not None and not any(p.type in ("user", "option")
                                                   for p in action.params):  # fmt: skip
                yield f"play {play.name}: action '{action.name}' has nothing `each:` can fill"
        elif play.each is not None:
            yield f"play {play.name}: `each:` without `search:`"
        for i, call in enumerate(play.calls):
            action = actions.get(call.action)
            if action is None:
                yield f"play {play.name}, call {i + 1}: unknown action '{call.action}'"
                continue
            params = {p.name for p in action.params}
            if set(call.args) != params:
                yield f"play {play.name}, call {i + 1}: its arguments are not {call.action}'s"


def _expressions(
    fam: ir.AuthoredFamily,
) -> Iterator[tuple[str, str, dict[str, str], str | None, bool]]:
    """(what, text, scope, the type it must have, whether it may draw) for every
    expression, with the scopes `check` gives them."""
    for d in fam.defs:
        yield f"def '{d.name}'", d.value, param_scope(d), None, False
    for f in fam.facts:
        if f.draw is not None:
            scope = {"u": USER} if f.of == "user" else {"o": OPTION} if f.of == "option" else {}
            yield f"the draw of '{f.name}'", f.draw, scope, FACT_TYPES[f.type], True
    for m in fam.measures:
        scope = {"u": USER} if m.per == "user" else {}
        if m.where is not None:
            yield f"{m.kind} '{m.name}', where", m.where, scope, BOOL, False
        yield f"{m.kind} '{m.name}'", m.value, scope, BOOL if m.kind == "goal" else NUMBER, False
    for g in fam.guards:
        scope = {"u": USER} if g.per == "user" else {}
        if g.where is not None:
            yield f"guard '{g.name}', where", g.where, scope, BOOL, False
        yield f"guard '{g.name}'", g.never, scope, BOOL, False
    actions = {a.name: a for a in fam.actions}
    for play in fam.plays:
        for i, call in enumerate(play.calls):
            scope: dict[str, str] = {}
            what = f"play {play.name}, call {i + 1}"
            if call.each is not None:
                bound = _binding(fam, call.each)
                if isinstance(bound, str):
                    yield f"{what}, each: {bound}", "none", {}, None, False
                    continue
                scope = bound
            params = {p.name: p.type for p in actions[call.action].params}
            for key, text in call.args.items():
                yield f"{what}, {key}", text, scope, PARAM_TYPES[params[key]], False


def _binding(fam: ir.AuthoredFamily, each: str) -> dict[str, str] | str:
    """A play's `each:` as the scope it binds, or what is wrong with it."""
    try:
        node = E.parse(f"count({each}: true)")
        if not isinstance(node, E.Call) or node.binding is None:
            return "not a binding"
        domain = Checker(fam).infer(node.binding.domain, {})
    except (E.ExprError, ExprTypeError) as exc:
        return str(exc)
    inner = element(domain)
    return {node.binding.var: inner} if inner is not None else "not a list"


def _typed(
    fam: ir.AuthoredFamily, text: str, scope: dict[str, str], want: str | None, draw: bool
) -> str | None:
    try:
        node = E.parse(text)
        checker = Checker(fam, draw=draw)
        got = checker.infer(node, scope)
    except (E.ExprError, ExprTypeError) as exc:
        return str(exc)
    deep = too_deep(node, checker.sigs or {})
    if deep is not None:
        return deep
    if want is not None and not fits(got, want):
        return f"must be {describe(want)}, not {describe(got)}"
    failed = constants.failures(node)
    return failed[0][1] if failed else None


def _episodes(fam: ir.AuthoredFamily, episodes: list[ir.EpisodeGraph]) -> Iterator[str]:
    """Each episode's facts of their declared types, and its sizes within the bounds."""
    sizes: set[cost.Sizes] = set()
    for ep in episodes:
        truth = ep.truth.authored
        if truth is None:
            yield f"episode {ep.id} carries no ground truth of the family"
            return
        owners: list[tuple[str, dict[str, Any]]] = [("scenario", truth.facts)]
        owners += [("user", p.facts) for p in ep.participants]
        owners += [("option", o.facts) for o in truth.options]
        for of, facts in owners:
            for f in fam.facts:
                if f.of != of or f.name not in facts:
                    continue
                if not fits_type(f.type, facts[f.name]):
                    yield f"episode {ep.id}: fact '{f.name}' is not of type {f.type}"
                    return
                if too_large(f.type, facts[f.name]):
                    yield f"episode {ep.id}: fact '{f.name}' is not a number below 10^15"
                    return
        lists = [len(v) for _, facts in owners for v in facts.values() if isinstance(v, list)]
        sizes.add(cost.Sizes(len(ep.participants), len(truth.options), max(lists, default=1)))
    for size in sorted(sizes, key=lambda s: (s.users, s.options, s.lists)):
        found = cost.over(fam, size)
        if found is not None:
            yield found.message
            return
