"""Checking a `family` declaration written in museslang, into its compiled form.

Every expression is parsed and typed here, against the family's own facts and
actions, so a goal that reads `u.flor` or adds a text to a number is a diagnostic at
the character, before any episode exists. What is declared and never read is
reported as unused, and a goal that reads no action (nothing the agent does can
change it) is a warning: the oracle gate would fail it on some episode, or it would
hold whatever any agent did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from museslang import family as families
from museslang.diagnostics import Diagnostics, Label, did_you_mean
from museslang.expr import constants
from museslang.expr import nodes as E
from museslang.expr.evaluate import show
from museslang.expr.search import (
    MAX_SEARCH,
    bound_param,
    choices,
    rest_of,
    search_size,
    searchable,
)
from museslang.expr.types import (
    BOOL,
    BUILTINS,
    EARLIER,
    FACT_TYPES,
    NONE,
    NUMBER,
    OPTION,
    PARAM_TYPES,
    TEXT,
    USER,
    Checker,
    ExprTypeError,
    Reads,
    Signature,
    called_defs,
    def_order,
    describe,
    element,
    fits,
    judges_conversation,
    list_of,
    nesting,
    param_scope,
    too_deep,
)
from museslang.ir import models as ir
from museslang.prompts import PromptError, parse_template, variables_of
from museslang.semantics.model import (
    ActionDef,
    FactDef,
    FamilyDef,
    FunctionDef,
    GuardDef,
    MeasureDef,
)
from museslang.semantics.types import NamedAt
from museslang.semantics.written.bounds import Bounds, outside
from museslang.source import Span

RESERVED_USER = ("id", "name", "role", "authority", "required")


@dataclass(frozen=True)
class ExprSite:
    """One expression the checker typed, as it typed it: the family it reads, the string
    it is written in, the names in scope and whether draws are allowed. What an editor's
    hover, completion and definition inside the string read (museslang.lsp.inside)."""

    decl: FamilyDef
    family: ir.AuthoredFamily
    where: E.Located
    scope: dict[str, str]
    draw: bool
    what: str


# what a user's `opening:`, `reply:` and a play's `tell:` see besides the facts
# (plays.context); `reply:` also sees `message` and `turn`, `tell:` the play's `calls`
# and `mine` (its call of each action about the user told)
TEMPLATE_NAMES = (*RESERVED_USER, "me", "users", "others", "options")


class FamilyChecker:
    def __init__(
        self,
        fd: FamilyDef,
        diags: Diagnostics,
        source_of,
        lines_of=lambda file: [],
        owners: dict[str, tuple[str, object]] | None = None,
    ) -> None:
        self.lines_of = lines_of  # a spec file's lines, to place carets in text blocks
        # action name -> the family written in the same spec that declared it first
        self.owners = owners if owners is not None else {}
        self.fd = fd
        self.diags = diags
        self.source_of = source_of
        self.errors_before = len([d for d in diags.items if d.severity == "error"])
        self.reads = Reads()
        self.goal_reads: dict[str, Reads] = {}
        self.option_facts: set[str] = set()  # text facts W011 warned about
        self.sites: list[ExprSite] = []  # every expression typed, for editors
        self.sigs: dict[str, Signature] = {}  # the family's defs, as their calls see them
        self.called: set[str] = set()  # defs some expression calls
        # an action another family of the spec declares, redeclared here (an error): the
        # plays are checked against the one declared, not against the rejected copy
        self.kept_actions: dict[str, ir.ActionSpec] = {}

    # ---- entry ------------------------------------------------------------------------
    def run(self) -> ir.AuthoredFamily | None:
        fd = self.fd
        name = fd.name or "?"
        if name in families.installed():
            self._error(
                f"family '{name}' is already installed ({families.get(name).origin})",
                fd.head,
                "give yours another name",
            )
        self._names()
        fam = ir.AuthoredFamily(
            name=name,
            summary=fd.title or fd.doc or name,
            doc=fd.doc,
            brief=fd.brief,
            turns=fd.turns,
            max_turns=fd.max_turns,
            facts=[
                ir.FactSpec(
                    name=f.name or "?",
                    of=f.of,
                    type=f.type,
                    private=f.private,
                    draw=f.draw,
                    doc=f.doc,
                    leaks_as=f.leaks_as,
                )
                for f in fd.facts
            ],
            actions=[self.kept_actions.get(a.name or "") or self._action(a) for a in fd.actions],
            defs=[f for f in (self._def(d) for d in _firsts(fd.defs)) if f is not None],
            measures=[self._measure(m, "goal") for m in fd.goals]
            + [self._measure(m, "metric") for m in fd.measures],
            success=[s.name for s in fd.success],
            opening=fd.opening,
            reply=fd.reply,
            plays=[],
            source=self.source_of(fd.head),
        )
        self._defs(fam)
        self._expressions(fam)
        fam.plays = [p for p in (self._play(fam, pd) for pd in fd.plays) if p is not None]
        fam.guards = [g for g in (self._guard(fam, gd) for gd in fd.guards) if g is not None]
        texts = [(f"tell:{p.name}", p) for p in fd.plays if p.tell]
        texts += [(f"ask:{p.name}", p) for p in fd.plays if p.ask] + [
            (name, fd) for name in ("opening", "reply") if getattr(fd, name)
        ]
        fam.at = {
            key: self.source_of(self.located(owner, key.partition(":")[0]).span(0))
            for key, owner in texts
        } | {f"play:{p.name}": self.source_of(p.head) for p in fd.plays}
        if not any(p.name == "oracle" for p in fd.plays):
            hint = "add `play oracle { search: ACTION }` or `play oracle { calls: [...] }`"
            self._error(f"family '{name}' has no oracle", fd.head, hint)
        self._success(fam)
        if len([d for d in self.diags.items if d.severity == "error"]) == self.errors_before:
            self._ranges(fam)
        self._templates(fam)
        self._unused(fam)
        errors = len([d for d in self.diags.items if d.severity == "error"])
        return fam if errors == self.errors_before else None

    def located(self, entity, name: str) -> E.Located:
        """An expression field of a declaration, with where its text starts: a text block
        (written over several lines) starts on the line after its quotes, dedented."""
        span = entity.at(name)
        return E.Located.written(getattr(entity, name), span, self.lines_of(span.file))

    def _error(
        self,
        message: str,
        span: Span,
        hint: str | None = None,
        code: str = "E072",
        labels: list[Label] | None = None,
    ) -> None:
        self.diags.error(code, message, span, hint=hint, labels=labels or [])

    # ---- names ------------------------------------------------------------------------
    def _names(self) -> None:
        fd = self.fd
        seen: dict[tuple[str, str], Span] = {}
        groups = [(f"fact of {f.of}", f) for f in fd.facts] + [("action", a) for a in fd.actions]
        groups += [("def", d) for d in fd.defs]
        groups += [("measure", m) for m in (*fd.goals, *fd.measures)]
        groups += [("play", p) for p in fd.plays] + [("guard", g) for g in fd.guards]
        for group, entity in groups:
            key = (group, entity.name or "?")
            if key in seen:
                self._error(
                    f"'{entity.name}' is declared twice",
                    entity.head,
                    "rename one",
                    code="E012",
                    labels=[Label(seen[key], "first declared here")],
                )
            seen.setdefault(key, entity.head)
        success = {s.name for s in fd.success}
        for m in fd.goals:
            if m.weight is not None and m.name in success:
                self._error(
                    f"goal '{m.name}' is in `success:` and has a weight: a success goal must "
                    "hold, a weighted one is a preference",
                    m.at("weight"),
                    "delete `weight:`, or take the goal out of `success:`",
                )
        computed = computed_names()
        if any(m.weight is not None for m in fd.goals):
            from museslang.authored.outcome import PREFERENCES

            computed.add(PREFERENCES)
        for m in (*fd.goals, *fd.measures):
            if m.name in computed:
                self._error(
                    f"'{m.name}' is a metric museslang computes for every family",
                    m.head,
                    "give the goal or metric another name"
                    + ("; `success:` lists the goals it is made of" if m.name == "success" else ""),
                )
        for f in fd.facts:
            if f.of == "option" and f.type == "user":
                self._error(
                    f"an option's fact '{f.name}' cannot name a user: the options are the "
                    "same in every episode, its users are not",
                    f.at("type"),
                    "make it a fact of the scenario or of a user (`of: scenario`)",
                )
            if f.of in ("user", "option") and f.name in RESERVED_USER:
                self._error(
                    f"'{f.name}' is already a field of every {f.of}",
                    f.head,
                    "name the fact otherwise",
                )
            self._phrasings(f)
        for a in fd.actions:
            owner = _action_owner(a.name or "", self.owners)
            declared = self.owners.get(a.name or "")
            if declared is not None and declared[1] == self._action(a):
                continue  # the same declaration, inherited (`family B extends A`)
            if owner is not None and owner != fd.name:
                if declared is not None:  # checked as the one declared, so no error follows
                    self.kept_actions[a.name or ""] = declared[1]
                self._error(
                    f"action '{a.name}' is already "
                    + ("museslang's" if owner == "museslang" else f"the {owner} family's"),
                    a.head,
                    "give the action another name",
                )

    def _phrasings(self, f) -> None:
        """`leaks_as` names values of the fact: a number is told as a number (no phrasing
        would help), a flag's values are true and false."""
        if not f.leaks_as:
            return
        if f.type == "number":
            self._error(
                f"fact '{f.name}' is a number: `told` reads numbers in any notation, so "
                "`leaks_as` has nothing to add",
                f.at("leaks_as"),
                "delete `leaks_as`, or make it a text fact",
            )
        elif f.type == "flag" and set(f.leaks_as) - {"true", "false"}:
            self._error(
                f"fact '{f.name}' is a flag: its `leaks_as` keys are true and false",
                f.at("leaks_as"),
                'write `leaks_as: { true: ["..."] }`',
            )

    def _action(self, a: ActionDef) -> ir.ActionSpec:
        params = []
        for pname, named in a.params.items():
            kind = named.name if isinstance(named, NamedAt) else str(named)
            if ".." in kind:
                low, high = (float(x) for x in kind.split(".."))
                params.append(ir.ParamSpec(name=pname, type="number", low=low, high=high))
            else:
                params.append(ir.ParamSpec(name=pname, type=kind))
        return ir.ActionSpec(
            name=a.name or "?",
            description=a.title or a.doc or a.name or "?",
            params=params,
            ends=a.ends,
        )

    def _def(self, d: FunctionDef) -> ir.FunctionSpec | None:
        """A def's declaration: a name no built-in function has, parameters typed (no
        ranges: a def computes, it is not offered to the agent) and named apart from the
        family's own names, which they would hide in its body."""
        name = d.name or "?"
        if name in BUILTINS:
            self._error(f"'{name}' is a built-in function", d.head,
                        "give the def another name: a call would mean the built-in")  # fmt: skip
            return None
        scenario = [f.name or "?" for f in self.fd.facts if f.of == "scenario"]
        hidden = {
            "users": "every episode's users",
            "options": "every episode's options",
            **dict.fromkeys(scenario, "a fact of the scenario"),
            **{a.name or "?": "an action" for a in self.fd.actions},
        }
        params = []
        for pname, named in d.params.items():
            kind = named.name if isinstance(named, NamedAt) else str(named)
            span = named.span if isinstance(named, NamedAt) else d.at("params")
            if ".." in kind:
                self._error(f"def '{name}': parameter '{pname}' takes a type, not a range",
                            span, "write number")  # fmt: skip
                return None
            if pname in hidden:
                self._error(f"def '{name}': parameter '{pname}' already names {hidden[pname]}",
                            span, "give the parameter another name")  # fmt: skip
                return None
            params.append(ir.ParamSpec(name=pname, type=kind))
        # a def without `value:` is reported as missing it; its calls read as none
        value = d.value if d.value is not None else "none"
        return ir.FunctionSpec(name=name, params=params, value=value, doc=d.title or d.doc)

    def _defs(self, fam: ir.AuthoredFamily) -> None:
        """Type each def's body, each after the defs it calls, with its parameters in
        scope; a def that calls itself, directly or through others, is an error at the
        call (its cost would have no bound)."""
        declared = {d.name: d for d in _firsts(self.fd.defs)}
        order, cyclic = def_order(fam)
        for spec in order:  # a recursive def's calls read as `none`, so nothing cascades
            if spec.name in cyclic:
                self.sigs[spec.name] = Signature(tuple(param_scope(spec).items()), NONE, Reads())
        for spec in order:
            d = declared[spec.name]
            scope = param_scope(spec)
            if d.value is None:  # E011 says it is missing
                everything = Reads(actions={a.name for a in fam.actions}, told=True)
                self.sigs[spec.name] = Signature(tuple(scope.items()), NONE, everything)
                continue
            where = self.located(d, "value")
            if spec.name in cyclic:
                cycle = cyclic[spec.name]
                call = next(c for c in called_defs(E.parse(where.text), {cycle[1]}))
                through = f" through {' -> '.join(cycle)}" if len(cycle) > 2 else ""
                self._error(
                    f"def '{spec.name}' calls itself{through}",
                    where.span(call.start, call.end),
                    "a def is never recursive, so that what a call costs is known: write the "
                    "cases out, or range over a list with an aggregate",
                )
            reads = Reads()
            got = self.typed(fam, where, scope, None, f"def '{spec.name}'", reads=reads)
            returns = got[1] if got is not None and spec.name not in cyclic else NONE
            if got is None:  # reported: its calls must not add "reads no action" errors
                reads = Reads(actions={a.name for a in fam.actions}, told=True)
            ok = got is not None and spec.name not in cyclic
            depth = nesting(got[0], self.sigs) if ok and got is not None else 0
            temporal = ok and got is not None and judges_conversation(got[0], self.sigs)
            self.sigs[spec.name] = Signature(tuple(scope.items()), returns, reads, depth, temporal)

    def _measure(self, m: MeasureDef, kind: str) -> ir.MeasureSpec:
        text = (m.holds if kind == "goal" else m.value) or ""
        return ir.MeasureSpec(name=m.name or "?", kind=kind, per=m.per, where=m.where,
                              value=text, doc=m.doc, weight=m.weight)  # fmt: skip

    # ---- expressions ------------------------------------------------------------------
    def typed(
        self,
        fam: ir.AuthoredFamily,
        where: E.Located,
        scope: dict[str, str],
        want: str | None,
        what: str,
        draw: bool = False,
        reads: Reads | None = None,
    ) -> tuple[E.Node, str] | None:
        """Parse and type one expression; None (and a diagnostic) when it is wrong."""
        self.sites.append(ExprSite(self.fd, fam, where, dict(scope), draw, what))
        try:
            node = E.parse(where.text)
        except E.ExprError as exc:
            self.diags.error("E070", f"{what}: {exc}", where.span(exc.offset), hint=exc.hint)
            return None
        checker = Checker(fam, draw=draw, reads=reads or Reads(), sigs=self.sigs)
        self.called |= {c.fn for c in called_defs(node, set(self.sigs))}
        deep = too_deep(node, self.sigs)
        if deep is not None:
            self.diags.error("E070", f"{what}: {deep}", where.span(node.start, node.end),
                             hint="call fewer defs inside one another")  # fmt: skip
            return None
        try:
            got = checker.infer(node, scope)
            if want is not None and not fits(got, want):
                hint = (
                    "a user is a value, not a name: e.g. pick(users) in a scenario's draw, "
                    "earlier[-1] in a user's"
                    if want == USER and got == TEXT
                    else None
                )
                raise ExprTypeError(
                    f"{what} must be {describe(want)}, not {describe(got)}", node, hint
                )
        except ExprTypeError as exc:
            self.diags.error(
                "E071", str(exc), where.span(exc.node.start, exc.node.end), hint=exc.hint
            )
            return None
        finally:
            self._merge(checker.reads)
        for compared, fact in checker.option_ids:
            if fact in self.option_facts:
                continue  # one warning per fact: the first comparison
            self.option_facts.add(fact)
            self.diags.warning(
                "W011",
                f"fact '{fact}' is compared with an option's id: it holds option ids",
                where.span(compared.start, compared.end),
                hint=f"declare fact {fact} `type: option`: each value is then checked against "
                "the scenario's options, and it reads as the option (`u.shift.hours`)",
            )
        for bad, why in constants.failures(node):
            self.diags.error(
                "E075",
                f"{what}: {why}",
                where.span(bad.start, bad.end),
                hint="this part reads nothing that changes between episodes, so it fails on "
                "every one",
            )
        return node, got

    def _merge(self, r: Reads) -> None:
        # a fact read through an earlier user's draw is the user's fact, read
        self.reads.facts |= {
            f"user.{k.split('.', 1)[1]}" if k.startswith(f"{EARLIER}.") else k for k in r.facts
        }
        self.reads.actions |= r.actions
        self.reads.told = self.reads.told or r.told

    def _expressions(self, fam: ir.AuthoredFamily) -> None:
        fd = self.fd
        drawn: dict[str, tuple[FactDef, E.Located, Reads]] = {}  # "of.name" -> its draw
        for f in fd.facts:
            if f.draw is None:
                continue
            if f.of == "option":  # a catalogue is declared, never drawn
                hint = "delete `draw:`; give it in each option's `facts:`"
                self._error("an option's fact is written in the scenario, not drawn",
                            f.at("draw"), hint)  # fmt: skip
                continue
            # a user's draw sees the users drawn before (`earlier`), with all their facts
            scope = {"u": USER, EARLIER: list_of(USER)} if f.of == "user" else {}
            reads, where = Reads(), self.located(f, "draw")
            # an `option` fact draws an option, or an option's id (checked per scenario); a
            # `user` fact a user (a name could be any text, so it must come from a list)
            want = None if f.type == "option" else FACT_TYPES[f.type]
            got = self.typed(
                fam, where, scope, want, f"the draw of '{f.name}'", draw=True, reads=reads
            )
            if got is not None and want is None and got[1] not in (OPTION, TEXT, NONE):
                self.diags.error(
                    "E071",
                    f"the draw of '{f.name}' must be an option (or an option's id), "
                    f"not {describe(got[1])}",
                    where.span(got[0].start, got[0].end),
                )
            if got is not None:
                drawn[f"{f.of}.{f.name}"] = (f, where, reads)
        self._draw_order(drawn)
        for m, kind in [(m, "goal") for m in fd.goals] + [(m, "metric") for m in fd.measures]:
            scope = {"u": USER} if m.per == "user" else {}
            if m.where is not None:
                if m.per != "user":
                    self._error("`where:` chooses users: it needs `per: user`", m.at("where"))
                else:
                    self.typed(fam, self.located(m, "where"), scope, BOOL, "`where:`")
            reads = Reads()
            field_name = "holds" if kind == "goal" else "value"
            if getattr(m, field_name) is None:
                continue
            got = self.typed(
                fam,
                self.located(m, field_name),
                scope,
                BOOL if kind == "goal" else NUMBER,
                f"{kind} '{m.name}'",
                reads=reads,
            )
            if kind == "goal" and got is not None:
                self.goal_reads[m.name or "?"] = reads
                if not reads.actions and not reads.told:
                    # a success criterion nothing can change decides every episode alike:
                    # an error (no mutation of the oracle's play could fail it)
                    decides = any(s.name == m.name for s in fd.success)
                    report = self.diags.error if decides else self.diags.warning
                    report(
                        "E074" if decides else "W008",
                        f"{'success ' * decides}goal '{m.name}' reads no action: nothing the "
                        "agent does changes it",
                        m.at("holds"),
                        hint="a goal is about the outcome: read a call of an action "
                        "(ACTION[u].PARAM, ACTION.PARAM) or what users were told (told(u, ...))",
                    )

    def _draw_order(self, drawn: dict[str, tuple[FactDef, E.Located, Reads]]) -> None:
        """Facts are drawn in the order they are declared, each user's first, then the
        scenario's: a draw may read only what was drawn before it (and the facts a spec
        gives). Reading itself, a fact drawn after it, or a scenario fact from a user's
        draw would read none on every episode."""
        order = list(drawn)
        for key, (f, where, reads) in drawn.items():
            for read in sorted(reads.facts):
                if read not in drawn:
                    continue  # not drawn: the spec gives it (E073 says when it does not)
                node = reads.nodes[read]
                span = where.span(node.start, node.end)
                other = read.split(".", 1)[1]
                if read == key:
                    self._error(f"the draw of '{f.name}' reads '{f.name}' itself", span,
                                "a fact is drawn once, from facts drawn before it")  # fmt: skip
                elif f.of == "user" and read.startswith("scenario."):
                    self._error(
                        f"the draw of '{f.name}' reads the scenario's '{other}', which is "
                        "drawn after the users",
                        span,
                        "a user's draw reads only scenario facts the spec gives (no `draw:`)",
                    )
                elif read.split(".")[0] == f.of and order.index(read) > order.index(key):
                    back = key in drawn[read][2].facts
                    message = (
                        f"'{f.name}' and '{other}' are drawn from each other"
                        if back
                        else f"the draw of '{f.name}' reads '{other}', which is drawn after it"
                    )
                    hint = (
                        "draw one of them from something else" if back
                        else f"declare fact {other} before fact {f.name}"
                    )  # fmt: skip
                    self._error(message, span, hint)

    def _guard(self, fam: ir.AuthoredFamily, gd: GuardDef) -> ir.GuardSpec | None:
        """A declared guard: `never:` is a condition on the outcome, like a goal's, and
        must read something the agent does, or it would act on every message or none."""
        name = gd.name or "?"
        if name == "none":
            self._error("'none' is the guard setting without guards", gd.head,
                        "give the guard another name")  # fmt: skip
            return None
        if gd.never is None:  # E015 says it is missing
            return None
        scope = {"u": USER} if gd.per == "user" else {}
        if gd.where is not None:
            if gd.per != "user":
                self._error("`where:` chooses users: it needs `per: user`", gd.at("where"))
                return None
            if self.typed(fam, self.located(gd, "where"), scope, BOOL, "`where:`") is None:
                return None
        reads = Reads()
        where = self.located(gd, "never")
        if self.typed(fam, where, scope, BOOL, f"guard '{name}'", reads=reads) is None:
            return None
        if not reads.actions and not reads.told:
            self._error(
                f"guard '{name}' reads nothing the agent does: it would act on every message "
                "or on none",
                gd.at("never"),
                "read what users were told (told(v, u.floor)) or a call (grant[u].amount)",
                code="E074",
            )
            return None
        if gd.do == "redact" and not reads.told:
            self._error(
                f"guard '{name}' redacts, but reads no `told`: there is nothing in a message "
                "to cut",
                gd.at("do"),
                "use `do: block` or `do: retry` for a guard on calls",
            )
            return None
        return ir.GuardSpec(name=name, summary=gd.title or gd.doc or "", never=gd.never or "",
                            per=gd.per, where=gd.where, do=gd.do, note=gd.note)  # fmt: skip

    def _play(self, fam: ir.AuthoredFamily, pd) -> ir.PlaySpec | None:
        play = ir.PlaySpec(name=pd.name or "?", tell=pd.tell, on=pd.on, ask=pd.ask)
        if pd.ask is not None and pd.on != "reply":
            self._error(f"play {pd.name}: `ask:` is sent by a play that waits for replies",
                        pd.at("ask"), "add `on: reply`, or write it as `tell:`")  # fmt: skip
        if pd.on == "reply" and self.fd.max_turns < 2:
            self._error(
                f"play {pd.name} acts on its second turn, and the family's episodes have "
                f"{self.fd.max_turns}",
                pd.at("on"),
                "raise `max_turns:` to 2 or more, or delete `on: reply`",
            )
        actions = {a.name: a for a in fam.actions}
        if pd.search is not None:
            target = actions.get(pd.search.name)
            if target is None:
                self._error(
                    f"unknown action '{pd.search.name}'",
                    pd.search.span,
                    did_you_mean(pd.search.name, actions),
                )
                return None
            bad = [p.name for p in target.params if not searchable(p)]
            if bad:
                self._error(
                    f"action '{target.name}' cannot be searched: '{bad[0]}' has no finite choices",
                    pd.search.span,
                    "searchable parameters: user, users, option, flag, or a range of at most "
                    "101 whole numbers; otherwise declare the oracle's calls",
                )
                return None
            bound = None
            if pd.each is not None:
                bound = self._joint(fam, pd, target)
                if bound is None:
                    return None
                play.each = pd.each
                target = rest_of(target, bound)
            fixed = search_size(target, 1, 1)  # its ranges and flags; users come later
            if fixed > MAX_SEARCH:
                self._error(
                    f"the search of '{target.name}' would try {fixed:,} calls on any episode "
                    f"({' × '.join(str(choices(p, 1, 1)) for p in target.params)}), over the "
                    f"bound of {MAX_SEARCH:,}",
                    pd.search.span,
                    "narrow its ranges, or declare the oracle's calls",
                    code="E076",
                )
                return None
            play.search = target.name
        elif pd.each is not None:
            self._error(
                f"play {pd.name}: `each:` names the elements of a joint search, and this "
                "play searches nothing",
                pd.at("each"),
                "add `search: ACTION`, or move `each:` into a call of `calls:`",
            )
            return None
        for i, call in enumerate(pd.calls):
            checked = self._call(fam, pd, call, actions, i)
            if checked is not None:
                play.calls.append(checked)
        return play

    def _joint(self, fam: ir.AuthoredFamily, pd, action: ir.ActionSpec) -> str | None:
        """The parameter a joint search's elements fill (`search: assign  each: "u in
        users"`): the action's first of the elements' type; None (and a diagnostic) when
        the binding is wrong or the action has no such parameter."""
        # typed as the binding of an aggregate; the caret lands in the string written
        # (the wrapper's `count(` is before the string's first character)
        wrapped = E.Located(f"count({pd.each}: true)", pd.at("each"), quote=1 - len("count("))
        got = self.typed(fam, wrapped, {}, None, f"play {pd.name}, each")
        if got is None:
            return None
        node = got[0]
        if not isinstance(node, E.Call) or node.binding is None:
            self._error(f'play {pd.name}: `each:` is a binding, e.g. "u in users"', pd.at("each"))
            return None
        kind = element(Checker(fam).infer(node.binding.domain, {})) or "none"
        bound = bound_param(action, kind) if kind in ("user", "option") else None
        if bound is None:
            self._error(
                f"play {pd.name}: each element is {describe(kind)}, and action "
                f"'{action.name}' has no parameter of that type to fill",
                pd.at("each"),
                'bind users or options, one per call: `each: "u in users"`',
            )
            return None
        return bound.name

    def _call(self, fam, pd, call: dict, actions, i: int) -> ir.PlayCall | None:
        span = pd.inner_spans.get(f"calls.{i}", pd.at("calls"))  # this call's braces

        def at(key: str) -> Span:  # one of its fields' values (the call, if unknown)
            return pd.inner_spans.get(f"calls.{i}.{key}", span)

        def located(key: str, text: str) -> E.Located:
            if not isinstance(call.get(key), str):  # a number or flag written bare
                return E.Located(text, at(key), quote=0)
            return E.Located.written(text, at(key), self.lines_of(at(key).file))
        name = call.get("action")
        if not isinstance(name, str) or name not in actions:
            hint = did_you_mean(str(name), actions) or "write { action: NAME ... }"
            where = at("action") if name is not None else span
            self._error(f"play {pd.name}, call {i + 1}: unknown action {name!r}", where, hint)
            return None
        action = actions[name]
        scope: dict[str, str] = {}
        each = call.get("each")
        if each is not None:
            # typed as an aggregate's binding: its text starts 6 characters into `count(`
            written = located("each", each)
            where = replace(written, text=f"count({each}: true)", quote=written.quote - 6)
            got = self.typed(fam, where, {}, None, f"play {pd.name}, call {i + 1}, each")
            if got is None:
                return None
            node = got[0]
            assert isinstance(node, E.Call)
            if node.binding is None:
                self._error(f'play {pd.name}: `each:` is a binding, e.g. "u in users"', at("each"))
                return None
            b = node.binding
            dom = Checker(fam, sigs=self.sigs).infer(b.domain, {})
            scope[b.var] = element(dom) or "none"
        params = {p.name: p for p in action.params}
        args: dict[str, str] = {}
        for key, value in call.items():
            if key in ("action", "each"):
                continue
            if key not in params:
                self._error(
                    f"play {pd.name}: action '{name}' has no parameter '{key}'",
                    at(key),
                    did_you_mean(key, params),
                )
                continue
            text = _expression_text(value)
            want = PARAM_TYPES[params[key].type]
            where = located(key, text)
            if self.typed(fam, where, scope, want, f"play {pd.name}: {name}'s {key}") is not None:
                args[key] = text
        missing = [p for p in params if p not in args and p not in call]
        if missing:
            self._error(f"play {pd.name}: call of '{name}' misses '{missing[0]}'", span)
            return None
        return ir.PlayCall(action=name, each=each, args=args)

    def _success(self, fam: ir.AuthoredFamily) -> None:
        goals = {m.name for m in fam.measures if m.kind == "goal"}
        for s in self.fd.success:
            if s.name not in goals:
                metrics = {m.name for m in fam.measures}
                self._error(
                    f"'{s.name}' is not a goal of this family",
                    s.span,
                    ("success names goals; it is a metric" if s.name in metrics else None)
                    or did_you_mean(s.name, goals)
                    or "goals: " + ", ".join(sorted(goals)),
                )

    # ---- ranges -----------------------------------------------------------------------
    def _ranges(self, fam: ir.AuthoredFamily) -> None:
        """W010 where a draw can push an oracle call, or the value a goal holds an action's
        parameter to, outside the parameter's declared range (semantics/written/bounds.py)."""
        actions = {a.name: a for a in fam.actions}
        for pd, play in zip(
            [p for p in self.fd.plays if any(q.name == p.name for q in fam.plays)],
            fam.plays,
            strict=False,
        ):
            for call in play.calls:
                scope = {}
                if call.each is not None:
                    var, _, domain = call.each.partition(" in ")
                    scope[var.strip()] = "user" if domain.strip().startswith("users") else "option"
                for key, text in call.args.items():
                    allowed = Bounds(fam, {}).param(call.action, key)
                    got = Bounds(fam, scope).of(E.parse(text))
                    how = outside(got, allowed) if got and allowed else None
                    if how:
                        p = next(x for x in actions[call.action].params if x.name == key)
                        self.diags.warning(
                            RANGE_CODE,
                            f"play {play.name}: {call.action}'s {key} can be {how}, outside "
                            f"{key}: {show(p.low)}..{show(p.high)}",
                            pd.at("calls"),
                            hint=RANGE_HINT
                            if play.name == "oracle"
                            else "the engine refuses a call outside the range: the player's call "
                            "is lost in those episodes",
                        )
        goals = [(m, "holds") for m in self.fd.goals if m.holds]
        for m, name in goals:
            scope = {"u": "user"} if m.per == "user" else {}
            where = self.located(m, name)
            for node in E.walk(E.parse(where.text)):
                found = _out_of_range(Bounds(fam, scope), node)
                if found is not None:
                    param, how, allowed = found
                    self.diags.warning(
                        RANGE_CODE,
                        f"goal '{m.name}' holds {param} (which takes {allowed}) to a value "
                        f"that can be {how}",
                        where.span(node.start, node.end),
                        hint=RANGE_HINT,
                    )

    def _templates(self, fam: ir.AuthoredFamily) -> None:
        fd = self.fd
        texts = [(fd, "opening"), (fd, "reply"), (fd, "brief")]
        texts += [(p, "tell") for p in fd.plays] + [(p, "ask") for p in fd.plays]
        for entity, name in texts:
            text = getattr(entity, name)
            if text is None:
                continue
            try:
                parse_template(text)
            except PromptError as exc:
                self.diags.error("E050", f"template error in `{name}`: {exc}", entity.at(name))
                continue
            if name != "brief":  # the brief is shown to the agent as written
                self._variables(fam, entity, name, text)

    def _variables(self, fam: ir.AuthoredFamily, entity, name: str, text: str) -> None:
        """Every variable a user's template reads must be one the user has: a template
        that names `cap_hours` when the fact is `max_hours` would fail in every episode."""
        known = [*TEMPLATE_NAMES, *(f.name for f in fam.facts if f.of in ("user", "scenario"))]
        if name == "reply":
            known += ["message", "turn"]
        if name == "tell":  # the play's own calls (plays.context)
            known += ["calls", "mine"]
        for var in sorted(variables_of(text) - set(known)):
            found = re.search(rf"(?<![\w.]){re.escape(var)}(?!\w)", text)
            where = self.located(entity, name)
            span = where.span(found.start(), found.end()) if found else entity.at(name)
            self.diags.error(
                "E050",
                f"`{name}` uses '{var}', which no user of family {fam.name} has",
                span,
                hint=did_you_mean(var, known)
                or "a user's templates see: " + ", ".join(sorted(set(known))),
            )

    def _unused(self, fam: ir.AuthoredFamily) -> None:
        fd = self.fd
        templates = " ".join(
            t
            for t in (
                fd.opening,
                fd.reply,
                fd.brief,
                *(p.tell for p in fd.plays),
                *(p.ask for p in fd.plays),
            )
            if t
        )
        draws = " ".join(f.draw for f in fd.facts if f.draw)
        for f in fd.facts:
            used = f"{f.of}.{f.name}" in self.reads.facts or re.search(
                rf"\b{re.escape(f.name or '')}\b", templates + " " + draws
            )
            if not used:
                self.diags.warning(
                    "W001",
                    f"fact '{f.name}' is declared but never read",
                    f.head,
                    hint="read it in a goal, metric, play or template",
                )
        for d in fam.defs:
            if d.name not in self.called:
                self.diags.warning(
                    "W001",
                    f"def '{d.name}' is declared but never called",
                    next(x.head for x in fd.defs if x.name == d.name),
                    hint="call it in a goal, metric, draw, play or guard, or delete it",
                )
        for a in fd.actions:
            if not a.ends and a.name not in self.reads.actions:
                self.diags.warning(
                    "W001",
                    f"action '{a.name}' is offered but no goal or metric reads it",
                    a.head,
                    hint="score it, or delete it",
                )


def computed_names() -> set[str]:
    """Names museslang gives values of its own on every result of a family written in
    museslang: `success`, and the metrics every family's results carry. A goal or metric
    named like one would replace it (a goal `success` that a refusing agent meets)."""
    from museslang.authored.outcome import SUCCESS
    from museslang.ir.results import COMMON_METRICS, CROSS_EPISODE

    return {SUCCESS, *CROSS_EPISODE, *COMMON_METRICS}


RANGE_CODE = "W010"
RANGE_HINT = (
    "an episode whose draw falls outside cannot be passed by the oracle and is drawn again, "
    "so the benchmark loses those cases: widen the range or narrow the draw"
)
_FLIP = {"<=": ">=", ">=": "<=", "<": ">", ">": "<", "==": "=="}


def _out_of_range(b: Bounds, node: E.Node) -> tuple[str, str, str] | None:
    """A comparison of a ranged action parameter with a value a draw can put beyond the
    range, so that no call can meet it: (the parameter, how far, its range)."""
    if not isinstance(node, E.BinOp) or node.op not in _FLIP:
        return None
    for param, other, op in ((node.left, node.right, node.op),
                             (node.right, node.left, _FLIP[node.op])):  # fmt: skip
        kind = b.kind(param.obj) if isinstance(param, E.Attr) else None
        if kind is None or not kind.startswith("call:"):
            continue
        allowed = b.param(kind[5:], param.name)  # type: ignore[union-attr]
        value = b.of(other)
        if allowed is None or value is None:
            continue
        low, high = allowed
        if op == "==":
            how = outside(value, allowed)
        elif op in (">=", ">"):  # param >= value: a value above the top cannot be met
            how = outside((low, value[1]), allowed) if value[1] > high or (
                op == ">" and value[1] >= high) else None  # fmt: skip
        else:
            how = outside((value[0], high), allowed) if value[0] < low or (
                op == "<" and value[0] <= low) else None  # fmt: skip
        if how:
            name = f"{kind[5:]}.{param.name}"  # type: ignore[union-attr]
            return name, how, f"{show(low)}..{show(high)}"
    return None


def _firsts(defs: list[FunctionDef]) -> list[FunctionDef]:
    """The first def of each name (a second is E012, and must not be typed as the first)."""
    seen: set[str | None] = set()
    return [d for d in defs if not (d.name in seen or seen.add(d.name))]


def _expression_text(value: object) -> str:
    """A play's argument as an expression: a number or flag written bare in the spec."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _action_owner(name: str, owners: dict[str, tuple[str, object]]) -> str | None:
    """Who already defines this action: a family written in the same spec, "museslang"
    (its own or an installed family's: plug-ins included), or None. A kind a family written
    in another spec brings is no one's here: a check's answer never depends on what the
    process compiled before."""
    from museslang.actions import catalogue

    if name in owners:
        return owners[name][0]
    known = catalogue(*(families.get(n) for n in families.installed()))
    return "museslang" if name in known else None
