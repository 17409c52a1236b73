"""`scenario B extends A { ... }`: B's declaration merged over A's, before anything is built.

Inheritance is resolved on the AST, so everything after it (types, rules, the oracle
gate, lowering) sees one ordinary declaration and needs no notion of a parent: an
extending scenario compiles exactly as the copy of A with B's changes written in by hand.

The merge, member by member:
- a field B writes replaces A's; an object (`facts: { ... }`, `extra: { ... }`) is merged
  key by key, so B can change one fact and keep the others;
- a nested declaration B writes with the kind and name of one of A's (`user Relative`,
  or the one `sweep`, `protocol`, `population` block) overrides it, merged the same way
  and in A's place, so the order of users (and so the episodes) stays A's;
- any other nested declaration is added after A's;
- a sweep's `examples` table B writes takes the place of the axes its rows give: A's
  `users: 2..10` gives way to B's rows of team sizes (both at once would be E019).

Every node keeps the span of the text it came from: an error in an inherited member
points at A's line, one in an override at B's. A member B adds whose name is a near
miss of one of A's (`user Relativ`) is reported (W014): it was most likely meant to
override, and would otherwise silently add a second user.
"""

from __future__ import annotations

from dataclasses import replace

from museslang.diagnostics import Diagnostics, Label, did_you_mean
from museslang.syntax import ast


def _key(d: ast.Decl) -> tuple[str, str | None, str | None]:
    """What makes two nested declarations the same member: kind and name, or for an unnamed
    block its label (`secret "..."`), or nothing (`sweep`: one per scenario)."""
    if d.name is not None:
        return (d.kind.name, d.name.name, None)
    return (d.kind.name, None, d.label.value if d.label is not None else None)


def _merge_value(base: ast.Value, over: ast.Value) -> ast.Value:
    if isinstance(base, ast.Object) and isinstance(over, ast.Object):
        return replace(over, fields=_merge_fields(base.fields, over.fields))
    return over


def _merge_fields(
    base: tuple[ast.Field, ...], over: tuple[ast.Field, ...]
) -> tuple[ast.Field, ...]:
    """A's fields in A's order, each one B writes replaced by B's; then B's new ones.
    A key written twice on one side stays twice, so the checker still reports it (E019)."""
    written = {f.key.name: f for f in over}
    out: list[ast.Field] = []
    used: set[str] = set()
    for f in base:
        mine = written.get(f.key.name)
        if mine is None:
            out.append(f)
        elif f.key.name not in used:
            used.add(f.key.name)
            out.append(replace(mine, value=_merge_value(f.value, mine.value)))
    out += [f for f in over if f.key.name not in used]
    return tuple(out)


def merge(parent: ast.Decl, child: ast.Decl, diags: Diagnostics, parent_name: str) -> ast.Decl:
    """`child` with `parent`'s members underneath it: the declaration the checker builds."""
    covered = _table_axes(child)
    fields = _merge_fields(tuple(f for f in parent.fields if f.key.name not in covered),
                           child.fields)  # fmt: skip
    theirs = {_key(d): d for d in parent.children}
    mine: dict[tuple[str, str | None, str | None], ast.Decl] = {}
    added: list[ast.Decl] = []
    for d in child.children:
        if _key(d) in theirs and _key(d) not in mine:
            mine[_key(d)] = d
        else:
            added.append(d)
    children = [
        merge(d, mine[_key(d)], diags, parent_name) if _key(d) in mine else d
        for d in parent.children
    ]
    for d in added:
        _near_miss(d, parent, diags, parent_name)
    return replace(
        child,
        fields=fields,
        children=(*children, *added),
        label=child.label or parent.label,
    )


def _table_axes(d: ast.Decl) -> set[str]:
    """The axes the rows of a declaration's `examples` table give."""
    table = next((f.value for f in d.fields if f.key.name == "examples"), None)
    if not isinstance(table, ast.ListValue):
        return set()
    return {f.key.name for row in table.items if isinstance(row, ast.Object) for f in row.fields}


def _near_miss(d: ast.Decl, parent: ast.Decl, diags: Diagnostics, parent_name: str) -> None:
    if d.name is None:
        return
    same_kind = {c.name.name: c for c in parent.children if c.kind.name == d.kind.name and c.name}
    hint = did_you_mean(d.name.name, same_kind)
    if hint is None:
        return
    close = same_kind[hint.split("'")[1]]
    assert close.name is not None
    diags.warning(
        "W014",
        f"{d.kind.name} '{d.name.name}' overrides nothing: '{parent_name}' has no "
        f"{d.kind.name} '{d.name.name}', so this adds one",
        d.name.span,
        hint=f"{hint} An override is written with the name it overrides; a new "
        f"{d.kind.name} needs a name unlike '{close.name.name}'",
        labels=[Label(close.name.span, f"the {d.kind.name} of '{parent_name}'")],
    )
