"""Hover text: what the catalogue says of a kind or a field, and what the checker knows
of a name (a user's role and authority, a resource's readers) or a time (its slot)."""

from __future__ import annotations

from typing import Any

from museslang.lsp.analysis import Analysis, contains, decl_at, field_at, symbol_at, values
from museslang.lsp.inside import hover_in
from museslang.semantics.model import KindSpec, ScenarioDef, kind_in
from museslang.semantics.types import WEEKDAYS, Selector, SlotTime, Symbol
from museslang.syntax import ast


def kind_spec(chain: list[ast.Decl]) -> KindSpec | None:
    """The catalogue entry of the innermost declaration (a family's nested kinds too)."""
    if not chain:
        return None
    return kind_in(chain[-1].kind.name, chain[-2].kind.name if len(chain) > 1 else None)


def describe_kind(spec: KindSpec) -> str:
    lines = [f"**{spec.name}** — {spec.doc}" if spec.doc else f"**{spec.name}**", ""]
    for name, f in spec.fields.items():
        need = " (required)" if f.required else ""
        doc = f" — {f.doc}" if f.doc else ""
        lines.append(f"- `{name}`: {f.type.describe}{need}{doc}")
    if spec.children:
        lines += ["", "holds: " + ", ".join(f"`{c}`" for c in spec.children)]
    return "\n".join(lines)


def describe_field(spec: KindSpec, name: str) -> str | None:
    f = spec.fields.get(name)
    if f is None:
        return None
    need = ", required" if f.required else ""
    return f"**{spec.name}.{name}**: {f.type.describe}{need}" + (f"\n\n{f.doc}" if f.doc else "")


def _entity(analysis: Analysis, sym: Symbol) -> Any:
    if sym.entity is not None:
        return sym.entity
    if analysis.checked is None:
        return None
    for sc in analysis.checked.scenarios:
        for group in (sc.users, sc.resources, sc.orders, sc.goals, sc.options):
            for entity in group:
                if entity.name == sym.name and entity.span == sym.decl.span:
                    return entity
    return None


def _named(value: Any) -> str:
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, Selector):  # a read rule's selector, as it is written
        if value.kind == "authority":
            return f"authority {value.op} {value.bound:g}"
        if value.kind == "role":
            return f'role("{value.role}")'
        return value.user or value.kind
    name = getattr(value, "name", None)
    return str(name) if name is not None else str(value)


def describe_symbol(analysis: Analysis, sym: Symbol) -> str:
    head = f"**{sym.kind} {sym.name}**"
    where = sym.decl.span
    if where.file != analysis.display:
        head += f" — declared in `{where.file}`"
    entity = _entity(analysis, sym)
    lines = [head]
    if sym.kind == "user" and entity is not None:
        role = entity.role
        authority = entity.authority
        if isinstance(role, Symbol) and authority is None:
            authority = getattr(role.entity, "authority", None)
        if role is not None:
            lines.append(f"role: {_named(role)}")
        if authority is not None:
            lines.append(f"authority: {authority}")
        if entity.persona:
            lines.append(f"persona: {entity.persona}")
    elif sym.kind == "role" and entity is not None:
        if entity.title:
            lines.append(f"title: {entity.title}")
        if entity.authority is not None:
            lines.append(f"authority: {entity.authority}")
    elif sym.kind == "resource" and entity is not None:
        allow = ", ".join(_named(a) for a in entity.allow) or "nobody named"
        lines.append(f"readers: {allow}")
        if entity.deny:
            lines.append(f"denied: {', '.join(_named(d) for d in entity.deny)}")
    elif entity is not None:
        doc = getattr(entity, "doc", None) or getattr(entity, "describe", None)
        if isinstance(doc, str) and doc:
            lines.append(doc)
    return "\n\n".join(lines)


def describe_time(analysis: Analysis, chain: list[ast.Decl], time: ast.Time) -> str:
    from museslang.semantics.calendar import scenario_calendar

    text = f"**{time.text}**"
    if time.day not in WEEKDAYS:
        return text
    slot = SlotTime(WEEKDAYS.index(time.day), time.hour, time.minute)
    scenario = _scenario_of(analysis, chain)
    if scenario is None:
        return text
    grid = scenario_calendar(scenario)
    if slot in grid:
        return f"{text}: slot {grid.index(slot) + 1} of {len(grid)} in this scenario's calendar"
    return f"{text}: not a slot of this scenario's calendar ({len(grid)} slots)"


def _scenario_of(analysis: Analysis, chain: list[ast.Decl]) -> ScenarioDef | None:
    if analysis.checked is None or not chain or chain[0].kind.name != "scenario":
        return None
    for sc in analysis.checked.scenarios:
        if sc.span == chain[0].span:
            return sc
    return None


def hover(analysis: Analysis, line: int, column: int) -> tuple[str, Any] | None:
    """Markdown for the position, with the span it is about; None where nothing is."""
    found_in = hover_in(analysis, line, column)  # inside an expression string
    if found_in is not None:
        return found_in
    module = analysis.module()
    chain = decl_at(module, line, column) if module is not None else []
    if chain:
        inner = chain[-1]
        spec = kind_spec(chain)
        if spec is not None and contains(inner.kind.span, line, column):
            return describe_kind(spec), inner.kind.span
        f = field_at(inner, line, column)
        if spec is not None and f is not None:
            text = describe_field(spec, f.key.name)
            if text is not None:
                return text, f.key.span
    found = symbol_at(analysis, line, column)
    if found is not None:
        sym, span = found
        return describe_symbol(analysis, sym), span
    if chain:
        for f in chain[-1].fields:
            for value in values(f.value):
                if isinstance(value, ast.Time) and contains(value.span, line, column):
                    return describe_time(analysis, chain, value), value.span
    return None
