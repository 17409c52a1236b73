"""Declarations written once and used by several scenarios (`uses: [ward_record, relatives]`).

A resource, a population, a sweep (an attack mix with it) or a protocol
may be declared at the top level of a file, with a name, and listed in the `uses:` of any
scenario, in that file or one that imports it:

    resource ward_record "Patient record" { content: "..."  allow: [nurse] }
    sweep ward_mix { attack: { pressure: 2  fake_authorization: 1 }  samples: 6 }

    scenario ward { family: access_control  uses: [ward_record, ward_mix]  ... }

Like `extends` (inherit.py) this is resolved on the AST, before anything is built: each
declaration listed becomes a member of the scenario, in the order listed and before the
scenario's own members, and a member the scenario writes with the same kind and name (the
one `sweep` or `population`) is merged over it, field by field. So the scenario is checked
and compiled exactly as if the declaration were written inside it, and a mistake in the
shared declaration points at its own line. A shared declaration no scenario uses is
reported like any unused declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from museslang.diagnostics import Diagnostics
from museslang.semantics import inherit
from museslang.semantics.types import Symbol
from museslang.syntax import ast

# the kinds a scenario may use; those a scenario holds once take no name inside it
SHARED = ("resource", "population", "sweep", "protocol")
SINGLE = ("population", "sweep", "protocol")  # held once: their name is only for `uses:`

Resolve = Callable[[ast.Ref, tuple[str, ...]], Symbol | None]


def expand(decl: ast.Decl, resolve: Resolve, diags: Diagnostics) -> ast.Decl:
    """`decl` with the declarations its `uses:` lists as members (merged under its own)."""
    field = next((f for f in decl.fields if f.key.name == "uses"), None)
    if field is None or not isinstance(field.value, ast.ListValue):
        return decl  # no uses, or not a list (the field's type reports that)
    used: list[ast.Decl] = []
    for item in field.value.items:
        if not isinstance(item, ast.Ref):
            continue  # the field's type reports it
        sym = resolve(item, SHARED)
        if sym is None:
            continue  # unknown: the field's type reports it, with a "did you mean"
        member = sym.decl
        if member.kind.name in SINGLE:
            member = replace(member, name=None)
        used.append(member)
    if not used:
        return decl
    # the used declarations are a parent the scenario's own members merge over
    base = replace(decl, fields=(), children=tuple(used), label=None, parent=None)
    return inherit.merge(base, decl, diags, "uses")
