"""Find references and rename: every place in the document where one declaration is named.

The answers come from what the checker decided, as hover and go to definition do, never
from searching the text for the name:

- a name the checker resolves (a user, a role, a resource, a scenario or a family; in
  fields, calls such as `attends(Bilal)`, `extends`, `uses:`, `family:`) is one of
  `CheckedProgram.symbols` and its `references`; the symbols an `extends` or `uses:`
  copies share the declaration's name span, and a member an extending scenario
  overrides (`user Tomas` of both) is the same name, so renaming one renames the other;
- a fact, action, def, goal or metric of a family written in museslang is named inside
  expression strings (each `ExprSite` the checker typed, its nodes resolved by `names` as
  hover resolves them), in the family's `success:`, a play's `search:` and its calls'
  `action:`, and in the `facts:` of the scenarios (and their options and users) that use
  the family; two names are the same when they resolve to the same declared name
  (`Named.name_at`, the checker's `Entity.name_span`);
- a variable a binding (`v in users`) or a `let` introduces is named in its own
  expression only.

Everything is one document: a declaration in another file (the standard library, an
import) is found but not renamed. A rename is refused (`RenameError`, with why) where the
position names nothing renameable, where the new name is not a name, or where it is one the
same scope already has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from museslang.expr import nodes as E
from museslang.expr import types as T
from museslang.lsp.analysis import Analysis, contains, decl_at, symbol_at, values
from museslang.lsp.inside import EACH, _bind, _function, inside_at, sites, type_of
from museslang.lsp.names import FIELD_NAMES, Named, Where, members, names, where_of
from museslang.prompts import attributes_of, variables_of
from museslang.semantics.written.check import ExprSite
from museslang.source import Span
from museslang.syntax import ast

# names a spec reserves where a declaration can start; a new name must be none of them
SPEC_WORDS = ("import", "as", "extends")
MEMBERS = ("fact", "action", "def", "goal", "metric")  # a family's members rename does


class RenameError(Exception):
    """Why a rename (or a prepare) is refused: the editor shows it, and nothing changes."""


def key(span: Span) -> tuple[str, int, int, int, int]:
    return span.file, span.line, span.column, span.end_line, span.end_column


@dataclass(frozen=True)
class Target:
    """One renameable declaration: what it is, where its name is declared, and every
    occurrence of the name in the document (the declaration first when it is there)."""

    kind: str
    name: str
    declared: Span
    spans: tuple[Span, ...]
    taken: dict[str, str]  # names the same scope has -> what each names
    blocked: str | None = None  # why rename cannot cover every occurrence (found all the same)

    def here(self, analysis: Analysis) -> bool:
        return self.declared.file == analysis.display


# ---- the expression strings, each where it is written -------------------------------------
def _strings(analysis: Analysis) -> list[ast.Str]:
    """Every string of the document's families, nested objects and lists included."""
    module = analysis.module()
    found: list[ast.Str] = []

    def visit(decl: ast.Decl) -> None:
        for f in decl.fields:
            found.extend(v for v in values(f.value) if isinstance(v, ast.Str))
        for child in decl.children:
            visit(child)

    for decl in module.decls if module is not None else ():
        if decl.kind.name == "family":
            visit(decl)
    return found


def anchored(analysis: Analysis) -> list[tuple[ExprSite, E.Located]]:
    """Each expression the checker typed in this document, with the string it is written
    in. A play's call arguments share the `calls:` span in the checker: each is anchored to
    the string of the call with its text (as `inside.inside_at` does for one position)."""
    strings = _strings(analysis)
    found: list[tuple[ExprSite, E.Located]] = []
    for site in sites(analysis):
        o = site.where.origin
        if o.file != analysis.display:
            continue
        inner = [s for s in strings if contains(o, s.span.line, s.span.column)]
        if any((s.span.line, s.span.column) == (o.line, o.column) for s in inner):
            found.append((site, site.where))
            continue
        for s in inner:
            if s.block:
                continue
            if site.where.text == s.value:
                found.append((site, E.Located(s.value, s.span, quote=1)))
            elif site.where.text == EACH.format(s.value):
                found.append((site, E.Located(site.where.text, s.span, quote=1 - EACH.index("{"))))
    return found


@dataclass(frozen=True)
class Event:
    """A name in an expression: a variable bound (`bind`) or used (`use`) there, keyed by
    where it is bound, or a name of the family or the language (`named`)."""

    what: str  # bind | use | named
    name: str
    start: int
    end: int
    binder: tuple[int, int] | None = None
    named: Named | None = None


def events(site: ExprSite, text: str) -> list[Event]:
    """Every name of one expression, resolved in the scope the checker typed it in."""
    try:
        tree = E.parse(text)
    except (E.ExprError, RecursionError):
        return []
    found: list[Event] = []
    try:
        _walk(tree, where_of(site), {}, text, found)
    except RecursionError:
        return []
    return found


def _walk(node: E.Node, w: Where, bound: dict[str, tuple[int, int]], text: str,
          out: list[Event]) -> None:  # fmt: skip
    binding = node.binding if isinstance(node, E.Call | E.Comp) else None
    if binding is not None:
        for arg in node.args if isinstance(node, E.Call) else ():
            _walk(arg, w, bound, text, out)
        _walk(binding.domain, w, bound, text, out)
        var = binding.var_node
        here = (var.start, var.end)
        out.append(Event("bind", binding.var, var.start, var.end, here))
        inner = {**bound, binding.var: here}
        local = _bind(w, binding, text)
        for part in (binding.where, binding.body):
            if part is not None:
                _walk(part, local, inner, text, out)
        return
    if isinstance(node, E.Let):
        local, inner = w, dict(bound)
        for v in node.values:
            _walk(v.value, local, inner, text, out)
            t = type_of(local, v.value) or T.NONE
            n = v.name_node
            out.append(Event("bind", v.name, n.start, n.end, (n.start, n.end)))
            inner = {**inner, v.name: (n.start, n.end)}
            local = Where(w.site, {**local.variables, v.name: (t, "a let value")})
        _walk(node.body, local, inner, text, out)
        return
    if isinstance(node, E.Name):
        if node.name in bound:
            out.append(Event("use", node.name, node.start, node.end, bound[node.name]))
        else:
            found = names(w).get(node.name)
            if found is not None:
                out.append(Event("named", node.name, node.start, node.end, named=found))
        return
    if isinstance(node, E.Attr):
        t = type_of(w, node.obj)
        found = members(w.site, t).get(node.name) if t is not None else None
        if found is not None:
            out.append(Event("named", node.name, node.end - len(node.name), node.end, named=found))
    elif isinstance(node, E.Call):
        found = _function(w, node.fn)
        if found is not None:
            end = node.start + len(node.fn)
            out.append(Event("named", node.fn, node.start, end, named=found))
    for child in E.children(node):
        _walk(child, w, bound, text, out)


def _event_at(evs: list[Event], offset: int) -> Event | None:
    """The innermost name at the offset (its end included)."""
    at = [e for e in evs if e.start <= offset <= e.end]
    return min(at, key=lambda e: e.end - e.start, default=None)


# ---- the family's own fields and the scenarios' facts -------------------------------------
def _family_site(analysis: Analysis, family: ast.Decl) -> ExprSite | None:
    return next((s for s in sites(analysis) if s.decl.span == family.span), None)


def _field_refs(analysis: Analysis) -> Iterator[tuple[Span, Named]]:
    """The members a family's fields name: `success:` goals, a play's `search:` action and
    each call's `action:`."""
    module = analysis.module()
    for family in module.decls if module is not None else ():
        if family.kind.name != "family":
            continue
        site = _family_site(analysis, family)
        if site is None:
            continue
        for decl in (family, *family.children):
            for f in decl.fields:
                if f.key.name == "calls":
                    refs = [
                        g.value
                        for v in values(f.value)
                        if isinstance(v, ast.Object)
                        for g in v.fields
                        if g.key.name == "action"
                    ]
                    table = FIELD_NAMES["search"](site)
                elif f.key.name in FIELD_NAMES:
                    refs = list(values(f.value))
                    table = FIELD_NAMES[f.key.name](site)
                else:
                    continue
                for ref in refs:
                    if isinstance(ref, ast.Ref) and ref.dotted in table:
                        yield ref.span, table[ref.dotted]


def _family_of(analysis: Analysis, scenario: ast.Decl) -> object | None:
    """The written family a scenario of the document uses (its own `family:` or, through
    `extends`, its parent's): the checker's FamilyDef of the symbol its `family:` names."""
    refs = {key(span): sym for span, sym in analysis.references}
    for _ in range(16):  # an `extends` chain; a cycle is the checker's error
        field = next((f for f in scenario.fields if f.key.name == "family"), None)
        if field is not None:
            sym = refs.get(key(field.value.span))
            return sym.entity if sym is not None and sym.kind == "family" else None
        if scenario.parent is None:
            return None
        parent = refs.get(key(scenario.parent.span))
        if parent is None or parent.kind != "scenario":
            return None
        scenario = parent.decl
    return None


def _fact_keys(analysis: Analysis) -> Iterator[tuple[Span, tuple]]:
    """The facts the scenarios of the document give values (`facts: { reserve: 50 }`, and
    an option's or a user's), each with the declared fact's name span."""
    module = analysis.module()
    for scenario in module.decls if module is not None else ():
        if scenario.kind.name != "scenario":
            continue
        family = _family_of(analysis, scenario)
        facts = getattr(family, "facts", None) or []
        declared = {(f.of, f.name): f.name_span for f in facts if f.name_span is not None}
        for decl, of in [(scenario, "scenario")] + [
            (c, c.kind.name) for c in scenario.children if c.kind.name in ("option", "user")
        ]:
            for f in decl.fields:
                if f.key.name != "facts" or not isinstance(f.value, ast.Object):
                    continue
                for g in f.value.fields:
                    span = declared.get((of, g.key.name))
                    if span is not None:
                        yield g.key.span, key(span)


# ---- what is at a position ----------------------------------------------------------------
def _member_target(analysis: Analysis, kind: str, name: str, declared: Span) -> Target:
    wanted = key(declared)
    spans = [declared]
    families = []
    for site, where in anchored(analysis):
        if any(key(m.name_span) == wanted for m in _members_of(site.decl) if m.name_span):
            families.append(site.decl)
        for e in events(site, where.text):
            at = e.named.name_at if e.named is not None else None
            if at is not None and key(at) == wanted:
                spans.append(where.span(e.start, e.end))
    spans += [span for span, named in _field_refs(analysis)
              if named.name_at is not None and key(named.name_at) == wanted]  # fmt: skip
    spans += [span for span, fact in _fact_keys(analysis) if fact == wanted]
    taken: dict[str, str] = {}
    for fd in {id(f): f for f in families}.values():
        for m, what in _members_with_kinds(fd):
            if m.name and key(m.name_span or m.head) != wanted:
                taken.setdefault(m.name, f"the {what} {m.name}")
        for site in sites(analysis):
            if site.decl is fd:
                for variable in site.scope:
                    taken.setdefault(variable, f"a variable of {site.what}")
    for reserved in ("users", "options"):
        taken.setdefault(reserved, "every episode's " + reserved)
    for fn in T.FUNCTIONS:
        taken.setdefault(fn, f"the built-in function {fn}")
    if kind == "fact":
        for fixed in (*T.USER_FIELDS, *T.OPTION_FIELDS):
            taken.setdefault(fixed, "a field every user or option has")
    return Target(kind, name, declared, _unique(spans), taken, _in_templates(kind, name, families))


def _in_templates(kind: str, name: str, families: list) -> str | None:
    """A fact a family's template reads (`{{ bid }}` in `opening:`), an action a play's
    `tell:` reads (`{{ mine.assign.shift }}`): the templates' names have no positions in the
    checker's data, so a rename would leave them behind."""
    if kind not in ("fact", "action"):
        return None
    for fd in families:
        texts = [("opening", fd.opening), ("reply", fd.reply)]
        texts += [(f"play {p.name}'s tell", p.tell) for p in fd.plays]
        texts += [(f"play {p.name}'s ask", getattr(p, "ask", None)) for p in fd.plays]
        for field, text in texts:
            if not text:
                continue
            if kind == "fact":
                read = name in variables_of(text) or name in attributes_of(text)
            else:
                read = any(name in attributes_of(text, v) for v in ("mine", "calls"))
            if read:
                return (f"{kind} {name} is read by the `{field}:` template, which rename "
                        f"does not edit: change the template and the {kind} by hand")  # fmt: skip
    return None


def _members_with_kinds(fd) -> Iterator[tuple[object, str]]:
    for group, what in ((fd.facts, "fact"), (fd.actions, "action"), (fd.defs, "def"),
                        (fd.goals, "goal"), (fd.measures, "metric"), (fd.plays, "play"),
                        (fd.guards, "guard")):  # fmt: skip
        for m in group:
            yield m, what


def _members_of(fd) -> Iterator[object]:
    return (m for m, _ in _members_with_kinds(fd))


def _local_target(site: ExprSite, where: E.Located, evs: list[Event], e: Event) -> Target:
    spans = [where.span(x.start, x.end) for x in evs if x.binder == e.binder and x.what != "named"]
    bind = next(x for x in evs if x.what == "bind" and x.binder == e.binder)
    taken = {x.name: f"another name of this expression ({x.name})" for x in evs
             if x.binder != e.binder}  # fmt: skip
    w = where_of(site)
    for name, named in names(w).items():
        taken.setdefault(name, f"{named.kind} {name}")
    return Target("variable", e.name, where.span(bind.start, bind.end), _unique(spans), taken)


def _symbol_target(analysis: Analysis, line: int, column: int) -> Target | None:
    found = symbol_at(analysis, line, column)
    if found is None:
        return None
    sym = found[0]
    group = {key(sym.span)} | _overrides(analysis, sym)
    spans = [s.span for s in analysis.symbols if key(s.span) in group]
    spans += [span for span, other in analysis.references if key(other.span) in group]
    spans = [s for s in spans if s.file == analysis.display]
    spans.sort(key=lambda s: key(s) != key(sym.span))  # the declaration first
    taken: dict[str, str] = {}
    for other in analysis.symbols:
        if key(other.span) not in group:
            taken.setdefault(other.name, f"the {other.kind} {other.name} ({other.span})")
    return Target(sym.kind, sym.name, sym.span, _unique(spans), taken)


def _overrides(analysis: Analysis, sym) -> set[tuple]:
    """The name spans of the members an `extends` merges with `sym` (the same kind and
    name in the parent and in the scenarios that extend it, in the document)."""
    module = analysis.module()
    if module is None:
        return set()
    refs = {key(span): s for span, s in analysis.references}
    links: list[tuple[ast.Decl, ast.Decl]] = []  # (parent, child) declarations
    for decl in module.decls:
        parent = refs.get(key(decl.parent.span)) if decl.parent is not None else None
        if parent is not None:
            links.append((parent.decl, decl))
    group = {key(sym.span)}
    changed = True
    while changed:
        changed = False
        for parent, child in links:
            for a in parent.children:
                for b in child.children:
                    same = a.name and b.name and (a.kind.name, a.name.name) == (
                        b.kind.name, b.name.name)  # fmt: skip
                    if same and (key(a.name.span) in group) != (key(b.name.span) in group):
                        group |= {key(a.name.span), key(b.name.span)}
                        changed = True
    return group - {key(sym.span)}


def _declared_member_at(analysis: Analysis, line: int, column: int) -> Target | None:
    """A family member's own name where it is declared (`fact bid`, `def can_work`)."""
    module = analysis.module()
    chain = decl_at(module, line, column) if module is not None else []
    if len(chain) < 2 or chain[0].kind.name != "family":
        return None
    inner = chain[-1]
    if inner.name is None or inner.kind.name not in MEMBERS:
        return None
    if not contains(inner.name.span, line, column):
        return None
    return _member_target(analysis, inner.kind.name, inner.name.name, inner.name.span)


def target_at(analysis: Analysis, line: int, column: int) -> tuple[Target, Span] | None:
    """The declaration named at a position, with the occurrence under the cursor."""
    if analysis.checked is None:
        return None
    found = _target_at(analysis, line, column)
    if found is None:
        return None
    under = next((s for s in found.spans if contains(s, line, column)), found.declared)
    return found, under


def _target_at(analysis: Analysis, line: int, column: int) -> Target | None:
    inside = inside_at(analysis, line, column)
    if inside is not None:
        evs = events(inside.site, inside.where.text)
        e = _event_at(evs, inside.offset)
        if e is None:
            return None
        if e.binder is not None:
            return _local_target(inside.site, inside.where, evs, e)
        named = e.named
        if named is None or named.name_at is None or named.kind not in (*MEMBERS, "param"):
            return None
        if named.kind == "param":
            return None  # an action's parameter: not renamed (its `params:` key has no span)
        return _member_target(analysis, named.kind, named.name, named.name_at)
    for span, named in _field_refs(analysis):
        if contains(span, line, column) and named.name_at is not None:
            return _member_target(analysis, named.kind, named.name, named.name_at)
    for span, _ in _fact_keys(analysis):
        if contains(span, line, column):
            name_at = dict(_fact_keys(analysis))[span]
            return _fact_target(analysis, name_at)
    declared = _declared_member_at(analysis, line, column)
    if declared is not None:
        return declared
    return _symbol_target(analysis, line, column)


def _fact_target(analysis: Analysis, wanted: tuple) -> Target | None:
    for site in sites(analysis):
        for f in site.decl.facts:
            if f.name_span is not None and key(f.name_span) == wanted:
                return _member_target(analysis, "fact", f.name, f.name_span)
    return None


def _unique(spans: list[Span]) -> tuple[Span, ...]:
    seen: dict[tuple, Span] = {}
    for s in spans:
        seen.setdefault(key(s), s)
    return tuple(seen.values())


# ---- the answers --------------------------------------------------------------------------
def references(analysis: Analysis, line: int, column: int, declaration: bool = True) -> list[Span]:
    """Every occurrence of the name at the position in the document (with `declaration`,
    the declaration's own name first); nothing where no renameable name is."""
    found = target_at(analysis, line, column)
    if found is None:
        return []
    target = found[0]
    spans = list(target.spans)
    if not declaration:
        spans = [s for s in spans if key(s) != key(target.declared)]
    return spans


def _valid(new: str) -> bool:
    """A name both the spec and the expressions read as a name (not `and`, `true`, `let`)."""
    ascii_name = new.isascii() and new.isidentifier()
    return ascii_name and new not in SPEC_WORDS and new not in E.keywords()


def prepare(analysis: Analysis, line: int, column: int) -> tuple[Target, Span]:
    """The renameable name at the position, or why there is none (RenameError)."""
    found = target_at(analysis, line, column)
    if found is None:
        raise RenameError(
            "there is no name here that rename can change (a user, a role, a scenario, "
            "a family's fact, action, def, goal or metric, a variable)"
        )
    target, under = found
    if not target.here(analysis):
        raise RenameError(f"{target.kind} {target.name} is declared in {target.declared.file}, "
                          "not in this document: rename it there")  # fmt: skip
    return target, under


def rename(analysis: Analysis, line: int, column: int, new: str) -> list[Span]:
    """The spans to replace with `new` (every occurrence in this document), or why the
    rename is refused (RenameError)."""
    target, _ = prepare(analysis, line, column)
    if not _valid(new):
        raise RenameError(f"'{new}' is not a name: letters, digits and _, not starting with "
                          "a digit, and no word the language reserves")  # fmt: skip
    if target.blocked is not None:
        raise RenameError(target.blocked)
    if new != target.name and new in target.taken:
        raise RenameError(
            f"'{new}' already names {target.taken[new]}: "
            f"renaming {target.kind} {target.name} to it would confuse the two"
        )
    return list(target.spans)
