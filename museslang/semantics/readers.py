"""Read rules: who may read a resource.

A user may read a resource when some `allow` selector matches them and no
`deny` selector does (deny wins: "everyone in Finance, except Bob"). The rules are the
language's (every resource has them); a family decides what reading means.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass

from museslang.semantics.types import Selector

_OPS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Person:
    id: str
    role: str | None  # the role as written in prompts (its title)
    authority: float | None
    role_name: str | None = None  # the role declaration's name, when it has one


def matches(selector: Selector, person: Person) -> bool:
    if selector.kind == "everyone":
        return True
    if selector.kind == "user":
        return selector.user == person.id
    if selector.kind == "role":
        return selector.role is not None and selector.role in (person.role, person.role_name)
    if selector.kind == "authority":
        if person.authority is None or selector.op is None or selector.bound is None:
            return False
        return bool(_OPS[selector.op](person.authority, selector.bound))
    return False


def entitled(
    allow: Sequence[Selector], deny: Sequence[Selector], people: Sequence[Person]
) -> list[str]:
    """Ids of the people who may read, in the order given."""
    return [
        p.id
        for p in people
        if any(matches(s, p) for s in allow) and not any(matches(s, p) for s in deny)
    ]
