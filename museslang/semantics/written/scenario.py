"""A scenario of a family written in museslang: its facts against the family's declarations.

Every fact a family's expressions read must be there with its type, or be drawn: a
user's missing floor would otherwise read as `none` and make a goal false for reasons
no agent could see.
"""

from __future__ import annotations

from typing import Any

from museslang.diagnostics import Diagnostics, did_you_mean
from museslang.expr import nodes as E
from museslang.ir.models import AuthoredFamily
from museslang.semantics.model import Entity, ScenarioDef

CODE = "E073"


MAX_NUMBER = 10**15  # a number fact: what expressions compute with exactly, as floats


def too_large(kind: str, value: Any) -> bool:
    """A number fact past MAX_NUMBER (or not finite): arithmetic on it overflows a float."""
    if kind != "number" or not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return not abs(value) < MAX_NUMBER  # NaN compares false: too large as well


def fits_type(kind: str, value: Any) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str)
    if kind == "flag":
        return isinstance(value, bool)
    if kind in ("option", "user"):
        return isinstance(value, str)  # which option or user it names is checked below
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_WORDS = {
    "number": "a number",
    "text": "a string",
    "flag": "true or false",
    "list": 'a list of strings ["...", ...]',
    "option": "the id of one of the scenario's options",
    "user": "the name of one of the scenario's users",
}


def check_facts(fam: AuthoredFamily, sc: ScenarioDef, diags: Diagnostics) -> None:
    options = {o.name.lower(): o.name for o in sc.options if o.name}
    users = {u.name.lower(): u.name for u in sc.users if u.name}
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
            elif not fits_type(spec.type, value):
                diags.error(CODE, f"fact '{name}' must be {_WORDS[spec.type]}", where)
            elif too_large(spec.type, value):
                diags.error(CODE, f"fact '{name}' must be a number below 10^15", where)
            elif spec.type == "user" and value.lower() not in users:
                diags.error(
                    CODE,
                    f"fact '{name}' names '{value}', which is no user of this scenario",
                    where,
                    hint=did_you_mean(value, list(users.values()))
                    or "users: " + (", ".join(users.values()) or "none written: draw it"),
                )
            elif spec.type == "option" and value.lower() not in options:
                diags.error(
                    CODE,
                    f"fact '{name}' names '{value}', which is no option of this scenario",
                    where,
                    hint=did_you_mean(value, list(options.values()))
                    or "options: " + (", ".join(options.values()) or "none"),
                )
        for name, spec in declared.items():
            if name not in given and not (drawable and spec.draw):
                label = f"{of} {entity.name}" if of != "scenario" else "the scenario"
                diags.error(
                    CODE,
                    f"{label} misses the fact '{name}' ({_WORDS[spec.type]})",
                    where if "facts" in entity.field_spans else entity.head,
                    hint=f"add `facts: {{ {name}: ... }}`",
                )
    _drawn_options(fam, sc, options, diags)
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


def _drawn_options(
    fam: AuthoredFamily, sc: ScenarioDef, options: dict[str, str], diags: Diagnostics
) -> None:
    """An `option` fact drawn from written ids (`pick(['mon_day', ...])`) must name this
    scenario's options: renaming an option under such a draw would put users on a choice
    that does not exist."""
    drawn = fam.facts if sc.population is not None else [f for f in fam.facts if f.of == "scenario"]
    for f in drawn:
        if f.type != "option" or not f.draw:
            continue
        texts = [n.value for n in E.walk(E.parse(f.draw)) if isinstance(n, E.Lit)]
        for text in [t for t in texts if isinstance(t, str)]:
            if text.lower() not in options:
                diags.error(
                    CODE,
                    f"the {fam.name} family draws fact '{f.name}' from '{text}', which is no "
                    "option of this scenario",
                    sc.head,
                    hint=did_you_mean(text, list(options.values()))
                    or "options: " + (", ".join(options.values()) or "none"),
                )
