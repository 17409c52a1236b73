"""Inside the expression strings of a family written in museslang (`holds: "u.budget >= 5"`):
which expression the cursor is in, which of its nodes, and what that node names.

The expression is the one the checker typed (`CheckedProgram.expressions`: each
`ExprSite` with the family and the scope it was typed in); it is parsed with the same
parser (`expr.nodes`) and its parts typed with the same checker (`expr.types.Checker`),
so what hover says is what `check` decided. `names` says what each name is.
"""

from __future__ import annotations

import dataclasses
import re

from museslang.expr import nodes as E
from museslang.expr import types as T
from museslang.lsp.analysis import Analysis, contains, decl_at, values
from museslang.lsp.names import FIELD_NAMES, Named, Where, members, names, where_of
from museslang.semantics.written.check import ExprSite
from museslang.source import Span
from museslang.syntax import ast

EACH = "count({}: true)"  # how the checker types a play's `each:` binding
VALUES = ("variable", "collection", "fact", "field", "action", "param")  # never called


@dataclasses.dataclass(frozen=True)
class Inside:
    """The cursor in an expression: the checker's site, the string as written under the
    cursor (a play's arguments share one site span, so each is anchored to its own
    string), and the cursor's offset in its text."""

    site: ExprSite
    where: E.Located
    offset: int


def sites(analysis: Analysis | None) -> list[ExprSite]:
    if analysis is None or analysis.checked is None:
        return []
    return list(analysis.checked.expressions)


def offset_in(where: E.Located, line: int, column: int) -> int | None:
    """The offset in the expression's text of a 1-based (line, column) of the spec (the
    inverse of `Located.span`); None outside the text."""
    o = where.origin
    if where.indent is not None:
        row, col = line - o.line - 1, column - where.indent - 1
    else:
        row = line - o.line
        col = column - (o.column + where.quote) if row == 0 else column - 1
    rows = where.text.split("\n")
    if not 0 <= row < len(rows) or not 0 <= col <= len(rows[row]):
        return None
    return sum(len(r) + 1 for r in rows[:row]) + col


def _string_at(analysis: Analysis, line: int, column: int) -> ast.Str | None:
    module = analysis.module()
    chain = decl_at(module, line, column) if module is not None else []
    if not chain or chain[0].kind.name != "family":
        return None
    for f in chain[-1].fields:
        for value in values(f.value):
            if isinstance(value, ast.Str) and contains(value.span, line, column):
                return value
    return None


def inside_at(analysis: Analysis, line: int, column: int) -> Inside | None:
    """The expression under a position of the document, if it is in one the checker typed."""
    string = _string_at(analysis, line, column)
    if string is None:
        return None
    s = string.span
    for site in sites(analysis):
        o = site.where.origin
        if o.file != analysis.display or not contains(o, s.line, s.column):
            continue
        if (o.line, o.column) == (s.line, s.column):
            where = site.where
        elif site.where.text == string.value and not string.block:
            where = E.Located(string.value, s, quote=1)  # a play's argument
        elif site.where.text == EACH.format(string.value) and not string.block:
            where = E.Located(site.where.text, s, quote=1 - EACH.index("{"))
        else:
            continue
        offset = offset_in(where, line, column)
        if offset is not None:
            return Inside(site, where, offset)
    return None


def type_of(w: Where, node: E.Node) -> str | None:
    """The node's type, as the checker types it in this scope (None: it does not type)."""
    try:
        return T.Checker(w.site.family, draw=w.site.draw).infer(node, w.scope)
    except (T.ExprTypeError, StopIteration, KeyError, RecursionError):
        return None


def _bind(w: Where, b: E.Binding, text: str) -> Where:
    """The scope inside a binding's `where` and body: its variable, of the domain's items."""
    domain = text[b.domain.start : b.domain.end]
    how = f"each item of `{domain}`"
    if b.where is not None:
        how += f" where `{text[b.where.start : b.where.end]}`"
    inner = T.element(type_of(w, b.domain) or "") or T.NONE
    return Where(w.site, {**w.variables, b.var: (inner, how)})


def locate(node: E.Node, offset: int, w: Where, text: str) -> tuple[E.Node, Where]:
    """The innermost node at the offset (its end included: a cursor just after a name
    finds it), with the variables in scope there."""
    if isinstance(node, E.Call) and node.binding is not None:
        b = node.binding
        if b.domain.start <= offset <= b.domain.end:
            return locate(b.domain, offset, w, text)
        local = _bind(w, b, text)
        if b.var_node.start <= offset <= b.var_node.end:
            return b.var_node, local
        for part in (b.where, b.body):
            if part is not None and part.start <= offset <= part.end:
                return locate(part, offset, local, text)
        return node, w
    for child in E.children(node):
        if child.start <= offset <= child.end:
            return locate(child, offset, w, text)
    return node, w


def resolve(inside: Inside) -> tuple[Named, str, tuple[int, int]] | None:
    """What the name under the cursor is: its entry, the text it is written as, and its
    offsets in the expression."""
    text = inside.where.text
    try:
        tree = E.parse(text)
    except (E.ExprError, RecursionError):
        return None
    offset = inside.offset
    if not tree.start <= offset <= tree.end:
        return None
    node, w = locate(tree, offset, where_of(inside.site), text)
    if isinstance(node, E.Name):
        found = names(w).get(node.name)
        return (found, node.name, (node.start, node.end)) if found is not None else None
    if isinstance(node, E.Attr):
        t = type_of(w, node.obj)
        found = members(inside.site, t).get(node.name) if t is not None else None
        if found is None:
            return None
        return found, f"{text[node.obj.start : node.obj.end]}.{node.name}", (node.start, node.end)
    if isinstance(node, E.Call) and offset <= node.start + len(node.fn):
        found = _function(w, node.fn)
        return (found, node.fn, (node.start, node.start + len(node.fn))) if found else None
    return None


def _function(w: Where, name: str) -> Named | None:
    """What a call names: a name of `names` that is no value (a built-in function, or
    whatever else `SOURCES` adds that is called), draws included where none may be
    called (hover says what it is; the diagnostic says where it may be used)."""
    found = names(w).get(name)
    if found is not None and found.kind not in VALUES:
        return found
    drawing = Where(dataclasses.replace(w.site, draw=True), w.variables)
    found = names(drawing).get(name)
    return found if found is not None and found.kind == "function" else None


def field_name_at(analysis: Analysis, line: int, column: int) -> tuple[Named, Span] | None:
    """A goal named in a family's `success:`, an action in a play's `search:`."""
    module = analysis.module()
    chain = decl_at(module, line, column) if module is not None else []
    if not chain or chain[0].kind.name != "family":
        return None
    site = next((s for s in sites(analysis) if s.decl.span == chain[0].span), None)
    if site is None:
        return None
    for f in chain[-1].fields:
        table = FIELD_NAMES.get(f.key.name)
        if table is None:
            continue
        for value in values(f.value):
            if isinstance(value, ast.Ref) and contains(value.span, line, column):
                found = table(site).get(value.dotted)
                return (found, value.span) if found is not None else None
    return None


def hover_in(analysis: Analysis, line: int, column: int) -> tuple[str, Span] | None:
    """Hover inside an expression string, or on a name a family's field gives."""
    inside = inside_at(analysis, line, column)
    found = resolve(inside) if inside is not None else None
    if inside is None or found is None:
        named = field_name_at(analysis, line, column)
        return (named[0].markdown(), named[1]) if named is not None else None
    named, title, (start, end) = found
    return named.markdown(title), inside.where.span(start, end)


def definition_in(analysis: Analysis, line: int, column: int) -> Span | None:
    """Where the fact, action or parameter under the cursor is declared (or the goal or
    action a family's `success:` or `search:` names)."""
    inside = inside_at(analysis, line, column)
    found = resolve(inside) if inside is not None else None
    if found is not None:
        return found[0].decl
    named = field_name_at(analysis, line, column)
    return named[0].decl if named is not None else None


# ---- completion: from the text before the cursor -----------------------------------------
_CHAIN = re.compile(
    r"(?<![\w.\])'])([A-Za-z_]\w*(?:\[[^\[\]]*\])?(?:\.[A-Za-z_]\w*(?:\[[^\[\]]*\])?)*)"
    r"\.(\w*)$"
)
_WORD = re.compile(r"(?<![\w.'])([A-Za-z_]\w*)?$")
_BINDING = re.compile(r"\s*([A-Za-z_]\w*)\s+in\s+(.*?)(?=\s+where\b|:|$)", re.S)


def _open_bindings(prefix: str) -> list[tuple[str, str]]:
    """The bindings still open at the end of the prefix (`any(v in users where v.`): each
    variable and the text of its domain, outermost first."""
    stack: list[int] = []
    quoted = False
    for i, ch in enumerate(prefix):
        if ch == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            stack.pop()
    found = []
    for i in stack:
        m = _BINDING.match(prefix, i + 1)
        if m is not None:
            found.append((m.group(1), m.group(2).strip()))
    return found


def where_before(site: ExprSite, prefix: str) -> Where:
    """The scope at the end of a prefix of the expression: the site's, and the variables
    of the bindings around the cursor (typed from their domains)."""
    w = where_of(site)
    for var, domain in _open_bindings(prefix):
        try:
            node = E.parse(domain)
        except (E.ExprError, RecursionError):
            continue
        inner = T.element(type_of(w, node) or "") or T.NONE
        w = Where(site, {**w.variables, var: (inner, f"each item of `{domain}`")})
    return w


def complete_in(site: ExprSite, prefix: str) -> list[Named]:
    """What may be written at the end of `prefix`, the expression's text up to the cursor:
    after `X.` the fields, facts or parameters of X's type; at a name, every name in scope."""
    if prefix.count("'") % 2:
        return []  # inside a quoted text
    w = where_before(site, prefix)
    chain = _CHAIN.search(prefix)
    if chain is not None:
        try:
            node = E.parse(chain.group(1))
        except (E.ExprError, RecursionError):
            return []
        t = type_of(w, node)
        return list(members(site, t).values()) if t is not None else []
    if _WORD.search(prefix) is None:
        return []
    return list(names(w).values())


def site_near(analysis: Analysis | None, family: str, line: int, column: int) -> ExprSite | None:
    """The site of the expression being typed at (line, column), from a check of the text
    a moment ago: the last one of the family starting before the position on its lines
    (of a play's sites, which share the `calls:` span, one whose call binds `each:`)."""
    if analysis is None:
        return None

    def near(site: ExprSite) -> bool:
        o = site.where.origin
        return (site.family.name == family and o.file == analysis.display
                and (o.line, o.column) <= (line, column) <= (o.end_line, 10**9))  # fmt: skip

    def rank(site: ExprSite) -> tuple[int, int, int]:
        return site.where.origin.line, site.where.origin.column, len(site.scope)

    return max((s for s in sites(analysis) if near(s)), key=rank, default=None)


def any_site(analysis: Analysis | None, family: str) -> ExprSite | None:
    return next((s for s in sites(analysis) if s.family.name == family), None)
