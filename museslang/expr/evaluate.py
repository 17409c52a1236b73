"""Evaluating expressions over one episode and, for goals and metrics, its outcome.

The checker has typed every expression, so evaluation trusts the types. The one
rule a reader must know: what an action never taken reads as. A call that was not made
is `none`; `none` in arithmetic counts as 0 and any comparison with it (other than
`== none`) is false. A goal that reads a call never made is *not met*, whatever the
rest of it says: otherwise `u.worked + assign[u].shift.hours <= u.max_hours` would hold
for every user an agent assigned nothing, and an agent that does nothing would pass.
A goal that means otherwise says so: `called(assign[u]) or ...` asks whether the call
was made, and `default(grant[u].amount, 0)` gives the value to read instead. Metrics
keep the plain rule (a grant never made adds 0 to what was spent).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from museslang.diagnostics import InputError
from museslang.expr import nodes as E
from museslang.expr import temporal
from museslang.expr.temporal import TEMPORAL
from museslang.expr.told import Fact, find, numbers_in, numbers_written

if TYPE_CHECKING:
    from museslang.ir.models import FunctionSpec
    from museslang.metrics.leaks import Match


@dataclass(frozen=True)
class UserV:
    id: str
    role: str | None
    authority: float | None
    required: bool
    facts: dict[str, Any]


@dataclass(frozen=True)
class OptionV:
    id: str
    title: str | None
    facts: dict[str, Any]


@dataclass(frozen=True)
class CallV:
    action: str
    args: dict[str, Any]  # parameter -> UserV | OptionV | list[UserV] | number | text | bool


# Steps (expression nodes evaluated, calls scanned) one episode may spend: its draws, its
# oracle's search and scoring, over all its redraws together; and one scoring of a result.
# About a microsecond each: 2,000,000 is a couple of seconds of work.
STEPS = 2_000_000


@dataclass
class Budget:
    """The steps left to spend; shared by everything that draws or plays one episode."""

    left: int = STEPS
    bound: int = STEPS

    def spend(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise OutOfSteps(f"the work ran past its bound of {self.bound:,} steps")


@dataclass
class World:
    """One episode as expressions see it; `calls` and `told` are its outcome."""

    users: list[UserV]
    options: list[OptionV]
    facts: dict[str, Any]
    calls: dict[str, list[CallV]] = field(default_factory=dict)  # ok calls, in order
    told: dict[str, str] = field(default_factory=dict)  # user id -> all the agent sent them
    # action -> its user parameters, in order: `swap[u]` is its last call naming u in any
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rng: random.Random | None = None
    heard: dict[str, str] = field(default_factory=dict)  # user id -> all they wrote the agent
    private: frozenset[tuple[str, str]] = frozenset()  # (user | option | scenario, fact name)
    # (owner kind, fact name) -> value -> its declared phrasings (`leaks_as`)
    phrasings: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)
    # the conversation as it went: the world after each event, the start first and this
    # world's state last (expr/temporal.py); empty: this world is its only moment
    moments: list[World] = field(default_factory=list)
    turn: int = 0  # the agent turn a moment belongs to
    defs: dict[str, FunctionSpec] = field(default_factory=dict)  # the family's `def`s

    def user(self, uid: str) -> UserV | None:
        return next((u for u in self.users if u.id == uid), None)

    def option(self, oid: str) -> OptionV | None:
        return next((o for o in self.options if o.id == oid), None)


class EvalError(InputError):
    """A value the types allowed but the episode did not (a division by zero)."""


class OutOfSteps(InputError):
    """The budget ran out. Not an `EvalError`: a goal that cannot be evaluated may have
    no value, but work cut short must stop the whole draw or scoring, never pass as one."""


@lru_cache(maxsize=4096)
def parsed(text: str) -> E.Node:
    return E.parse(text)


def evaluate(text: str, world: World, scope: dict[str, Any] | None = None) -> Any:
    """The expression's value; `EvalError` (with the reason) for whatever the episode's
    values make impossible: a division by zero, a number too large, an empty range."""
    try:
        return Evaluator(world).eval(parsed(text), scope or {})
    except ArithmeticError as exc:  # what `arithmetic` and `whole` did not foresee
        raise EvalError(str(exc)) from None


def holds(text: str, world: World, scope: dict[str, Any] | None = None) -> bool:
    """A goal's condition: true, and no call it read was missing (module docstring)."""
    ev = Evaluator(world)
    try:
        value = ev.eval(parsed(text), scope or {})
    except ArithmeticError as exc:  # as in `evaluate`
        raise EvalError(str(exc)) from None
    return bool(value) and not ev.missing


@dataclass(eq=False)
class Later:
    """A `let` value or a def's argument, evaluated where it is first read (then kept), so
    that a name reads as what it stands for would where it is written: `called(g)` asks
    about `g`'s call, and a call never made that is read makes the goal unmet wherever
    the name is read, not where it is bound. `fact_of` follows it to its node (`told`)."""

    node: E.Node
    scope: dict[str, Any]
    done: bool = False
    value: Any = None
    missing: bool = False  # evaluating it read a call never made


def let_scope(node: E.Let, scope: dict[str, Any]) -> dict[str, Any]:
    """The scope a `let`'s body is evaluated in: each value named, unevaluated."""
    local = dict(scope)
    for v in node.values:
        local[v.name] = Later(v.value, dict(local))
    return local


def number(v: Any) -> float:
    if v is None:
        return 0
    return float(v) if isinstance(v, bool) else v


class Evaluator:
    def __init__(self, world: World) -> None:
        self.world = world
        self.missing = False  # a call that was never made was read (and not asked about)
        # every `told` that held: (the user, where in what they were sent), for a guard
        # that cuts what told (museslang.guards.declared)
        self.told: list[tuple[str, Match]] = []

    def guarded(self, node: E.Node, scope: dict[str, Any]) -> Any:
        """Evaluate `node` where a missing call is expected (`called`, `default`, `== none`)."""
        before = self.missing
        try:
            return self.eval(node, scope)
        finally:
            self.missing = before

    def eval(self, node: E.Node, scope: dict[str, Any]) -> Any:
        self.world.budget.spend()
        return getattr(self, f"_{type(node).__name__.lower()}")(node, scope)

    def _lit(self, node: E.Lit, scope: dict[str, Any]) -> Any:
        return node.value

    def _name(self, node: E.Name, scope: dict[str, Any]) -> Any:
        w = self.world
        if node.name in scope:
            value = scope[node.name]
            return self.force(value) if isinstance(value, Later) else value
        if node.name == "users":
            return list(w.users)
        if node.name == "options":
            return list(w.options)
        if node.name in w.facts:
            return w.facts[node.name]
        calls = w.calls.get(node.name) or []
        if not calls:
            self.missing = True
            return None
        return calls[-1]  # an action by name: its last call

    def force(self, later: Later) -> Any:
        if not later.done:
            before, self.missing = self.missing, False
            try:
                later.value = self.eval(later.node, later.scope)
                later.missing, later.done = self.missing, True
            finally:
                self.missing = before
        self.missing = self.missing or later.missing
        return later.value

    @staticmethod
    def unforced(scope: dict[str, Any]) -> dict[str, Any]:
        """The scope with each `let` value and def argument not yet evaluated, for another
        moment of the conversation (expr/temporal.py): a value read at one moment is kept
        for that moment only, since the next moment's world differs."""
        out = dict(scope)
        for k, v in scope.items():
            if isinstance(v, Later):
                out[k] = Later(v.node, Evaluator.unforced(v.scope))
        return out

    def _let(self, node: E.Let, scope: dict[str, Any]) -> Any:
        return self.eval(node.body, let_scope(node, scope))

    def _comp(self, node: E.Comp, scope: dict[str, Any]) -> Any:
        b = node.binding
        out = []
        for item in self.eval(b.domain, scope) or []:
            local = {**scope, b.var: item}
            if b.where is None or self.eval(b.where, local):
                out.append(item if b.body is None else self.eval(b.body, local))
        return out

    def bound(self, node: E.Call, scope: dict[str, Any]) -> tuple[FunctionSpec, dict[str, Any]]:
        """A def's call: the def, and its parameters bound to the (unevaluated) arguments."""
        spec = self.world.defs[node.fn]
        args = [Later(a, scope) for a in node.args]
        return spec, {p.name: a for p, a in zip(spec.params, args, strict=True)}

    def _listlit(self, node: E.ListLit, scope: dict[str, Any]) -> Any:
        return [self.eval(i, scope) for i in node.items]

    def _attr(self, node: E.Attr, scope: dict[str, Any]) -> Any:
        base = self.eval(node.obj, scope)
        name = node.name
        if base is None:
            return None
        if isinstance(base, UserV):
            fixed = {
                "id": base.id,
                "name": base.id,
                "role": base.role,
                "authority": base.authority,
                "required": base.required,
            }
            return base.facts[name] if name in base.facts else fixed.get(name)
        if isinstance(base, OptionV):
            fixed = {"id": base.id, "title": base.title or base.id}
            return base.facts[name] if name in base.facts else fixed.get(name)
        if isinstance(base, CallV):
            return base.args.get(name)
        return None

    def _index(self, node: E.Index, scope: dict[str, Any]) -> Any:
        if not self._names_an_action(node.obj, scope):
            return self._position(node, scope)
        assert isinstance(node.obj, E.Name)
        action = node.obj.name
        who = self.eval(node.key, scope)
        keys = self.world.keys.get(action, ())
        if who is None or not keys:
            return None
        calls = self.world.calls.get(action, [])
        self.world.budget.spend(len(calls))
        mine = [c for c in calls if about(c, keys, who.id)]
        if not mine:
            self.missing = True
            return None
        return mine[-1]

    def _names_an_action(self, node: E.Node, scope: dict[str, Any]) -> bool:
        """Whether `node[...]` indexes an action by a user: the type checker let only an
        action's bare name (not a local that hides it) or a list through, and `_name`
        resolves a bare name in this order too."""
        return (
            isinstance(node, E.Name)
            and node.name not in scope
            and node.name not in ("users", "options")
            and node.name not in self.world.facts
        )

    def _position(self, node: E.Index, scope: dict[str, Any]) -> Any:
        """A list's item by position, as Python counts (0 the first, -1 the last); none
        past either end or at a position that is not a whole number, as an absent call is."""
        items = self.eval(node.obj, scope)
        at = self.eval(node.key, scope)
        if not isinstance(items, list) or isinstance(at, bool) or not isinstance(at, int | float):
            return None
        if isinstance(at, float) and not at.is_integer():
            return None
        i = int(at)
        return items[i] if -len(items) <= i < len(items) else None

    def _binop(self, node: E.BinOp, scope: dict[str, Any]) -> Any:
        op = node.op
        if op == "and":
            return bool(self.eval(node.left, scope)) and bool(self.eval(node.right, scope))
        if op == "or":
            return bool(self.eval(node.left, scope)) or bool(self.eval(node.right, scope))
        if op in ("==", "!=") and (_is_none(node.left) or _is_none(node.right)):
            a, b = self.guarded(node.left, scope), self.guarded(node.right, scope)
        else:
            a, b = self.eval(node.left, scope), self.eval(node.right, scope)
        if op == "-" and (isinstance(a, list) or isinstance(b, list)):  # set difference
            return [x for x in a or [] if not any(_same(x, y) for y in b or [])]
        if op in "+-*/":
            return arithmetic(op, number(a), number(b))
        if op == "in":
            if a is None or b is None:
                return False
            if isinstance(b, str):
                return isinstance(a, str) and a.lower() in b.lower()
            return any(_same(a, item) for item in b)
        if op == "==":
            return _same(a, b)
        if op == "!=":
            return not _same(a, b)
        if a is None or b is None:
            return False
        x, y = number(a), number(b)
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]

    def _not(self, node: E.Not, scope: dict[str, Any]) -> Any:
        return not self.eval(node.operand, scope)

    def _neg(self, node: E.Neg, scope: dict[str, Any]) -> Any:
        return -number(self.eval(node.operand, scope))

    def _cond(self, node: E.Cond, scope: dict[str, Any]) -> Any:
        return self.eval(node.then if self.eval(node.test, scope) else node.other, scope)

    def _call(self, node: E.Call, scope: dict[str, Any]) -> Any:
        if node.binding is not None:
            return self._aggregate(node.fn, node.binding, scope)
        fn = node.fn
        if fn in TEMPORAL:
            return temporal.evaluate(self, node, scope)
        if fn in self.world.defs:
            spec, local = self.bound(node, scope)
            return self.eval(parsed(spec.value), local)
        if fn == "called":
            return self.guarded(node.args[0], scope) is not None
        if fn == "default":
            value = self.guarded(node.args[0], scope)
            return self.eval(node.args[1], scope) if value is None else value
        args = [self.eval(a, scope) for a in node.args]
        if fn in ("min", "max"):
            values = [number(a) for a in args]
            return min(values) if fn == "min" else max(values)
        if fn == "abs":
            return abs(number(args[0]))
        if fn in ("round", "floor", "ceil"):
            return whole(fn, number(args[0]))
        if fn == "len":
            return len(args[0]) if args[0] is not None else 0
        if fn == "told":
            return self._told(args[0], args[1], fact_of(node.args[1], self, scope))
        if fn == "spoke":
            return isinstance(args[0], UserV) and bool(self.world.heard.get(args[0].id, "").strip())
        rng = self.world.rng
        if rng is None:
            raise EvalError(f"{fn} draws at random, and nothing here is drawn")
        if fn == "uniform":
            low, high = (finite(fn, number(a)) for a in args)
            return rng.uniform(low, high)
        if fn == "randint":
            low, high = (int(finite(fn, number(a))) for a in args)
            if low > high:
                raise EvalError(f"randint({low}, {high}): the low bound is above the high one")
            return rng.randint(low, high)
        if fn == "pick":
            if not args[0]:
                raise EvalError("pick draws from an empty list")
            return rng.choice(args[0])
        if fn == "sample":
            k = max(0, min(int(finite(fn, number(args[1]))), len(args[0])))
            return sorted(rng.sample(list(args[0]), k), key=list(args[0]).index)
        return rng.random() < number(args[0])  # chance

    def _aggregate(self, fn: str, b: E.Binding, scope: dict[str, Any]) -> Any:
        items = self.eval(b.domain, scope) or []
        chosen = []
        for item in items:
            local = {**scope, b.var: item}
            if b.where is None or self.eval(b.where, local):
                chosen.append((item, local))
        if fn == "count":
            if b.body is None:
                return len(chosen)
            return sum(1 for _, local in chosen if self.eval(b.body, local))
        assert b.body is not None
        values = [(item, self.eval(b.body, local)) for item, local in chosen]
        if fn == "all":
            return all(bool(v) for _, v in values)
        if fn == "any":
            return any(bool(v) for _, v in values)
        if fn in ("argmax", "argmin"):
            if not values:
                return None
            pick = max if fn == "argmax" else min
            return pick(values, key=lambda iv: number(iv[1]))[0]  # first of equals: stable
        numbers = [number(v) for _, v in values]
        if fn == "sum":
            return sum(numbers)
        if not numbers:
            return None
        if fn == "mean":
            return arithmetic("/", sum(numbers), len(numbers))
        return min(numbers) if fn == "min" else max(numbers)

    def _told(self, who: Any, value: Any, fact: Fact | None) -> bool:
        """museslang.expr.told states the rule."""
        if not isinstance(who, UserV) or value is None:
            return False
        text = self.world.told.get(who.id, "")
        found = told_in(self.world, who.id, text, value, fact)
        if found is not None:
            self.told.append((who.id, found))
        return found is not None


def fact_of(node: E.Node, ev: Evaluator, scope: dict[str, Any]) -> Fact | None:
    """Whose fact `told`'s value is: `u.floor` a user's, `o.price` an option's, a bare
    name one of the scenario's (None: a literal or a computed value)."""
    w = ev.world
    if isinstance(node, E.Name) and isinstance(scope.get(node.name), Later):
        later = scope[node.name]  # a let's name or a def's parameter: what it stands for
        return fact_of(later.node, ev, later.scope)
    if isinstance(node, E.Attr):
        base = ev.eval(node.obj, scope)
        if isinstance(base, UserV) and node.name in base.facts:
            return Fact("user", node.name, base.id)
        if isinstance(base, OptionV) and node.name in base.facts:
            return Fact("option", node.name)
    if isinstance(node, E.Name) and node.name not in scope and node.name in w.facts:
        return Fact("scenario", node.name)
    return None


def known_to(w: World, who: str) -> frozenset[str]:
    """The numbers user `who` has another reason to hear (museslang.expr.told, rule
    3): their own facts, every fact that is not private, what they wrote, and the
    arguments of accepted calls about them."""
    values: list[Any] = []
    for u in w.users:
        own = u.id == who
        values += [v for k, v in u.facts.items() if own or ("user", k) not in w.private]
    values += [v for k, v in w.facts.items() if ("scenario", k) not in w.private]
    for o in w.options:
        values += [v for k, v in o.facts.items() if ("option", k) not in w.private]
    for action, calls in w.calls.items():
        keys = w.keys.get(action, ())
        for call in calls:
            if about(call, keys, who):
                values += list(call.args.values())
    return frozenset(numbers_in(values) | numbers_written(w.heard.get(who, "")))


def told_in(w: World, who: str, text: str, value: Any, fact: Fact | None) -> Match | None:
    """Where `text`, sent to user `who`, tells the value (None: it does not)."""
    phrasings: list[str] = []
    if fact is not None:
        declared = w.phrasings.get((fact.of, fact.name), {})
        for item in value if isinstance(value, list) else [value]:
            phrasings += declared.get(show(item).lower(), [])
    known = known_to(w, who) if fact is not None else frozenset()
    return find(text, value, fact, phrasings, known)


def about(call: CallV, keys: tuple[str, ...], who: str) -> bool:
    """Whether a call names user `who` in one of its user parameters `keys`."""
    return any(_id(call.args.get(k)) == who for k in keys)


def _is_none(node: E.Node) -> bool:
    return isinstance(node, E.Lit) and node.value is None


def arithmetic(op: str, x: float, y: float) -> float:
    """x op y, for numbers the types allow: a division by zero, or a result too large
    for a float, is an `EvalError` naming it."""
    if op == "/" and y == 0:
        raise EvalError("division by zero")
    try:
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        return x * y if op == "*" else x / y
    except OverflowError:
        raise EvalError(f"{show(x)} {op} {show(y)} is too large a number") from None


def finite(fn: str, x: float) -> float:
    if isinstance(x, float) and not math.isfinite(x):
        raise EvalError(f"{fn} of {'NaN' if math.isnan(x) else 'infinity'}: not a finite number")
    return x


def whole(fn: str, x: float) -> int:
    """round, floor or ceil of x: infinity and NaN have no whole number."""
    finite(fn, x)
    return round(x) if fn == "round" else math.floor(x) if fn == "floor" else math.ceil(x)


def _id(value: Any) -> str | None:
    return value.id if isinstance(value, UserV | OptionV) else value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, UserV | OptionV) or isinstance(b, UserV | OptionV):
        return _id(a) == _id(b)
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


def show(value: Any) -> str:
    """A value as text: 30 rather than 30.0, a user or option by id."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**300:
        return f"{float(value):g}" if abs(value) < 10**308 else "a number over 10^308"
    if isinstance(value, UserV | OptionV):
        return value.id
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    return str(value)


def mentions(text: str, value: Any) -> bool:
    """Whether `text` states a value that is no one's fact: a number as a number (30 is
    not in 130 or 3.05), a text as a whole word or phrase, case-insensitively."""
    return find(text, value) is not None
