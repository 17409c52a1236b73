"""What drawing and playing one episode of a family written in museslang costs, known
before anything runs.

An expression's cost is the steps the evaluator takes (nodes visited); an aggregate visits
its body once per element of its domain, so `sum(a in users: sum(b in users: ...))` costs
users² bodies, and a search scores every call it tries. With a scenario's largest episode
(its users and options), `check` adds up what one draw costs — every fact drawn, the
oracle's calls or search, scoring the outcome — and refuses a scenario over the bound
(`evaluate.STEPS`, E076) at the expression or search that costs most, before any episode
is drawn; a search that would try more than `MAX_SEARCH` calls is refused the same way.
What sizes do not tell (a list fact's length, how many calls an agent makes) is bounded
while it runs, by the same budget (`evaluate.Budget`), which an episode's redraws share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from museslang.diagnostics import Diagnostics, Label
from museslang.expr import nodes as E
from museslang.expr.evaluate import STEPS, parsed
from museslang.expr.search import CALL_STEPS, MAX_SEARCH, bound_param, joint_size, search_size
from museslang.expr.types import EARLIER, Checker, element
from museslang.ir import models as ir
from museslang.semantics.model import FamilyDef, ScenarioDef
from museslang.source import Span


@dataclass(frozen=True)
class Sizes:
    """One episode's sizes: its users, its options, and the longest list it holds."""

    users: int
    options: int
    lists: int = 1


@dataclass(frozen=True)
class Over:
    """What goes past a bound: which part of the family (`where`, for locating it), in
    words, and by how much."""

    where: tuple[str, ...]  # ("fact", NAME) | ("measure", NAME, FIELD) | ("play", NAME)
    message: str


def steps(text: str, fam: ir.AuthoredFamily, sizes: Sizes) -> int:
    """The steps one evaluation of `text` takes (at most, up to what sizes do not tell)."""
    return _steps(parsed(text), fam, sizes, {}, {})


# the sizes of the lists a `let` or a def's parameters name, where they are known
Env = dict[str, int]
# a def's steps and size for the sizes of its arguments, worked out once: a chain of defs
# each calling the one before twice would otherwise be priced in exponential time
Memo = dict[tuple[str, str, tuple[tuple[str, int], ...]], int]


def _steps(node: E.Node, fam: ir.AuthoredFamily, sizes: Sizes, env: Env, memo: Memo) -> int:
    if (isinstance(node, E.Call) and node.binding is not None) or isinstance(node, E.Comp):
        b = node.binding
        assert b is not None
        body = sum(_steps(x, fam, sizes, env, memo) for x in (b.where, b.body) if x is not None)
        domain = _steps(b.domain, fam, sizes, env, memo)
        return 1 + domain + _size(b.domain, fam, sizes, env, memo) * (1 + body)
    if isinstance(node, E.Let):  # each value is evaluated once, where it is first read
        local = dict(env)
        total = 1
        for v in node.values:
            total += _steps(v.value, fam, sizes, local, memo)
            local[v.name] = _size(v.value, fam, sizes, local, memo)
        return total + _steps(node.body, fam, sizes, local, memo)
    spec = _def(node, fam)
    if spec is not None:  # a call costs its arguments and its body (defs never recurse)
        assert isinstance(node, E.Call)
        args = sum(_steps(a, fam, sizes, env, memo) for a in node.args)
        bound = _bound(node, spec, fam, sizes, env, memo)
        key = ("steps", spec.name, tuple(sorted(bound.items())))
        if key not in memo:
            memo[key] = _steps(parsed(spec.value), fam, sizes, bound, memo)
        return 1 + args + memo[key]
    return 1 + sum(_steps(child, fam, sizes, env, memo) for child in E.children(node))


def _def(node: E.Node, fam: ir.AuthoredFamily) -> ir.FunctionSpec | None:
    if not isinstance(node, E.Call) or node.binding is not None:
        return None
    return next((d for d in fam.defs if d.name == node.fn), None)


def _bound(node: E.Call, spec: ir.FunctionSpec, fam: ir.AuthoredFamily, sizes: Sizes,
           env: Env, memo: Memo) -> Env:  # fmt: skip
    """The sizes of a def's parameters at a call: its arguments' sizes."""
    args = zip(spec.params, node.args, strict=False)
    return {p.name: _size(a, fam, sizes, env, memo) for p, a in args}


def _size(node: E.Node, fam: ir.AuthoredFamily, sizes: Sizes, env: Env, memo: Memo) -> int:
    """How many elements a collection an aggregate ranges over has, at most."""
    if isinstance(node, E.Name):
        if node.name in env:
            return env[node.name]
        if node.name in ("users", EARLIER):  # the users drawn before one: fewer
            return sizes.users
        if node.name == "options":
            return sizes.options
    if isinstance(node, E.ListLit):
        return len(node.items)
    if isinstance(node, E.Attr):  # a `users` parameter of an action
        obj = node.obj.obj if isinstance(node.obj, E.Index) else node.obj
        if isinstance(obj, E.Name):
            action = next((a for a in fam.actions if a.name == obj.name), None)
            param = (
                next((p for p in action.params if p.name == node.name), None) if action else None
            )
            if param is not None and param.type == "users":
                return sizes.users
    if isinstance(node, E.Call) and node.fn == "sample" and node.args:
        return _size(node.args[0], fam, sizes, env, memo)
    if isinstance(node, E.Cond):
        branches = (node.then, node.other)
        return max(_size(b, fam, sizes, env, memo) for b in branches)
    if isinstance(node, E.Comp):  # what passes of its collection
        return _size(node.binding.domain, fam, sizes, env, memo)
    if isinstance(node, E.BinOp) and node.op == "-":  # a list minus another
        return _size(node.left, fam, sizes, env, memo)
    if isinstance(node, E.Let):
        local = dict(env)
        for v in node.values:
            local[v.name] = _size(v.value, fam, sizes, local, memo)
        return _size(node.body, fam, sizes, local, memo)
    spec = _def(node, fam)
    if spec is not None:
        assert isinstance(node, E.Call)
        bound = _bound(node, spec, fam, sizes, env, memo)
        key = ("size", spec.name, tuple(sorted(bound.items())))
        if key not in memo:
            memo[key] = _size(parsed(spec.value), fam, sizes, bound, memo)
        return memo[key]
    return sizes.lists


def scoring(fam: ir.AuthoredFamily, sizes: Sizes) -> int:
    """The steps of scoring one outcome: every goal and metric."""
    total = 0
    for m in fam.measures:
        one = steps(m.value, fam, sizes) + (steps(m.where, fam, sizes) if m.where else 0)
        total += one * (sizes.users if m.per == "user" else 1)
    return total


def _each(call: ir.PlayCall, fam: ir.AuthoredFamily, sizes: Sizes) -> tuple[int, int]:
    """(steps of the binding itself, how many calls it makes)."""
    if call.each is None:
        return 0, 1
    node = parsed(f"count({call.each}: true)")
    assert isinstance(node, E.Call) and node.binding is not None
    return _steps(node, fam, sizes, {}, {}), _size(node.binding.domain, fam, sizes, {}, {})


def over(fam: ir.AuthoredFamily, sizes: Sizes) -> Over | None:
    """The first bound one episode of these sizes would go past, or None."""
    users = f"{sizes.users} user{'s' * (sizes.users != 1)}"
    score = scoring(fam, sizes)
    draws: list[Part] = []
    for f in fam.facts:
        if f.draw is not None:
            times = sizes.users if f.of == "user" else 1
            cost = steps(f.draw, fam, sizes) * times
            draws.append(Part(cost, ("fact", f.name), f"the draw of '{f.name}'"))
    measures: list[Part] = []  # what `score` adds up, to name the one that costs most
    for m in fam.measures:
        per = sizes.users if m.per == "user" else 1
        value = "holds" if m.kind == "goal" else "value"
        for name, text in (("where", m.where), (value, m.value)):
            if text is not None:
                cost = steps(text, fam, sizes) * per
                measures.append(Part(cost, ("measure", m.name, name), f"{m.kind} '{m.name}'"))
    for play in fam.plays:
        parts = _play(fam, play, sizes, score)
        if isinstance(parts, Over):
            return parts
        if play.name == "oracle":  # played when the episode is drawn, after its facts
            parts += draws
        total = sum(p.steps for p in parts) + score
        if total > STEPS:
            worst = max([*parts, *measures], key=lambda p: p.steps)
            doing = "draw and score" if play.name == "oracle" else f"play as reference:{play.name}"
            return Over(
                worst.where,
                f"{worst.what} costs about {count(worst.steps)} steps with {users}: one episode "
                f"would take about {count(total)} steps to {doing}, over the bound of {STEPS:,}",
            )
    return None


@dataclass(frozen=True)
class Part:
    steps: int
    where: tuple[str, ...]
    what: str


def _play(fam: ir.AuthoredFamily, play: ir.PlaySpec, sizes: Sizes, score: int) -> list[Part] | Over:
    parts: list[Part] = []
    where = ("play", play.name)
    action = next((a for a in fam.actions if a.name == play.search), None)
    if action is not None and play.each is not None:
        joint = _joint(fam, play, action, sizes, score)
        return joint if isinstance(joint, Over) else [*joint, *_calls(fam, play, sizes)]
    if action is not None:
        size = search_size(action, sizes.users, sizes.options)
        if size > MAX_SEARCH:
            sized = [f"{sizes.users} users"] if any(p.type in ("user", "users")
                                                    for p in action.params) else []  # fmt: skip
            if any(p.type == "option" for p in action.params):
                sized.append(f"{sizes.options} options")
            return Over(
                where,
                f"the search of '{action.name}' would try {count(size)} calls with "
                f"{' and '.join(sized) or 'these choices'}, over the bound of {MAX_SEARCH:,}",
            )
        what = f"the search of '{action.name}' ({count(size)} calls, each scored)"
        parts.append(Part(size * (score + CALL_STEPS), where, what))
    return [*parts, *_calls(fam, play, sizes)]


def _calls(fam: ir.AuthoredFamily, play: ir.PlaySpec, sizes: Sizes) -> list[Part]:
    parts = []
    for i, call in enumerate(play.calls):
        binding, times = _each(call, fam, sizes)
        args = sum(steps(text, fam, sizes) for text in call.args.values())
        parts.append(Part(binding + times * args, ("play", play.name),
                          f"play {play.name}, call {i + 1}"))  # fmt: skip
    return parts


def _joint(
    fam: ir.AuthoredFamily, play: ir.PlaySpec, action: ir.ActionSpec, sizes: Sizes, score: int
) -> list[Part] | Over:
    """A joint search (`search: assign  each: "u in users"`): every set of calls, one per
    element, each set scored; its elements are at most the binding's domain."""
    node = parsed(f"count({play.each}: true)")
    assert isinstance(node, E.Call) and node.binding is not None
    elements = _size(node.binding.domain, fam, sizes, {}, {})
    kind = element(Checker(fam).infer(node.binding.domain, {})) or "user"
    bound = bound_param(action, kind)
    assert bound is not None  # the checker made sure
    size = joint_size(action, bound.name, elements, sizes.users, sizes.options)
    where = ("play", play.name)
    if size > MAX_SEARCH:
        return Over(
            where,
            f"the joint search of '{action.name}' over {elements} {kind}s would try "
            f"{count(size)} sets of calls, over the bound of {MAX_SEARCH:,}",
        )
    binding = _steps(node, fam, sizes, {}, {})
    what = f"the joint search of '{action.name}' ({count(size)} sets of {elements} calls, scored)"
    return [Part(binding + size * (score + CALL_STEPS * elements), where, what)]


def count(n: int) -> str:
    """A count in words: digits with commas, or a power of ten when it is astronomical."""
    if n < 10**15:
        return f"{n:,}"
    return f"about 10^{int(n.bit_length() * math.log10(2))}"


def sizes_of(fam: ir.AuthoredFamily, sc: ScenarioDef) -> Sizes:
    """The largest episode a scenario draws: its written users, or the sweep's most."""
    users = len(sc.users)
    if sc.population is not None and sc.sweep is not None and sc.sweep.users:
        users = max(users, *sc.sweep.users)
    given = [sc.facts, *(u.facts for u in sc.users), *(o.facts for o in sc.options)]
    lists = [len(v) for facts in given for v in facts.values() if isinstance(v, list)]
    for f in fam.facts:
        if f.draw is not None:
            lists += [len(n.items) for n in E.walk(parsed(f.draw)) if isinstance(n, E.ListLit)]
    return Sizes(users, len(sc.options), max(lists, default=1))


def check_scenario(
    fam: ir.AuthoredFamily, fd: FamilyDef, sc: ScenarioDef, diags: Diagnostics
) -> None:
    """E076 at the part of the family that costs most, when the scenario's largest episode
    would go past a bound; a label at the sweep's users, which set the size."""
    sizes = sizes_of(fam, sc)
    found = over(fam, sizes)
    if found is None:
        return
    sweep = sc.sweep
    at = sweep.at("users") if sweep is not None and "users" in sweep.field_spans else sc.head
    diags.error(
        "E076",
        found.message,
        _span(fd, found.where),
        hint="draw fewer users, narrow the search's ranges, or declare the oracle's calls "
        "(`play oracle { calls: [...] }`) instead of searching",
        labels=[Label(at, f"scenario {sc.name}: episodes of up to {sizes.users} users")],
    )


def _span(fd: FamilyDef, where: tuple[str, ...]) -> Span:
    kind, name = where[0], where[1]
    if kind == "fact":
        fact = next((f for f in fd.facts if f.name == name), None)
        return fact.at("draw") if fact is not None else fd.head
    if kind == "measure":
        m = next((m for m in (*fd.goals, *fd.measures) if m.name == name), None)
        return m.at(where[2]) if m is not None else fd.head
    play = next((p for p in fd.plays if p.name == name), None)
    if play is None:
        return fd.head
    search = getattr(play.search, "span", None)
    return search if search is not None else play.at("calls")
