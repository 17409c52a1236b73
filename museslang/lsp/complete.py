"""Completion: what may be written at the cursor, from the text before it.

The text being typed rarely parses, so the context comes from a scan of the text up to the
cursor (strings, text blocks and comments skipped): the declarations still open around
it, and whether the cursor starts a member, follows `field:` or follows `import`. What
may go there comes from the catalogue (kinds, their fields and nested kinds, enum values)
and from the last good check of the document (the names in scope, by kind).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from museslang import family as families
from museslang.lsp.analysis import Analysis
from museslang.semantics.model import KINDS, KindSpec, kind_in
from museslang.semantics.types import Enum, FamilyT, ListOf, SelectorT, Type

_SKIP = re.compile(r'"""[\s\S]*?(?:"""|$)|"(?:[^"\\\n]|\\.)*"?|#[^\n]*')
_OPEN = re.compile(r"([A-Za-z_]\w*)(?:\s+([A-Za-z_]\w*))?\s*\{\s*$")
_FIELD = re.compile(r"([A-Za-z_]\w*)\s*:\s*(?:\[\s*)?(?:[\w.]+\s*,\s*)*([\w.]*)$")
_IMPORT = re.compile(r"^\s*import\s+([\w.]*)$")
_MEMBER = re.compile(r"(?:^|[{\s])([A-Za-z_]\w*)?$")


@dataclass(frozen=True)
class Item:
    """One completion: what is inserted, what it is, and a line of documentation."""

    label: str
    kind: str  # keyword | field | value | name | module
    detail: str = ""


@dataclass
class Context:
    open: list[str]  # the kinds of the declarations open at the cursor, outermost first
    field: str | None  # the field whose value is being typed
    importing: bool
    member: bool  # the cursor starts a member (a field or a nested declaration)


def _blank(text: str) -> str:
    """The text with strings, text blocks and comments blanked (same length)."""
    return _SKIP.sub(lambda m: " " * len(m.group(0)), text)


def context(before: str) -> Context:
    """Where the cursor is, from the document's text up to it."""
    plain = _blank(before)
    stack: list[str] = []
    for i, ch in enumerate(plain):
        if ch == "{":
            head = plain[plain.rfind("\n", 0, i) + 1 : i + 1]
            opener = _OPEN.search(plain[max(0, i - 200) : i + 1])
            is_object = re.search(r":\s*\{$", head) is not None
            stack.append("" if is_object or opener is None else opener.group(1))
        elif ch == "}" and stack:
            stack.pop()
    line = plain[plain.rfind("\n") + 1 :]
    kinds = [k for k in stack if k]
    if _IMPORT.match(line) is not None:
        return Context(kinds, None, True, False)
    in_object = stack[-1:] == [""]  # `extra: { ... }`: free-form fields
    if (m := _FIELD.search(line)) is not None and not in_object:
        return Context(kinds, m.group(1), False, False)
    member = _MEMBER.search(line) is not None and not re.search(r"[:\[(,]\s*\w*$", line)
    return Context(kinds, None, False, member and not in_object)


def _spec(open_kinds: list[str]) -> KindSpec | None:
    if not open_kinds:
        return None
    return kind_in(open_kinds[-1], open_kinds[-2] if len(open_kinds) > 1 else None)


def _names(kinds: tuple[str, ...], analysis: Analysis | None) -> list[Item]:
    """The declarations of these kinds the document sees (its own and its imports')."""
    names: dict[str, str] = {}
    for sym in analysis.symbols if analysis is not None else ():
        if sym.kind in kinds:
            names.setdefault(sym.name, sym.kind)
    return [Item(n, "name", k) for n, k in sorted(names.items())]


def _values(kind: Type, analysis: Analysis | None) -> list[Item]:
    if isinstance(kind, ListOf):
        return _values(kind.item, analysis)
    if isinstance(kind, Enum):
        return [Item(c, "value", kind.what) for c in kind.choices]
    if isinstance(kind, FamilyT):
        found = families.declared()
        items = [Item(n, "value", found.get(n).summary) for n in families.installed()]
        return items + _names(("family",), analysis)
    if isinstance(kind, SelectorT):
        words = [
            Item("everyone", "value", "every user"),
            Item('role("")', "value", "every user with this role"),
            Item("authority >= ", "value", "every user with at least this authority"),
        ]
        return words + _names(("user",), analysis)
    kinds = getattr(kind, "kinds", None)  # a reference (or a string or a reference)
    if isinstance(kinds, tuple):
        return _names(kinds, analysis)
    return []


def stdlib_modules() -> list[str]:
    from museslang.resources import stdlib_root

    return sorted(f"std.{p.stem}" for p in stdlib_root().glob("*.muses"))


def complete(before: str, analysis: Analysis | None) -> list[Item]:
    """What may be written at the cursor; `analysis` is the document's last good check."""
    ctx = context(before)
    if ctx.importing:
        return [Item(m, "module", "standard library module") for m in stdlib_modules()]
    spec = _spec(ctx.open)
    if ctx.field is not None:
        if spec is None or ctx.field not in spec.fields:
            return []
        return _values(spec.fields[ctx.field].type, analysis)
    if not ctx.member:
        return []
    if spec is None:  # top level
        items = [Item("import", "keyword", 'import a module: std.NAME or "./file.muses"')]
        items += [Item(k.name, "keyword", k.doc) for k in KINDS.values() if k.top_level]
        return items
    items = [Item(name, "field", f.type.describe + (" (required)" if f.required else ""))
             for name, f in spec.fields.items()]  # fmt: skip
    for child in spec.children:
        nested = kind_in(child, spec.name)
        items.append(Item(child, "keyword", nested.doc if nested is not None else ""))
    return items
