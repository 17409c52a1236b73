"""The names an expression of a family written in museslang can use, as an editor shows
them: what each is, its type, its documentation and where it is declared.

Hover, completion and go to definition inside expression strings (`lsp.inside`) all ask
this module, and it answers from what the checker typed the expression against (an
`ExprSite`: the family, the names in scope, whether draws are allowed), with the type
checker's own tables (`expr.types`), so the editor never offers a name the checker
rejects. A new kind of named thing (a family's `def`, say) is one more function in
`SOURCES`: hover, completion and definition pick it up from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from museslang.expr import types as T
from museslang.expr.signatures import SIGNATURES
from museslang.semantics.written.check import ExprSite
from museslang.source import Span

FIXED_DOCS = {
    "user": {
        "id": "the user's id",
        "name": "the user's name",
        "role": "the user's role",
        "authority": "the user's authority rank",
        "required": "whether the user must be served (`attendance: required`)",
    },
    "option": {"id": "the option's id", "title": "how the option is written to the agent"},
}
OWNERS = {"user": "each user", "option": "each option", "scenario": "the scenario"}


@dataclass(frozen=True)
class Named:
    """One name usable in an expression."""

    name: str
    kind: str  # variable | collection | fact | field | action | param | def | function
    type: str  # its type in the expression language (expr.types); "" for a function
    summary: str  # what it is, in a few words
    doc: str = ""
    decl: Span | None = None  # where it is declared (go to definition)
    # the declared name itself (`bid` of `fact bid`): what find references and rename
    # match occurrences by, so two names are one exactly when they have one declaration
    name_at: Span | None = None

    def markdown(self, title: str | None = None) -> str:
        """The hover text: the name and its type, what it is, its documentation."""
        if self.kind == "function":
            return f"```\n{self.summary}\n```\n\n{self.doc}"
        head = f"**{title or self.name}**"
        if self.type:
            head += f": {_shown(self.type)}"
        parts = [f"{head} — {self.summary}"]
        if self.doc:
            parts.append(self.doc)
        return "\n\n".join(parts)


def _shown(t: str) -> str:
    return f"a call of {t[5:]}" if t.startswith("call:") else t


@dataclass(frozen=True)
class Where:
    """What is in scope at a point of an expression: the checker's site, and the
    variables bound there (the site's own and those of the bindings around the point),
    each with its type and a line on what it ranges over."""

    site: ExprSite
    variables: dict[str, tuple[str, str]]  # name -> (type, what it ranges over)

    @property
    def scope(self) -> dict[str, str]:
        return {name: t for name, (t, _) in self.variables.items()}


def where_of(site: ExprSite) -> Where:
    """The site's own scope: `u` of a per-user goal, a user fact's draw or a play's `each`."""
    if site.what.startswith("play "):
        return Where(site, {n: (t, "bound by the call's `each:`") for n, t in site.scope.items()})
    if site.what.startswith("the draw of"):
        return Where(site, {n: (t, "the user whose fact is drawn") for n, t in site.scope.items()})
    what = {
        "user": "the user it is about, each in turn",
        "option": "the option it is about, each in turn",
    }
    return Where(site, {n: (t, what.get(t, "")) for n, t in site.scope.items()})


# ---- the names at the start of a name ----------------------------------------------------
def _variables(w: Where) -> Iterable[Named]:
    for name, (t, how) in w.variables.items():
        yield Named(name, "variable", t, how or "a variable")


def _collections(w: Where) -> Iterable[Named]:
    yield Named("users", "collection", T.list_of(T.USER), "the episode's users")
    yield Named("options", "collection", T.list_of(T.OPTION), "the scenario's catalogue")


def _facts_of(site: ExprSite, of: str) -> Iterable[Named]:
    decls = {(f.of, f.name): f for f in site.decl.facts}
    for f in site.family.facts:
        if f.of != of:
            continue
        summary = f"fact of {OWNERS[of]}" + (", private" if f.private else "")
        if f.draw:
            summary += f", drawn as `{f.draw}`"
        found = decls.get((f.of, f.name))
        yield Named(f.name, "fact", T.FACT_TYPES[f.type], summary, f.doc or "",
                    found.head if found is not None else None,
                    found.name_span if found is not None else None)  # fmt: skip


def _scenario_facts(w: Where) -> Iterable[Named]:
    return _facts_of(w.site, "scenario")


def _signature(action) -> str:
    params = []
    for p in action.params:
        kind = p.type
        if p.low is not None and p.high is not None:
            kind = f"{p.low:g}..{p.high:g}"
        params.append(f"{p.name}: {kind}")
    return f"{action.name}({', '.join(params)})"


def _actions(w: Where) -> Iterable[Named]:
    decls = {a.name: a for a in w.site.decl.actions}
    for a in w.site.family.actions:
        summary = f"action `{_signature(a)}`" + (", ends the episode" if a.ends else "")
        summary += "; reads as its last accepted call (none before one)"
        found = decls.get(a.name)
        yield Named(a.name, "action", f"call:{a.name}", summary, a.description,
                    found.head if found is not None else None,
                    found.name_span if found is not None else None)  # fmt: skip


def _defs(w: Where) -> Iterable[Named]:
    decls = {d.name: d for d in w.site.decl.defs}
    for d in w.site.family.defs:
        params = ", ".join(f"{p.name}: {p.type}" for p in d.params)
        found = decls.get(d.name)
        title = found.title if found is not None and found.title else ""
        summary = f"def `{d.name}({params})`" + (f": {title}" if title else "")
        doc = d.doc if d.doc and d.doc != title else ""  # the label is the doc when no doc
        yield Named(d.name, "def", "", summary, doc,
                    found.head if found is not None else None,
                    found.name_span if found is not None else None)  # fmt: skip


def _functions(w: Where) -> Iterable[Named]:
    for name in T.FUNCTIONS:
        if name in T.DRAWS and not w.site.draw:
            continue  # the checker refuses a draw outside a fact's `draw:`
        signature, doc = SIGNATURES.get(name, (f"{name}(...)", ""))  # a test lists each one
        yield Named(name, "function", "", signature, doc)


# What a name may be, in the order completion lists them; each takes the scope and yields
# what it declares. A family's `def` is one more entry here.
SOURCES: tuple[Callable[[Where], Iterable[Named]], ...] = (
    _variables,
    _collections,
    _scenario_facts,
    _actions,
    _defs,
    _functions,
)


def names(w: Where) -> dict[str, Named]:
    """Every name at the start of a name, the first of each (a variable hides a fact)."""
    found: dict[str, Named] = {}
    for source in SOURCES:
        for named in source(w):
            found.setdefault(named.name, named)
    return found


# ---- the names after a dot --------------------------------------------------------------
def members(site: ExprSite, t: str) -> dict[str, Named]:
    """What may follow `.` on a value of type `t`: a user's or option's fixed fields and
    facts, an action call's parameters; nothing for other types."""
    found: dict[str, Named] = {}
    if t in (T.USER, T.OPTION):
        for f in _facts_of(site, t):
            found[f.name] = f
        fixed = T.USER_FIELDS if t == T.USER else T.OPTION_FIELDS
        for name, ft in fixed.items():
            found.setdefault(name, Named(name, "field", ft, f"field of every {t}",
                                         FIXED_DOCS[t][name]))  # fmt: skip
    elif t.startswith("call:"):
        action = next((a for a in site.family.actions if a.name == t[5:]), None)
        decl = next((a for a in site.decl.actions if a.name == t[5:]), None)
        for p in action.params if action is not None else ():
            kind = T.PARAM_TYPES[p.type]
            summary = f"parameter of `{_signature(action)}`"
            if p.low is not None and p.high is not None:
                summary += f", from {p.low:g} to {p.high:g}"
            found[p.name] = Named(p.name, "param", kind, summary, action.description,
                                  decl.at("params") if decl is not None else None)  # fmt: skip
    return found


# ---- the names a family's own fields give ------------------------------------------------
def goals(site: ExprSite) -> dict[str, Named]:
    """The family's goals and metrics, as `success:` names them."""
    found: dict[str, Named] = {}
    for kind, group in (("goal", site.decl.goals), ("metric", site.decl.measures)):
        for m in group:
            text = (m.holds if kind == "goal" else m.value) or ""
            summary = f"{kind}{', per user' if m.per == 'user' else ''}: `{text}`"
            found.setdefault(m.name or "?", Named(m.name or "?", kind, "", summary,
                                                  m.doc or "", m.head, m.name_span))  # fmt: skip
    return found


# what a family's field names, by field: `success: [GOAL, ...]`, a play's `search: ACTION`
FIELD_NAMES: dict[str, Callable[[ExprSite], dict[str, Named]]] = {
    "success": goals,
    "search": lambda site: {n.name: n for n in _actions(where_of(site))},
}
