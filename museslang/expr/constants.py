"""The parts of an expression that are the same in every episode, evaluated at check time.

`5 / 0`, `round(99999999999999.9 * 99999999999999.9 * ...)` or `randint(12, 4)` fail on
every episode, whatever is drawn: they are located errors (E075) when the spec is
checked, not a failure of the first episode that reaches them. A part is constant when it
reads no name (no user, fact, action, bound variable or def); a draw with constant arguments is
tried once with a fixed seed, so an empty range is found, but its value is not constant.
Each node is evaluated once, its children already replaced by their values.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from museslang.expr import nodes as E
from museslang.expr.evaluate import EvalError, Evaluator, World, number
from museslang.expr.types import BUILTINS, DRAWS

_NOT = object()  # not a constant


def failures(node: E.Node) -> list[tuple[E.Node, str]]:
    """Each constant part that cannot be evaluated, innermost first, with the reason."""
    found: list[tuple[E.Node, str]] = []
    _fold(node, World([], [], {}, rng=random.Random(0)), found)
    return found


def _fold(node: E.Node, w: World, found: list[tuple[E.Node, str]]) -> Any:
    if isinstance(node, E.Lit):
        return node.value
    # names, bindings and a def's calls read what changes (a def's body is folded where
    # it is declared)
    if isinstance(node, E.Name | E.Attr | E.Index | E.Let | E.Comp) or (
        isinstance(node, E.Call)
        and (node.binding is not None or node.fn == "told" or node.fn not in BUILTINS)
    ):
        for child in E.children(node):
            _fold(child, w, found)
        return _NOT
    values = [_fold(child, w, found) for child in E.children(node)]
    divisor = values[1] if isinstance(node, E.BinOp) and node.op == "/" else _NOT
    if divisor is not _NOT and number(divisor) == 0:  # whatever the left side is
        found.append((node, "division by zero"))
        return _NOT
    if any(v is _NOT for v in values):
        return _NOT
    kids = [E.Lit(c.start, c.end, v) for c, v in zip(E.children(node), values, strict=True)]
    try:
        value = Evaluator(w).eval(_with(node, kids), {})
    except (EvalError, ArithmeticError) as exc:
        found.append((node, str(exc)))
        return _NOT
    return _NOT if isinstance(node, E.Call) and node.fn in DRAWS else value


def _with(node: E.Node, kids: list[E.Lit]) -> E.Node:
    """The node with its children (in `E.children` order) replaced by literals."""
    if isinstance(node, E.BinOp):
        return replace(node, left=kids[0], right=kids[1])
    if isinstance(node, E.Not | E.Neg):
        return replace(node, operand=kids[0])
    if isinstance(node, E.Cond):
        return replace(node, then=kids[0], test=kids[1], other=kids[2])
    if isinstance(node, E.ListLit):
        return replace(node, items=list(kids))
    assert isinstance(node, E.Call)
    return replace(node, args=list(kids))
