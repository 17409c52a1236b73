"""The parts of an expression that need no episode, evaluated when the family is checked.

`1 / 0` reads nothing an episode holds: evaluated on every episode it would fail every
time, and a goal that cannot be evaluated must never pass. So each such part is evaluated
once, at check time, and one that cannot be (a division by zero, a number too large for
`floor`) is a diagnostic at its characters. A division by a part that is constantly zero
is caught the same way, whatever it divides.
"""

from __future__ import annotations

from collections.abc import Iterator

from museslang.authored import expr as E
from museslang.authored.evaluate import EvalError, Evaluator, World, number

PURE = {"min", "max", "abs", "round", "floor", "ceil", "len"}  # functions of their arguments


def is_constant(node: E.Node) -> bool:
    """Whether the node's value depends on nothing but its own text."""
    if isinstance(node, E.Lit):
        return True
    if isinstance(node, E.ListLit):
        return all(is_constant(i) for i in node.items)
    if isinstance(node, E.BinOp):
        return is_constant(node.left) and is_constant(node.right)
    if isinstance(node, E.Not | E.Neg):
        return is_constant(node.operand)
    if isinstance(node, E.Cond):
        return all(is_constant(n) for n in (node.test, node.then, node.other))
    if isinstance(node, E.Call):
        return node.binding is None and node.fn in PURE and all(map(is_constant, node.args))
    return False


def _value(node: E.Node) -> object:
    return Evaluator(World([], [], {})).eval(node, {})


def problems(node: E.Node) -> Iterator[tuple[E.Node, str]]:
    """Each part of `node` that needs no episode and cannot be evaluated, with why."""
    if is_constant(node):
        inner = [bad for child in _children(node) for bad in problems(child)]
        if inner:  # the smallest part that fails: `1 / 0`, not `1 / 0 > 0`
            yield from inner
            return
        try:
            _value(node)
        except EvalError as exc:
            yield node, str(exc)
        except (ArithmeticError, ValueError) as exc:
            yield node, str(exc) or type(exc).__name__
        return
    if isinstance(node, E.BinOp) and node.op == "/" and is_constant(node.right):
        try:
            zero = number(_value(node.right)) == 0
        except (EvalError, ArithmeticError, ValueError):
            zero = False  # the divisor's own problem is reported below
        if zero:
            yield node.right, "division by zero"
            return
    for child in _children(node):
        yield from problems(child)


def _children(node: E.Node) -> list[E.Node]:
    if isinstance(node, E.Attr):
        return [node.obj]
    if isinstance(node, E.Index):
        return [node.obj, node.key]
    if isinstance(node, E.BinOp):
        return [node.left, node.right]
    if isinstance(node, E.Not | E.Neg):
        return [node.operand]
    if isinstance(node, E.Cond):
        return [node.test, node.then, node.other]
    if isinstance(node, E.ListLit):
        return list(node.items)
    if isinstance(node, E.Call):
        b = node.binding
        parts = [b.domain, b.where, b.body] if b is not None else []
        return [*node.args, *(p for p in parts if p is not None)]
    return []
