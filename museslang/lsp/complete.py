"""Completion: what may be written at the cursor, from the text before it.

The text being typed rarely parses, so the context comes from a scan of the text up to the
cursor (strings, text blocks and comments skipped): the declarations still open around
it, and whether the cursor starts a member, follows `field:` or follows `import`. What
may go there comes from the catalogue (kinds, their fields and nested kinds, enum values)
and from the last good check of the document (the names in scope, by kind).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from dataclasses import field as dc_field

from museslang import family as families
from museslang.expr import nodes as E
from museslang.family import Family
from museslang.ir.models import AuthoredFamily
from museslang.lsp import inside, names
from museslang.lsp.analysis import Analysis
from museslang.semantics.model import KINDS, UNIVERSAL_FIELDS, KindSpec, kind_in
from museslang.semantics.types import Enum, FamilyT, ListOf, SelectorT, Type
from museslang.semantics.written.check import ExprSite
from museslang.source import Span

_SKIP = re.compile(r'"""[\s\S]*?(?:"""|$)|"(?:[^"\\\n]|\\.)*"?|#[^\n]*')
_OPEN = re.compile(r"([A-Za-z_]\w*)(?:\s+([A-Za-z_]\w*))?\s*\{\s*$")
_FIELD = re.compile(r"([A-Za-z_]\w*)\s*:\s*(?:\[\s*)?(?:[\w.]+\s*,\s*)*([\w.]*)$")
_IMPORT = re.compile(r"^\s*import\s+([\w.]*)$")
_MEMBER = re.compile(r"(?:^|[{\s])([A-Za-z_]\w*)?$")


@dataclass(frozen=True)
class Item:
    """One completion: what is inserted, what it is, and a line of documentation."""

    label: str
    kind: str  # keyword | field | value | name | module | variable | function
    detail: str = ""


@dataclass
class Context:
    open: list[str]  # the kinds of the declarations open at the cursor, outermost first
    field: str | None  # the field whose value is being typed
    importing: bool
    member: bool  # the cursor starts a member (a field or a nested declaration)
    names: list[str | None] = dc_field(default_factory=list)  # their names, as `open`
    starts: list[int] = dc_field(default_factory=list)  # where each one's `{` is
    in_object: bool = False  # in an object value (`facts: { ... }`, a play's call)
    key: str | None = None  # that object's field: the one the object is the value of


def _blank(text: str) -> str:
    """The text with strings, text blocks and comments blanked (same length)."""
    return _SKIP.sub(lambda m: " " * len(m.group(0)), text)


def _scan(text: str) -> tuple[str, re.Match[str] | None]:
    """The text blanked (`_blank`), and the string or comment it ends in, if any."""
    last: list[re.Match[str]] = []

    def blank(m: re.Match[str]) -> str:
        if m.end() == len(text):
            last.append(m)
        return " " * len(m.group(0))

    return _SKIP.sub(blank, text), (last[0] if last else None)


def context(before: str, plain: str | None = None) -> Context:
    """Where the cursor is, from the document's text up to it (`plain`: that text already
    blanked)."""
    plain = _blank(before) if plain is None else plain
    stack: list[tuple[str, str | None, int]] = []  # (kind or "" for an object, name, at)
    for i, ch in enumerate(plain):
        if ch == "{":
            head = plain[plain.rfind("\n", 0, i) + 1 : i + 1]
            opener = _OPEN.search(plain[max(0, i - 200) : i + 1])
            is_object = re.search(r":\s*\{$", head) is not None
            if is_object or opener is None:
                key = re.search(r"(\w+)\s*:\s*(?:\[[^{]*)?\{$", plain[max(0, i - 200) : i + 1])
                stack.append(("", key.group(1) if key else None, i))
            else:
                stack.append((opener.group(1), opener.group(2), i))
        elif ch == "}" and stack:
            stack.pop()
    line = plain[plain.rfind("\n") + 1 :]
    decls = [entry for entry in stack if entry[0]]
    kinds = [k for k, _, _ in decls]
    where = {"names": [n for _, n, _ in decls], "starts": [at for _, _, at in decls]}
    in_object = bool(stack) and stack[-1][0] == ""  # `extra: { ... }`: free-form fields
    objects = [n for k, n, _ in stack if not k]
    where |= {"in_object": in_object, "key": objects[0] if objects else None}
    if _IMPORT.match(line) is not None:
        return Context(kinds, None, True, False, **where)
    if (m := _FIELD.search(line)) is not None and not in_object:
        return Context(kinds, m.group(1), False, False, **where)
    member = _MEMBER.search(line) is not None and not re.search(r"[:\[(,]\s*\w*$", line)
    return Context(kinds, None, False, member and not in_object, **where)


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


# the fields of a family's declarations whose strings are expressions (a play's are the
# arguments of its calls: every key of a call but `action`)
EXPRESSION_FIELDS = {
    "fact": ("draw",),
    "goal": ("holds", "where"),
    "metric": ("value", "where"),
    "guard": ("never", "where"),
}
_ITEM_KINDS = {"variable": "variable", "collection": "variable", "fact": "field",
               "field": "field", "action": "function", "param": "field",
               "def": "function", "function": "function"}  # fmt: skip


def _string_start(last: re.Match[str] | None) -> tuple[int, int] | None:
    """Where the string the cursor is in starts, and its quote's length (1 or 3), from
    the string or comment the text before the cursor ends in; None: in no string."""
    if last is None or not last.group(0).startswith('"'):
        return None
    text = last.group(0)
    if text.startswith('"""'):
        return None if len(text) >= 6 and text.endswith('"""') else (last.start(), 3)
    closed = len(text) >= 2 and text.endswith('"') and not text.endswith('\\"')
    return None if closed else (last.start(), 1)


def _expression_site(
    before: str, plain: str, start: int, analyses: tuple[Analysis | None, ...]
) -> ExprSite | None:
    """The site of the expression string the cursor is in: the checker's, from the last
    check that typed this family's expressions; for a string no check has seen yet, one
    made from the declaration written so far (whose `u`, whether it may draw)."""
    ctx = context(before[:start], plain[:start])
    if not ctx.open or ctx.open[0] != "family" or not ctx.names or ctx.names[0] is None:
        return None
    kind, family = ctx.open[-1], ctx.names[0]
    key = re.search(r"(\w+)\s*:\s*$", plain[:start])
    field_name = key.group(1) if key is not None else None
    if kind == "play":  # a call's arguments and `each:`, or a joint search's `each:`
        in_call = ctx.in_object and ctx.key == "calls" and field_name != "action"
        if not in_call and not (field_name == "each" and not ctx.in_object):
            return None
    elif field_name not in EXPRESSION_FIELDS.get(kind, ()):
        return None
    line = before.count("\n", 0, start) + 1
    column = start - (before.rfind("\n", 0, start) + 1) + 1
    for analysis in analyses:
        found = inside.site_near(analysis, family, line, column)
        if found is None:
            continue
        # this very string (a play's calls share one span: any of its arguments)
        if kind == "play" and field_name == "each":
            return dataclasses.replace(found, scope={})  # the binding itself binds nothing yet
        if kind == "play" or (found.where.origin.line, found.where.origin.column) == (line, column):
            return found
    for analysis in analyses:
        other = inside.any_site(analysis, family)
        if other is not None:
            break
    else:
        return None
    written = plain[ctx.starts[-1] : start]  # the declaration so far
    scope: dict[str, str] = {}
    if kind == "fact" and not re.search(r"\bof:\s*(scenario|option)\b", written):
        scope["u"] = "user"
    elif kind == "play":
        obj = before[before.rfind("{", 0, start) : start]
        each = re.search(r'each:\s*"\s*([A-Za-z_]\w*)\s+in\s+(users|options)', obj)
        if each is not None and field_name != "each":
            scope[each.group(1)] = "user" if each.group(2) == "users" else "option"
    elif re.search(r"\bper:\s*user\b", written):
        scope["u"] = "user"
    where = E.Located("", Span(other.where.origin.file, line, column, line, column))
    return dataclasses.replace(other, where=where, scope=scope, draw=kind == "fact")


def in_expression(
    before: str, analysis: Analysis | None, fallback: Analysis | None = None
) -> list[Item] | None:
    """Completion inside an expression string of a written family (None: the cursor is in
    no such string): the names in scope, or after `X.` what X has."""
    plain, last = _scan(before)
    return _in_expression(before, plain, last, (analysis, fallback))


def _in_expression(
    before: str, plain: str, last: re.Match[str] | None, analyses: tuple[Analysis | None, ...]
) -> list[Item] | None:
    found = _string_start(last)
    if found is None:
        return None
    start, quote = found
    site = _expression_site(before, plain, start, analyses)
    if site is None:
        return None
    named = inside.complete_in(site, before[start + quote :])
    return [Item(n.name, _ITEM_KINDS.get(n.kind, "name"), _detail(n)) for n in named]


def _detail(n: names.Named) -> str:
    if n.kind == "function":
        return n.summary
    return f"{n.type} — {n.summary}" if n.type else n.summary


def complete(
    before: str, analysis: Analysis | None, fallback: Analysis | None = None
) -> list[Item]:
    """What may be written at the cursor; `analysis` is the document's last check, and
    `fallback` the last one that typed its families' expressions (the text being typed
    may not parse)."""
    plain, last = _scan(before)  # once: each step below reads the blanked text
    expression = _in_expression(before, plain, last, (analysis, fallback))
    if expression is not None:
        return expression
    ctx = context(before, plain)
    if ctx.importing:
        return [Item(m, "module", "standard library module") for m in stdlib_modules()]
    spec = _spec(ctx.open)
    if ctx.field is not None:
        if spec is None or ctx.field not in spec.fields:
            return []
        return _values(spec.fields[ctx.field].type, analysis)
    if ctx.in_object and ctx.key == "facts" and ctx.open and _at_key(plain):
        return _fact_keys(before, plain, ctx, analysis, fallback)
    if not ctx.member:
        return []
    if spec is None:  # top level
        items = [Item("import", "keyword", 'import a module: std.NAME or "./file.muses"')]
        items += [Item(k.name, "keyword", k.doc) for k in KINDS.values() if k.top_level]
        return items
    fam = _scenario_family(before, plain, ctx, analysis, fallback)
    accepted = _accepted(fam, spec.name, plain, ctx)
    items = [Item(name, "field", f.type.describe + (" (required)" if f.required else ""))
             for name, f in spec.fields.items() if accepted(name)]  # fmt: skip
    for child in spec.children:
        if fam is not None and child not in fam.reads:
            continue  # the family has no use for it (E024)
        nested = kind_in(child, spec.name)
        items.append(Item(child, "keyword", nested.doc if nested is not None else ""))
    return items


# ---- what the family at the cursor accepts ------------------------------------------------
def _scenario_family(
    before: str, plain: str, ctx: Context, analysis: Analysis | None, fallback: Analysis | None
) -> Family | None:
    """The family of the scenario the cursor is in, from the last check (the scenario
    around the cursor's line), else from its `family:` written before the cursor."""
    from museslang.authored.install import family_value  # what its scenarios may say

    if not ctx.open or ctx.open[0] != "scenario":
        return None
    line = before.count("\n") + 1
    checked = analysis.checked if analysis is not None else None
    for sc in checked.scenarios if checked is not None else ():
        if sc.span.file == analysis.display and sc.span.line <= line <= sc.span.end_line:  # type: ignore[union-attr]
            if sc.authored is not None:
                return family_value(sc.authored)
            return families.find(sc.family) if isinstance(sc.family, str) else None
    written = re.search(r"\bfamily\s*:\s*([A-Za-z_]\w*)", plain[ctx.starts[0] :])
    if written is None:
        return None
    authored = _written(written.group(1), (analysis, fallback))
    return family_value(authored) if authored is not None else families.find(written.group(1))


def _written(name: str, analyses: tuple[Analysis | None, ...]) -> AuthoredFamily | None:
    """A family written in the document (or a module it imports), as its last check made it."""
    for analysis in analyses:
        site = inside.any_site(analysis, name)
        if site is not None:
            return site.family
    return None


def _accepted(fam: Family | None, kind: str, plain: str, ctx: Context):
    """Which fields of `kind` may be written at the cursor: those the scenario's family
    reads (E024 for the others), and in a family's own declarations those the written
    checker takes given what the declaration says so far."""
    reads = fam.reads.get(kind) if fam is not None else None
    universal = UNIVERSAL_FIELDS.get(kind, ())
    written = plain[ctx.starts[-1] :] if ctx.starts else ""
    refused: set[str] = set()
    if ctx.open[:1] == ["family"]:
        if kind == "fact" and re.search(r"\bof:\s*option\b", written):
            refused.add("draw")  # an option's fact is given in the scenario, never drawn
        if kind == "fact" and re.search(r"\btype:\s*number\b", written):
            refused.add("leaks_as")  # `told` reads numbers in any notation
        if kind in ("goal", "metric", "guard") and not re.search(r"\bper:\s*user\b", written):
            refused.add("where")  # `where:` chooses users: it needs `per: user` (written first)

    def accepted(name: str) -> bool:
        if name in refused:
            return False
        if fam is None:
            return True
        if reads is None:
            return False  # the family has no use for the kind at all (E024)
        return "*" in reads or name in reads or name in universal

    return accepted


def _at_key(plain: str) -> bool:
    line = plain[plain.rfind("\n") + 1 :]
    return re.search(r"(?:^|[{\s])\w*$", line) is not None and not re.search(r":\s*\w*$", line)


def _fact_keys(
    before: str, plain: str, ctx: Context, analysis: Analysis | None, fallback: Analysis | None
) -> list[Item]:
    """The keys of a scenario's, user's or option's `facts: { ... }`: the facts the
    written family declares of that owner (check_facts refuses any other)."""
    owner = ctx.open[-1]
    if ctx.open[0] != "scenario" or owner not in ("scenario", "user", "option"):
        return []
    fam = _scenario_family(before, plain, ctx, analysis, fallback)
    authored = _written(fam.name, (analysis, fallback)) if fam is not None else None
    if authored is None:
        return []
    return [Item(f.name, "field", f"{f.type}" + (f" — {f.doc}" if f.doc else ""))
            for f in authored.facts if f.of == owner]  # fmt: skip
