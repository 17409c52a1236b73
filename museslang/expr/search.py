"""The oracle's search: every call of one action over an episode's finite choices, or
every set of calls, one per element of a binding (a joint search: a roster).

Kept apart from the checker so that what sizes a search (here) and what prices it
(`cost`) need no part of checking. The calls are made one at a time, never materialised:
a `users` parameter over 26 users has 67 million subsets.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from museslang.ir import models as ir

MAX_SEARCH = 200_000  # calls a searched action may have over one episode's choices
# the steps trying one call of a search costs beyond its goals' expressions (building the
# call, the table of scores): about what a few nodes take to evaluate
CALL_STEPS = 8


def searchable(p: ir.ParamSpec) -> bool:
    """Whether a parameter has finitely many values a search can try in an episode."""
    if p.type in ("user", "users", "option", "flag"):
        return True
    bounded = p.type == "number" and p.low is not None and p.high is not None
    return bounded and float(p.low).is_integer() and p.high - p.low <= 100  # type: ignore[operator]


def search_space(action: ir.ActionSpec, users: list[str], options: list[str]):
    """Every call of `action` over one episode's choices, as parameter dicts, made one at a
    time: the subsets of 26 users are 67 million lists, never all in memory at once."""
    domains: list[Callable[[], Iterable[Any]]] = []
    for p in action.params:
        if p.type == "user":
            domains.append(lambda: users)
        elif p.type == "option":
            domains.append(lambda: options)
        elif p.type == "flag":
            domains.append(lambda: (False, True))
        elif p.type == "users":
            domains.append(lambda: _subsets(users))
        else:
            assert p.low is not None and p.high is not None
            low, high = int(p.low), int(p.high)
            domains.append(lambda low=low, high=high: range(low, high + 1))
    names = [p.name for p in action.params]
    for combo in _product(domains):
        yield dict(zip(names, combo, strict=True))


def search_size(action: ir.ActionSpec, users: int, options: int) -> int:
    """How many calls `search_space` makes for that many users and options."""
    return math.prod(choices(p, users, options) for p in action.params)


def choices(p: ir.ParamSpec, users: int, options: int) -> int:
    """How many values a searched parameter takes."""
    if p.type == "user":
        return users
    if p.type == "option":
        return options
    if p.type == "flag":
        return 2
    if p.type == "users":
        return 2**users
    assert p.low is not None and p.high is not None
    return int(p.high) - int(p.low) + 1


def _subsets(items: list[str]) -> Iterator[list[str]]:
    """Every subset, in the order of the bits of 0, 1, 2, ... (bit j: the j-th item)."""
    for mask in range(1 << len(items)):
        yield [u for j, u in enumerate(items) if mask >> j & 1]


def _product(domains: list[Callable[[], Iterable[Any]]]) -> Iterator[tuple[Any, ...]]:
    """itertools.product's order, without materialising each domain as product does."""
    if not domains:
        yield ()
        return
    for head in domains[0]():
        for rest in _product(domains[1:]):
            yield (head, *rest)


def bound_param(action: ir.ActionSpec, element: str) -> ir.ParamSpec | None:
    """The parameter a joint search's element fills: the first of its type (user, option)."""
    return next((p for p in action.params if p.type == element), None)


def rest_of(action: ir.ActionSpec, bound: str) -> ir.ActionSpec:
    """The action without the parameter the element fills: what each call searches."""
    return action.model_copy(update={"params": [p for p in action.params if p.name != bound]})


def joint_size(action: ir.ActionSpec, bound: str, elements: int, users: int, options: int) -> int:
    """How many sets of calls a joint search tries: each element's choices, multiplied."""
    return search_size(rest_of(action, bound), users, options) ** elements


def joint_space(
    action: ir.ActionSpec, bound: str, elements: list[str], users: list[str], options: list[str]
) -> Iterator[list[dict[str, Any]]]:
    """Every set of calls, one per element (its id in `bound`), in itertools.product's
    order over the elements; one element's calls are listed once (the caller bounds them)."""
    each = list(search_space(rest_of(action, bound), users, options))
    for combo in itertools.product(each, repeat=len(elements)):
        yield [
            {p.name: e if p.name == bound else args[p.name] for p in action.params}
            for e, args in zip(elements, combo, strict=True)
        ]
