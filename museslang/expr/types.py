"""The types of expressions, checked before anything runs.

Types are short strings: `number`, `bool`, `text`, `user`, `option`, `none`,
`list[T]`, and `call:ACTION` (one call of an action: its parameters are its fields).
`none` is what an action never taken reads as; it fits anywhere, which is why a goal can
say `choose.trip.price <= u.budget`; a goal that reads a call never made is not met
(`called(...)` and `default(...)` say what it means instead: `evaluate`).
Checking also records what each expression reads, for the unused-declaration and
"no action can change this goal" checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field

from museslang.diagnostics import did_you_mean
from museslang.expr import nodes as E
from museslang.expr.signatures import SIGNATURES  # how each built-in is called, for hints
from museslang.expr.temporal import TEMPORAL  # conditions over the whole conversation
from museslang.ir.models import AuthoredFamily, FunctionSpec

NUMBER, BOOL, TEXT, USER, OPTION, NONE = "number", "bool", "text", "user", "option", "none"
FACT_TYPES = {
    "number": NUMBER,
    "text": TEXT,
    "flag": BOOL,
    "list": "list[text]",
    "option": OPTION,
    "user": USER,
}
PARAM_TYPES = {
    "user": USER,
    "users": "list[user]",
    "option": OPTION,
    "number": NUMBER,
    "text": TEXT,
    "flag": BOOL,
}
USER_FIELDS = {"id": TEXT, "name": TEXT, "role": TEXT, "authority": NUMBER, "required": BOOL}
OPTION_FIELDS = {"id": TEXT, "title": TEXT}
AGGREGATES = {"sum", "mean", "min", "max", "count", "all", "any", "argmax", "argmin"}
DRAWS = {"uniform", "randint", "pick", "sample", "chance"}
PLAIN = {"min", "max", "abs", "round", "floor", "ceil", "len", "told", "called", "default",
         "spoke", *DRAWS, *TEMPORAL}  # fmt: skip
FUNCTIONS = sorted(AGGREGATES | PLAIN)
# in a user fact's draw: the users drawn before this one, with all their facts
EARLIER = "earlier"
ARITY = {
    "abs": 1,
    "round": 1,
    "floor": 1,
    "ceil": 1,
    "len": 1,
    "told": 2,
    "called": 1,
    "default": 2,
    "uniform": 2,
    "randint": 2,
    "pick": 1,
    "sample": 2,
    "chance": 1,
    "spoke": 1,
    "always": 1,
    "never": 1,
    "at_most_once": 1,
    "before": 2,
    "by_turn": 2,
}


BUILTINS = AGGREGATES | PLAIN


class ExprTypeError(Exception):
    def __init__(self, message: str, node: E.Node, hint: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.hint = hint


def list_of(t: str) -> str:
    return f"list[{t}]"


def element(t: str) -> str | None:
    return t[5:-1] if t.startswith("list[") else None


def fits(got: str, want: str) -> bool:
    return got == want or NONE in (got, want) or (want == NUMBER and got == BOOL)


@dataclass
class Reads:
    """What an expression reads: facts (`user.floor`), actions, and `told`."""

    facts: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    told: bool = False
    nodes: dict[str, E.Node] = field(default_factory=dict)  # a fact -> its first read

    def fact(self, key: str, node: E.Node) -> None:
        self.facts.add(key)
        self.nodes.setdefault(key, node)


@dataclass(frozen=True)
class Signature:
    """A family's `def` as its calls see it: its parameters' types, the type of its
    value, and what its body reads (the defs it calls included)."""

    params: tuple[tuple[str, str], ...]
    returns: str
    reads: Reads
    depth: int = 0  # how deep evaluating its body nests (`nesting`)
    temporal: bool = False  # its body judges the conversation (always, before, ...)


def param_scope(d: FunctionSpec) -> dict[str, str]:
    """A def's parameters as the scope its body is typed in."""
    return {p.name: PARAM_TYPES[p.type] for p in d.params}


def called_defs(node: E.Node, defs: set[str]) -> list[E.Call]:
    """The calls of the family's defs in an expression."""
    return [n for n in E.walk(node) if isinstance(n, E.Call) and n.fn in defs and not n.binding]


def nesting(node: E.Node, sigs: dict[str, Signature]) -> int:
    """How deep evaluating `node` nests, the bodies of the defs it calls included: bounded
    like one expression's depth (`nodes.MAX_DEPTH`), since each level is a frame of every
    stage that walks it."""
    inner = [nesting(c, sigs) for c in E.children(node)]
    if isinstance(node, E.Call) and node.binding is None and node.fn in sigs:
        inner.append(sigs[node.fn].depth)
    return 1 + max(inner, default=0)


def judges_conversation(node: E.Node, sigs: dict[str, Signature]) -> bool:
    """Whether `node` holds a condition over the conversation, in a def it calls too."""
    return any(
        isinstance(n, E.Call) and n.binding is None
        and (n.fn in TEMPORAL or (n.fn in sigs and sigs[n.fn].temporal))
        for n in E.walk(node)
    )  # fmt: skip


def too_deep(node: E.Node, sigs: dict[str, Signature]) -> str | None:
    """What is wrong when an expression's calls nest past the bound, or None."""
    if not sigs or nesting(node, sigs) <= E.MAX_DEPTH:
        return None
    return f"with the defs it calls, it nests more than {E.MAX_DEPTH} levels deep"


def def_order(fam: AuthoredFamily) -> tuple[list[FunctionSpec], dict[str, list[str]]]:
    """The defs, each after the defs it calls, and the defs that call themselves
    (directly or through others) with the cycle: def -> [it, ..., it]. A def's body that
    does not parse calls nothing here (its own check says why)."""
    defs = {d.name: d for d in fam.defs}
    calls: dict[str, list[str]] = {}
    for d in fam.defs:
        try:
            calls[d.name] = [c.fn for c in called_defs(E.parse(d.value), set(defs))]
        except E.ExprError:
            calls[d.name] = []
    order: list[FunctionSpec] = []
    cyclic: dict[str, list[str]] = {}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for callee in calls[name]:
            if state.get(callee) == 1:
                ring = path[path.index(callee) :]
                for i, member in enumerate(ring):
                    cyclic.setdefault(member, [*ring[i:], *ring[:i], member])
            elif callee not in state:
                visit(callee)
        path.pop()
        state[name] = 2
        order.append(defs[name])

    for d in fam.defs:
        if d.name not in state:
            visit(d.name)
    return order, cyclic


def signatures(fam: AuthoredFamily) -> dict[str, Signature]:
    """Every def's signature, typed in `def_order`; a def that calls itself or does not
    type has the value `none` here (which fits anywhere: its own check reports it)."""
    sigs: dict[str, Signature] = {}
    order, cyclic = def_order(fam)
    for d in order:
        scope = param_scope(d)
        params = tuple(scope.items())
        checker = Checker(fam, sigs=sigs)
        depth, node = 0, None
        try:
            node = E.parse(d.value)
            depth = 0 if d.name in cyclic else nesting(node, sigs)
            returns = NONE if d.name in cyclic else checker.infer(node, scope)
        except (E.ExprError, ExprTypeError):
            returns = NONE
        temporal = node is not None and d.name not in cyclic and judges_conversation(node, sigs)
        sigs[d.name] = Signature(params, returns, checker.reads, depth, temporal)
    return sigs


@dataclass
class Checker:
    family: AuthoredFamily
    draw: bool = False  # random draws allowed (population `draw:` expressions)
    reads: Reads = field(default_factory=Reads)
    # text facts compared with an option's id: (the comparison, the fact), for W011
    option_ids: list[tuple[E.Node, str]] = field(default_factory=list)
    in_temporal: bool = False  # inside always/never/before/... (no nesting)
    # the family's defs (None: typed from the family here)
    sigs: dict[str, Signature] | None = None
    # names a user's draw binds to what `earlier` holds: "item" (a user drawn before this
    # one) or "list" (some of them). Their facts are all drawn, so a read through them is
    # recorded as `earlier.FACT`, which the draw-order check lets through
    earlier_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sigs is None:
            self.sigs = signatures(self.family) if self.family.defs else {}

    def facts_of(self, of: str) -> dict[str, str]:
        return {f.name: FACT_TYPES[f.type] for f in self.family.facts if f.of == of}

    def infer(self, node: E.Node, scope: dict[str, str]) -> str:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node, scope)

    def expect(self, node: E.Node, scope: dict[str, str], want: str, what: str) -> str:
        got = self.infer(node, scope)
        if not fits(got, want):
            raise ExprTypeError(f"{what} must be {describe(want)}, not {describe(got)}", node)
        return got

    # ---- atoms ------------------------------------------------------------------------
    def _lit(self, node: E.Lit, scope: dict[str, str]) -> str:
        v = node.value
        if v is None:
            return NONE
        if isinstance(v, bool):
            return BOOL
        return TEXT if isinstance(v, str) else NUMBER

    def _name(self, node: E.Name, scope: dict[str, str]) -> str:
        if node.name in scope:
            return scope[node.name]
        if node.name == "users" and EARLIER in scope:
            raise ExprTypeError(
                "a user's draw cannot read `users`: users are drawn one by one, so it would "
                "be empty",
                node,
                "`earlier` holds the users drawn before this one, with all their facts",
            )
        if node.name == "users":
            return list_of(USER)
        if node.name == "options":
            return list_of(OPTION)
        facts = self.facts_of("scenario")
        if node.name in facts:
            self.reads.fact(f"scenario.{node.name}", node)
            return facts[node.name]
        actions = {a.name for a in self.family.actions}
        if node.name in actions:
            self.reads.actions.add(node.name)
            return f"call:{node.name}"
        known = [*scope, "users", "options", *facts, *actions]
        raise ExprTypeError(
            f"unknown name '{node.name}'",
            node,
            did_you_mean(node.name, known) or "names here: " + ", ".join(sorted(set(known))),
        )

    def fresh(self, name: E.Name, scope: dict[str, str], what: str) -> None:
        """A name a `let` or a def's parameter introduces must not hide another: the
        reader would take it for the other."""
        hidden = (
            "a value here" if name.name in scope
            else "every episode's users or options" if name.name in ("users", "options")
            else "a fact of the scenario" if name.name in self.facts_of("scenario")
            else "an action" if any(a.name == name.name for a in self.family.actions)
            else None
        )  # fmt: skip
        if hidden is not None:
            raise ExprTypeError(f"{what} '{name.name}' already names {hidden}", name,
                                "give it another name")  # fmt: skip

    def _earlier(self, node: E.Node, scope: dict[str, str]) -> str | None:
        """What of `earlier` a node holds in a user's draw: "list" (`earlier`,
        `earlier - [...]`, `[v in earlier where ...]`, `sample(earlier, k)`), "item"
        (`earlier[0]`, `pick(earlier)`, a name bound over it), or None."""
        if EARLIER not in scope:
            return None
        if isinstance(node, E.Name):
            return "list" if node.name == EARLIER else self.earlier_names.get(node.name)
        if isinstance(node, E.BinOp) and node.op == "-":
            return "list" if self._earlier(node.left, scope) == "list" else None
        if isinstance(node, E.Comp) and node.binding.body is None:
            return "list" if self._earlier(node.binding.domain, scope) == "list" else None
        if isinstance(node, E.Index) or (
            isinstance(node, E.Call) and node.fn in ("pick", "sample") and node.args
        ):
            inner = node.obj if isinstance(node, E.Index) else node.args[0]
            if self._earlier(inner, scope) != "list":
                return None
            return "list" if isinstance(node, E.Call) and node.fn == "sample" else "item"
        return None

    @contextmanager
    def _bound(self, name: str, holds: str | None) -> Iterator[None]:
        """`name` bound, for the scope of a binding or a let, to what `holds` says of
        `earlier` (a name rebound over something else loses its tag)."""
        before = self.earlier_names.get(name)
        if holds is None:
            self.earlier_names.pop(name, None)
        else:
            self.earlier_names[name] = holds
        try:
            yield
        finally:
            if before is None:
                self.earlier_names.pop(name, None)
            else:
                self.earlier_names[name] = before

    def _let(self, node: E.Let, scope: dict[str, str]) -> str:
        local = dict(scope)
        with ExitStack() as stack:
            for v in node.values:
                self.fresh(v.name_node, local, "the let")
                local[v.name] = self.infer(v.value, local)
                stack.enter_context(self._bound(v.name, self._earlier(v.value, local)))
            return self.infer(node.body, local)

    def _binding(self, b: E.Binding, scope: dict[str, str]) -> AbstractContextManager[None]:
        """A binding's variable ranges over `earlier`'s users, or over something else."""
        return self._bound(b.var, "item" if self._earlier(b.domain, scope) == "list" else None)

    def _comp(self, node: E.Comp, scope: dict[str, str]) -> str:
        b = node.binding
        domain = self.infer(b.domain, scope)
        inner = element(domain)
        if inner is None:
            raise ExprTypeError(
                f"a list's binding ranges over a list, not {describe(domain)}", b.domain
            )
        local = {**scope, b.var: inner}
        with self._binding(b, scope):
            if b.where is not None:
                self.expect(b.where, local, BOOL, "the condition after 'where'")
            if b.body is None:
                return domain
            return list_of(self.infer(b.body, local))

    def _listlit(self, node: E.ListLit, scope: dict[str, str]) -> str:
        types = {self.infer(i, scope) for i in node.items} - {NONE}
        if len(types) > 1:
            raise ExprTypeError("a list's items must have one type", node)
        return list_of(types.pop() if types else NONE)

    # ---- access -----------------------------------------------------------------------
    def _attr(self, node: E.Attr, scope: dict[str, str]) -> str:
        base = self.infer(node.obj, scope)
        if base == NONE:
            return NONE
        if base in (USER, OPTION):
            fixed = USER_FIELDS if base == USER else OPTION_FIELDS
            facts = self.facts_of(base)
            if node.name in facts:
                drawn = self._earlier(node.obj, scope) == "item"  # all its facts are drawn
                self.reads.fact(f"{EARLIER if drawn else base}.{node.name}", node)
                return facts[node.name]
            if node.name in fixed:
                return fixed[node.name]
            known = [*fixed, *facts]
            raise ExprTypeError(
                f"{describe(base)} has no '{node.name}'",
                node,
                did_you_mean(node.name, known) or f"{describe(base)} has: " + ", ".join(known),
            )
        if base.startswith("call:"):
            action = self._action(base[5:])
            params = {p.name: PARAM_TYPES[p.type] for p in action.params}
            if node.name in params:
                return params[node.name]
            raise ExprTypeError(
                f"action '{action.name}' has no parameter '{node.name}'",
                node,
                did_you_mean(node.name, params)
                or "its parameters: " + (", ".join(params) or "none"),
            )
        raise ExprTypeError(f"{describe(base)} has no fields", node)

    def _index(self, node: E.Index, scope: dict[str, str]) -> str:
        base = self.infer(node.obj, scope)
        item = element(base)
        if item is not None:  # a list by position: xs[0] the first, xs[-1] the last
            self.expect(node.key, scope, NUMBER, "a list's index")
            key = node.key.value if isinstance(node.key, E.Lit) else None
            if isinstance(key, float) and not key.is_integer():
                raise ExprTypeError(
                    f"a list's index is a whole number, not {key:g}",
                    node.key,
                    "xs[0] is the first item, xs[-1] the last",
                )
            return item
        if base.startswith("call:") and not (
            isinstance(node.obj, E.Name) and node.obj.name not in scope
        ):
            raise ExprTypeError(
                "an action is indexed by its name", node, f"e.g. {base[5:]}[u].PARAM"
            )
        if not base.startswith("call:"):
            raise ExprTypeError(
                f"only an action (by a user) or a list (by position) is indexed, not "
                f"{describe(base)}",
                node,
                "e.g. grant[u].amount: the last grant to u; options[0]: the first option",
            )
        action = self._action(base[5:])
        if not any(p.type == "user" for p in action.params):
            raise ExprTypeError(
                f"action '{action.name}' has no user parameter to index it by", node
            )
        self.expect(node.key, scope, USER, "an action's index")
        return base

    def _action(self, name: str):
        return next(a for a in self.family.actions if a.name == name)

    # ---- operators --------------------------------------------------------------------
    def _binop(self, node: E.BinOp, scope: dict[str, str]) -> str:
        op = node.op
        if op in ("and", "or"):
            self.expect(node.left, scope, BOOL, f"each side of '{op}'")
            self.expect(node.right, scope, BOOL, f"each side of '{op}'")
            return BOOL
        left, right = self.infer(node.left, scope), self.infer(node.right, scope)
        if op in ("==", "!=", "in"):
            self._option_id(node, scope)
        if op == "-" and (element(left) or element(right)):
            return self._difference(node, left, right)
        if op in "+-*/":
            for side, t in ((node.left, left), (node.right, right)):
                if not fits(t, NUMBER):
                    raise ExprTypeError(f"'{op}' takes numbers, not {describe(t)}", side)
            return NUMBER
        if op == "in":
            inner = element(right)
            if right == TEXT:
                inner = TEXT
            if inner is None and right != NONE:
                raise ExprTypeError(
                    f"'in' looks in a list or a text, not {describe(right)}", node.right
                )
            if inner is not None and not fits(left, inner):
                raise ExprTypeError(f"{describe(left)} is never in a {right}", node.left)
            return BOOL
        if op in ("<", "<=", ">", ">=") and not (fits(left, NUMBER) and fits(right, NUMBER)):
            raise ExprTypeError(
                f"'{op}' compares numbers, not {describe(left)} and {describe(right)}", node
            )
        if op in ("==", "!=") and not (fits(left, right) or fits(right, left)):
            raise ExprTypeError(f"{describe(left)} is never equal to {describe(right)}", node)
        return BOOL

    def _difference(self, node: E.BinOp, left: str, right: str) -> str:
        """`xs - ys`: the elements of xs that are not in ys, in xs's order."""
        a, b = element(left), element(right)
        if a is None or b is None:
            other = node.left if a is None else node.right
            raise ExprTypeError(
                f"'-' takes two numbers or two lists, not {describe(left)} and {describe(right)}",
                other,
                "a list minus a list is what the first has that the second has not: "
                "options - [u.shift]",
            )
        if not (fits(a, b) or fits(b, a)):
            raise ExprTypeError(f"{describe(right)} are never in {describe(left)}", node.right)
        return left if a != NONE else right

    def _option_id(self, node: E.BinOp, scope: dict[str, str]) -> None:
        """Note a text fact compared with an option's id (`o.id == u.shift`): the fact
        holds ids, and typed `option` each of its values would be checked."""
        sides = (node.left, node.right)
        if not any(isinstance(n, E.Attr) and n.name == "id" and self._quiet(n.obj, scope) == OPTION
                   for n in sides):  # fmt: skip
            return
        for n in sides:
            if isinstance(n, E.Attr) and n.name != "id":
                owner = self._quiet(n.obj, scope)
                if owner in (USER, OPTION) and self.facts_of(owner).get(n.name) == TEXT:
                    self.option_ids.append((node, n.name))
            elif (
                isinstance(n, E.Name)
                and n.name not in scope
                and self.facts_of("scenario").get(n.name) == TEXT
            ):
                self.option_ids.append((node, n.name))

    def _quiet(self, node: E.Node, scope: dict[str, str]) -> str | None:
        """The type of a node already checked, without recording what it reads again."""
        saved = Reads(set(self.reads.facts), set(self.reads.actions), self.reads.told)
        try:
            return self.infer(node, scope)
        except ExprTypeError:
            return None
        finally:
            self.reads = saved

    def _not(self, node: E.Not, scope: dict[str, str]) -> str:
        self.expect(node.operand, scope, BOOL, "what 'not' negates")
        return BOOL

    def _neg(self, node: E.Neg, scope: dict[str, str]) -> str:
        self.expect(node.operand, scope, NUMBER, "what '-' negates")
        return NUMBER

    def _cond(self, node: E.Cond, scope: dict[str, str]) -> str:
        self.expect(node.test, scope, BOOL, "the condition after 'if'")
        a, b = self.infer(node.then, scope), self.infer(node.other, scope)
        if not (fits(a, b) or fits(b, a)):
            raise ExprTypeError(f"the two branches differ: {describe(a)} and {describe(b)}", node)
        return b if a == NONE else a

    # ---- calls ------------------------------------------------------------------------
    def _call(self, node: E.Call, scope: dict[str, str]) -> str:
        sigs = self.sigs or {}
        if node.fn in sigs:
            return self._def_call(node, sigs[node.fn], scope)
        if node.fn not in BUILTINS:
            known = [*FUNCTIONS, *sigs]
            raise ExprTypeError(
                f"unknown function '{node.fn}'",
                node,
                did_you_mean(node.fn, known) or "functions: " + ", ".join(known),
            )
        if node.fn in DRAWS and not self.draw:
            raise ExprTypeError(
                f"'{node.fn}' draws at random: only a fact's `draw:` may use it", node
            )
        if node.binding is not None:
            return self._aggregate(node, node.binding, scope)
        if node.fn in AGGREGATES - {"min", "max"}:
            raise ExprTypeError(
                f"{node.fn}(...) ranges over a collection", node, f"write {node.fn}(x in xs: ...)"
            )
        try:
            return self._plain(node, scope)
        except ExprTypeError as e:
            # a call written wrongly (its arity, or the type of an argument it was given)
            # is answered with how the function is called, as hover would show it
            if e.hint is None and (e.node is node or any(e.node is a for a in node.args)):
                e.hint = f"it is called {SIGNATURES[node.fn][0]}"
            raise

    def _def_call(self, node: E.Call, sig: Signature, scope: dict[str, str]) -> str:
        """A call of the family's def: its arguments of its parameters' types; it reads
        what its body reads (each fact at the call, for the draw-order check)."""
        names = ", ".join(p for p, _ in sig.params)
        if node.binding is not None or len(node.args) != len(sig.params):
            n = len(sig.params)
            given = "a binding" if node.binding is not None else str(len(node.args))
            raise ExprTypeError(
                f"{node.fn} takes {n} argument{'s' * (n != 1)}, not {given}",
                node,
                f"{node.fn}({names})",
            )
        if self.in_temporal and sig.temporal:
            raise ExprTypeError(
                f"{node.fn}(...) judges the conversation, inside another condition over it",
                node,
                "judge each condition on its own and combine them with and/or",
            )
        for arg, (name, want) in zip(node.args, sig.params, strict=True):
            self.expect(arg, scope, want, f"{node.fn}'s '{name}'")
        for key in sorted(sig.reads.facts):
            self.reads.fact(key, node)
        self.reads.actions |= sig.reads.actions
        self.reads.told = self.reads.told or sig.reads.told
        return sig.returns

    def _aggregate(self, node: E.Call, b: E.Binding, scope: dict[str, str]) -> str:
        domain = self.infer(b.domain, scope)
        inner = element(domain)
        if inner is None:
            raise ExprTypeError(f"{node.fn} ranges over a list, not {describe(domain)}", b.domain)
        local = {**scope, b.var: inner}
        with self._binding(b, scope):
            if b.where is not None:
                self.expect(b.where, local, BOOL, "the condition after 'where'")
            fn = node.fn
            if b.body is None:
                if fn != "count":
                    raise ExprTypeError(
                        f"{fn}(x in xs ...) needs ': VALUE' after the binding", node
                    )
                return NUMBER
            if fn in ("all", "any", "count"):
                self.expect(b.body, local, BOOL, f"what {fn} tests")
                return BOOL if fn != "count" else NUMBER
            if fn in ("argmax", "argmin"):
                self.expect(b.body, local, NUMBER, f"what {fn} ranks by")
                return inner
            self.expect(
                b.body, local, NUMBER, f"what {fn} adds up" if fn == "sum" else f"{fn}'s value"
            )
            return NUMBER

    def _temporal(self, node: E.Call, scope: dict[str, str]) -> str:
        """A condition over the conversation (expr/temporal.py): its conditions are
        true/false, `by_turn`'s turn a number; one inside another is refused, since a
        moment has no conversation of its own."""
        if self.in_temporal:
            raise ExprTypeError(
                f"{node.fn}(...) inside another condition over the conversation",
                node,
                "judge each condition on its own and combine them with and/or",
            )
        args = node.args
        conditions = args[1:] if node.fn == "by_turn" else args
        if node.fn == "by_turn":
            self.expect(args[0], scope, NUMBER, "by_turn's turn")
        self.in_temporal = True
        try:
            for a in conditions:
                self.expect(a, scope, BOOL, f"what {node.fn} judges")
        finally:
            self.in_temporal = False
        return BOOL

    def _plain(self, node: E.Call, scope: dict[str, str]) -> str:
        fn, args = node.fn, node.args
        arity = ARITY.get(fn)
        if arity is not None and len(args) != arity:
            raise ExprTypeError(f"{fn} takes {arity} argument{'s' * (arity > 1)}", node)
        if fn in ("min", "max"):
            if len(args) < 2:
                raise ExprTypeError(
                    f"{fn} of values takes two or more", node, f"or {fn}(x in xs: ...)"
                )
            for a in args:
                self.expect(a, scope, NUMBER, f"each value of {fn}")
            return NUMBER
        if fn == "called":
            t = self.infer(args[0], scope)
            if not t.startswith("call:") and t != NONE:
                raise ExprTypeError(
                    f"called(...) asks whether an action was taken, not about {describe(t)}",
                    args[0],
                    "e.g. called(grant[u]) or called(book)",
                )
            return BOOL
        if fn == "default":
            a, b = self.infer(args[0], scope), self.infer(args[1], scope)
            if not (fits(a, b) or fits(b, a)):
                raise ExprTypeError(
                    f"default(...)'s two values differ: {describe(a)} and {describe(b)}", node
                )
            return b if a == NONE else a
        if fn in TEMPORAL:
            return self._temporal(node, scope)
        if fn == "spoke":
            self.expect(args[0], scope, USER, "whom spoke(...) asks about")
            return BOOL
        if fn in ("abs", "round", "floor", "ceil", "chance"):
            self.expect(args[0], scope, NUMBER, f"{fn}'s argument")
            return BOOL if fn == "chance" else NUMBER
        if fn in ("uniform", "randint"):
            for a in args:
                self.expect(a, scope, NUMBER, f"{fn}'s bounds")
            return NUMBER
        if fn == "len":
            t = self.infer(args[0], scope)
            if element(t) is None and t not in (TEXT, NONE):
                raise ExprTypeError(f"len counts a list or a text, not {describe(t)}", args[0])
            return NUMBER
        if fn in ("pick", "sample"):
            if fn == "pick" and isinstance(args[0], E.ListLit) and not args[0].items:
                raise ExprTypeError("pick draws from an empty list: it would always be none",
                                    args[0], "list what it draws from")  # fmt: skip
            t = self.infer(args[0], scope)
            if element(t) is None:
                raise ExprTypeError(f"{fn} draws from a list, not {describe(t)}", args[0])
            if fn == "sample":
                self.expect(args[1], scope, NUMBER, "how many sample draws")
                return t
            return element(t) or NONE
        # told(user, value): the agent wrote the value to that user
        self.expect(args[0], scope, USER, "whom told(...) asks about")
        t = self.infer(args[1], scope)
        if t not in (NUMBER, TEXT, OPTION, USER, NONE, "list[text]", "list[number]"):
            raise ExprTypeError(
                f"told(...) looks for a number, a text, an option or a user, not {describe(t)}",
                args[1],
            )
        self.reads.told = True
        return BOOL


def describe(t: str) -> str:
    """A type in words, for diagnostics."""
    if t.startswith("call:"):
        return f"a call of {t[5:]}"
    if t.startswith("list["):
        return f"a list of {element(t)}s"
    return {
        "none": "none",
        "user": "a user",
        "option": "an option",
        "bool": "true/false",
        "number": "a number",
        "text": "a text",
    }.get(t, t)
