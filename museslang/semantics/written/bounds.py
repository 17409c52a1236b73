"""The range of values an expression can take, from the draws of the facts it reads.

Used to find, before anything is drawn, an oracle call or a goal that a draw can push
outside an action's declared range: bidder values drawn from `randint(20, 150)` against
`price: 0..100` make every episode whose second bid is above 100 one the oracle cannot
pass, and such draws were drawn again in silence. The analysis is interval arithmetic:
sound (the true value is always inside the interval it gives) but not exact (`x - x`
gives an interval around 0), so what it finds is a warning, and lowering counts what
really happens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from museslang.expr import nodes as E
from museslang.ir.models import AuthoredFamily

Range = tuple[float, float]  # low, high (either may be infinite)
ANY: Range = (-math.inf, math.inf)


@dataclass
class Bounds:
    family: AuthoredFamily
    scope: dict[str, str]  # variable -> "user" | "option" | "call:ACTION" | ...

    def fact(self, of: str, name: str) -> Range | None:
        """A fact's range: its draw's, when it is drawn (given values are not known here)."""
        spec = next((f for f in self.family.facts if f.of == of and f.name == name), None)
        if spec is None or spec.type != "number" or not spec.draw:
            return None
        scope = {"u": "user"} if of == "user" else {}
        return Bounds(self.family, scope).of(E.parse(spec.draw))

    def param(self, action: str, name: str) -> Range | None:
        spec = next((a for a in self.family.actions if a.name == action), None)
        p = next((p for p in spec.params if p.name == name), None) if spec else None
        if p is None or p.type != "number":
            return None
        return (
            p.low if p.low is not None else -math.inf,
            p.high if p.high is not None else math.inf,
        )

    def inside(self, node: E.Node) -> tuple[Bounds, E.Node] | None:
        """A def's call or a `let` as the body it evaluates and the scope it has there: a
        parameter or a let's name is what its argument or value names (`?`: nothing a
        range knows)."""
        if isinstance(node, E.Let):
            scope = dict(self.scope)
            for v in node.values:
                scope[v.name] = Bounds(self.family, scope).kind(v.value) or "?"
            return Bounds(self.family, scope), node.body
        spec = next((d for d in self.family.defs if d.name == node.fn), None) if (
            isinstance(node, E.Call) and node.binding is None) else None  # fmt: skip
        if spec is None:
            return None
        assert isinstance(node, E.Call)
        args = zip(spec.params, node.args, strict=False)
        scope = {p.name: self.kind(a) or "?" for p, a in args}
        return Bounds(self.family, scope), E.parse(spec.value)

    def kind(self, node: E.Node) -> str | None:
        """What a node names, as far as ranges care: user, option, or call:ACTION."""
        if (body := self.inside(node)) is not None:
            return body[0].kind(body[1])
        if isinstance(node, E.Name):
            if node.name in self.scope:
                return self.scope[node.name]
            if any(a.name == node.name for a in self.family.actions):
                return f"call:{node.name}"
            return None
        if isinstance(node, E.Index):  # an action's call to a user; a list's item is unknown
            base = self.kind(node.obj)
            return base if base is not None and base.startswith("call:") else None
        if isinstance(node, E.Attr):
            base = self.kind(node.obj)
            if base is not None and base.startswith("call:"):
                action = next(a for a in self.family.actions if a.name == base[5:])
                p = next((p for p in action.params if p.name == node.name), None)
                return p.type if p is not None and p.type in ("user", "option") else None
            if base in ("user", "option"):
                f = next(
                    (f for f in self.family.facts if f.of == base and f.name == node.name), None
                )
                return "option" if f is not None and f.type == "option" else None
        if isinstance(node, E.Call) and node.fn in ("argmax", "argmin") and node.binding:
            domain = node.binding.domain
            if isinstance(domain, E.Name) and domain.name in ("users", "options"):
                return domain.name[:-1]
        return None

    def of(self, node: E.Node) -> Range | None:
        """The interval of a number-valued node, or None when nothing is known."""
        if (body := self.inside(node)) is not None:
            return body[0].of(body[1])
        if isinstance(node, E.Lit):
            v = node.value
            if isinstance(v, bool):
                return (float(v), float(v))
            return (float(v), float(v)) if isinstance(v, int | float) else None
        if isinstance(node, E.Name):
            if node.name in self.scope:
                return None
            return self.fact("scenario", node.name)
        if isinstance(node, E.Attr):
            base = self.kind(node.obj)
            if base is None:
                return None
            if base.startswith("call:"):
                return self.param(base[5:], node.name)
            return self.fact(base, node.name)
        if isinstance(node, E.Neg):
            r = self.of(node.operand)
            return (-r[1], -r[0]) if r else None
        if isinstance(node, E.Cond):
            a, b = self.of(node.then), self.of(node.other)
            return (min(a[0], b[0]), max(a[1], b[1])) if a and b else None
        if isinstance(node, E.BinOp) and node.op in "+-*/":
            a, b = self.of(node.left), self.of(node.right)
            return _arith(node.op, a, b) if a and b else None
        if isinstance(node, E.Call):
            return self._call(node)
        return None

    def _call(self, node: E.Call) -> Range | None:
        fn = node.fn
        if node.binding is not None:
            b = node.binding
            if fn not in ("min", "max", "mean") or b.body is None:
                return (0.0, math.inf) if fn == "count" else None
            domain = "user" if isinstance(b.domain, E.Name) and b.domain.name == "users" else (
                "option" if isinstance(b.domain, E.Name) and b.domain.name == "options" else None
            )  # fmt: skip
            inner = Bounds(self.family, {**self.scope, b.var: domain or "?"})
            return inner.of(b.body)
        args = [self.of(a) for a in node.args]
        if fn in ("randint", "uniform") and all(args):
            return (args[0][0], args[1][1])  # type: ignore[index]
        if fn in ("min", "max") and args and all(args):
            pick = min if fn == "min" else max
            return (pick(a[0] for a in args), pick(a[1] for a in args))  # type: ignore[index]
        if fn in ("round", "floor", "ceil") and args and args[0]:
            low, high = args[0]
            return (math.floor(low), math.ceil(high)) if math.isfinite(low + high) else (low, high)
        if fn == "abs" and args and args[0]:
            low, high = args[0]
            return (0.0 if low <= 0 <= high else min(abs(low), abs(high)), max(abs(low), abs(high)))
        if fn == "default" and len(args) == 2 and all(args):
            return (min(args[0][0], args[1][0]), max(args[0][1], args[1][1]))  # type: ignore[index]
        return None


def _arith(op: str, a: Range, b: Range) -> Range | None:
    if op == "+":
        return (a[0] + b[0], a[1] + b[1])
    if op == "-":
        return (a[0] - b[1], a[1] - b[0])
    if op == "/":
        if b[0] <= 0 <= b[1]:
            return None
        b = (1 / b[1], 1 / b[0])
    zero_times_inf = lambda x, y: (math.isinf(x) and y == 0) or (math.isinf(y) and x == 0)  # noqa: E731
    corners = [x * y for x in a for y in b if not zero_times_inf(x, y)]
    return (min(corners), max(corners)) if corners else None


def outside(value: Range, allowed: Range) -> str | None:
    """How a value range leaves an allowed one ("up to 150"), or None when it stays in."""
    if value[1] > allowed[1]:
        return f"up to {_show(value[1])}"
    if value[0] < allowed[0]:
        return f"as low as {_show(value[0])}"
    return None


def _show(x: float) -> str:
    return str(int(x)) if math.isfinite(x) and float(x).is_integer() else f"{x:g}"
