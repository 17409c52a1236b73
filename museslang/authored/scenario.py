"""A scenario of a family written in museslang: its facts against the family's declarations.

Every fact a family's expressions read must be there with its type, or be drawn: a
user's missing floor would otherwise read as `none` and make a goal false for reasons
no agent could see.
"""

from __future__ import annotations

from typing import Any

from museslang.diagnostics import Diagnostics, did_you_mean
from museslang.ir.models import AuthoredFamily
from museslang.semantics.model import Entity, ScenarioDef

CODE = "E073"


def _fits(kind: str, value: Any) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str)
    if kind == "flag":
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_WORDS = {
    "number": "a number",
    "text": "a string",
    "flag": "true or false",
    "list": 'a list of strings ["...", ...]',
}


def check_facts(fam: AuthoredFamily, sc: ScenarioDef, diags: Diagnostics) -> None:
    owners: list[tuple[str, Entity, dict[str, Any], bool]] = [("scenario", sc, sc.facts, True)]
    owners += [("user", u, u.facts, False) for u in sc.users]
    owners += [("option", o, o.facts, False) for o in sc.options]
    for of, entity, given, drawable in owners:
        declared = {f.name: f for f in fam.facts if f.of == of}
        where = entity.at("facts")
        for name, value in given.items():
            spec = declared.get(name)
            if spec is None:
                diags.error(
                    CODE,
                    f"the {fam.name} family declares no {of} fact '{name}'",
                    where,
                    hint=did_you_mean(name, declared)
                    or f"{of} facts: " + (", ".join(declared) or "none"),
                )
            elif not _fits(spec.type, value):
                diags.error(CODE, f"fact '{name}' must be {_WORDS[spec.type]}", where)
        for name, spec in declared.items():
            if name not in given and not (drawable and spec.draw):
                label = f"{of} {entity.name}" if of != "scenario" else "the scenario"
                diags.error(
                    CODE,
                    f"{label} misses the fact '{name}' ({_WORDS[spec.type]})",
                    where if "facts" in entity.field_spans else entity.head,
                    hint=f"add `facts: {{ {name}: ... }}`",
                )
    pop = sc.population
    if pop is not None:
        undrawn = [f.name for f in fam.facts if f.of == "user" and not f.draw]
        if undrawn:
            diags.error(
                CODE,
                f"generated users cannot get the fact '{undrawn[0]}': it has no `draw:`",
                pop.head,
                hint=f"give fact {undrawn[0]} a draw in family {fam.name}",
            )
