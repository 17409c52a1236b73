"""The checker: names, kinds, fields and types, in passes that collect diagnostics.

Pass 1 collects every named declaration into its scope (module or scenario)
and reports duplicates. Pass 2 converts every declaration into its model
object through the kind catalogue (`model.KINDS`), resolving references on
the way. Pass 3 runs the scenario rules (`rules.py`): permissions, slots and
feasibility, sweeps, templates. Pass 4 reports what was declared and never
used. Nothing here raises on bad input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from museslang import family as families
from museslang.diagnostics import Diagnostics, Label, did_you_mean
from museslang.semantics import inherit, rules, sweep_size, uses
from museslang.semantics.loader import LoadedModule, Program, load_program
from museslang.semantics.model import (
    CHILD_SLOTS,
    KINDS,
    Entity,
    FamilyDef,
    KindSpec,
    ScenarioDef,
    kind_in,
)
from museslang.semantics.stdlib_index import import_hint
from museslang.semantics.types import INVALID, Ctx, Symbol
from museslang.source import Span
from museslang.syntax import ast


@dataclass
class ModuleScope:
    module: LoadedModule
    local: dict[str, Symbol] = field(default_factory=dict)
    imported: dict[str, tuple[Symbol, ast.Import]] = field(default_factory=dict)
    aliases: dict[str, tuple[dict[str, Symbol], ast.Import]] = field(default_factory=dict)
    used_imports: set[int] = field(default_factory=set)


@dataclass
class CheckedProgram:
    program: Program
    scenarios: list[ScenarioDef]
    symbols: list[Symbol]
    # every reference the checker resolved, where it is written: what an editor's go to
    # definition, find references and rename read
    references: list[tuple[Span, Symbol]] = field(default_factory=list)
    # every expression a family written in museslang types (semantics.written.ExprSite),
    # with what it was typed against: what an editor answers inside expression strings
    expressions: list[Any] = field(default_factory=list)


def check_file(path: Path, diags: Diagnostics, text: str | None = None) -> CheckedProgram:
    program = load_program(path, diags, text)
    return check_program(program, diags)


def check_program(program: Program, diags: Diagnostics) -> CheckedProgram:
    return _Checker(program, diags).run()


def _inner_spans(path: str, value: ast.Value) -> dict[str, Span]:
    """Where each part of a list or object value is (`calls.0.desk`: the `desk:` of a
    play's first call), so that a mistake inside one is reported there, not at its field."""
    out: dict[str, Span] = {}
    if isinstance(value, ast.ListValue):
        parts = [(str(i), v) for i, v in enumerate(value.items)]
    elif isinstance(value, ast.Object):
        parts = [(f.key.name, f.value) for f in value.fields]
    else:
        return out
    for name, v in parts:
        out[f"{path}.{name}"] = v.span
        out.update(_inner_spans(f"{path}.{name}", v))
    return out


class _Checker:
    def __init__(self, program: Program, diags: Diagnostics) -> None:
        self.program = program
        self.diags = diags
        self.scopes: dict[str, ModuleScope] = {}
        self.symbols: list[Symbol] = []
        self.references: list[tuple[Span, Symbol]] = []
        self._merged: dict[int, ast.Decl] = {}  # a scenario that extends another, merged
        # declarations that extend each other (E025): what they would inherit is unknown,
        # so a family among them is not checked further (its missing fields would cascade)
        self._cyclic: set[int] = set()
        self.expressions: list[Any] = []  # the families' typed expressions (ExprSite)

    # ---- pass 1: scopes -----------------------------------------------------------
    def run(self) -> CheckedProgram:
        for key, mod in self.program.modules.items():
            self.scopes[key] = self._collect_module(key, mod)
        for key in self.program.modules:
            self._link_imports(self.scopes[key])
        scenarios: list[ScenarioDef] = []
        for key, scope in self.scopes.items():
            for decl in scope.module.ast.decls:
                spec = KINDS.get(decl.kind.name)
                if spec is None or not spec.top_level:
                    continue
                extends = spec.name in ("scenario", "family")
                built = self._inherited(decl, key, ()) if extends else decl
                if spec.name == "scenario":  # the shared declarations it uses, as members
                    built = uses.expand(built, self._resolver(scope, None), self.diags)
                scenario_scope = self._scenario_scope(built) if spec.name == "scenario" else None
                entity = self._build(built, spec, scope, scenario_scope)
                if decl.name is not None and decl.name.name in scope.local:
                    sym = scope.local[decl.name.name]
                    if sym.decl is decl:
                        sym.entity = entity
                if isinstance(entity, ScenarioDef) and key == self.program.main:
                    scenarios.append(entity)
        self._authored_families(scenarios)
        # the families written in this spec are looked up through an overlay while their
        # scenarios are checked: checking registers nothing (compile installs them)
        written = [families.written(f) for f in self.authored.values() if f is not None]
        with families.using(written):
            for scenario in scenarios:
                if not self._bind_family(scenario):
                    continue
                rules.check_scenario(scenario, self.program, self.diags)
            self._episode_ids(scenarios)
            sweep_size.check(scenarios, self.diags)
        self._unused()
        if not scenarios and not self.diags.has_errors and not self._main_is_library():
            main = self.program.modules[self.program.main]
            self.diags.warning(
                "W001",
                "this file declares no scenario, so it compiles to no episodes",
                main.source.end_span(),
                hint="declare `scenario NAME { family: ... }`",
            )
        return CheckedProgram(
            self.program, scenarios, self.symbols, self.references, self.expressions
        )

    def _authored_families(self, scenarios: list[ScenarioDef]) -> None:
        """Check every `family` declaration of every module the spec loads, the main one
        and each it imports alike (a `family meeting` in an imported module is the same
        error as in the main file, not silently skipped); each one that checks is bound to
        the scenarios that use it, never installed. Two declarations of one family name are
        an error, and so is one action name in two of them."""
        from museslang.semantics.written.check import FamilyChecker

        self.authored: dict[int, object] = {}
        wanted = [s for scope in self.scopes.values() for s in scope.local.values()
                  if s.kind == "family"]  # fmt: skip
        wanted += [sc.family for sc in scenarios if isinstance(sc.family, Symbol)]
        first: dict[str, Symbol] = {}
        # action name -> the family of this spec declaring it, and its declaration
        owners: dict[str, tuple[str, object]] = {}
        for sym in wanted:
            if id(sym) in self.authored or not isinstance(sym.entity, FamilyDef):
                continue
            if id(sym.decl) in self._cyclic:
                self.authored[id(sym)] = None
                continue
            prior = first.setdefault(sym.name, sym)
            if prior is not sym:
                self._twice(sym, prior, f"family '{sym.name}'", "a spec's families share one name")
                self.authored[id(sym)] = None
                continue
            checker = FamilyChecker(sym.entity, self.diags, self._source_of, self._lines, owners)
            fam = checker.run()
            self.expressions += checker.sites
            self.authored[id(sym)] = fam
            if fam is not None:
                owners.update((a.name, (fam.name, a)) for a in fam.actions if a.name not in owners)

    def _lines(self, file: str) -> list[str]:
        module = self.program.modules.get(file)
        return module.source.text.splitlines() if module is not None else []

    def _source_of(self, span):
        from museslang.ir.models import Source

        return Source(file=self.program.ir_name(span.file), line=span.line, column=span.column)

    def _bind_family(self, scenario: ScenarioDef) -> bool:
        """A scenario of a declared family takes the family's name once it has checked."""
        if not isinstance(scenario.family, Symbol):
            return families.find(scenario.family) is not None  # "": missing or misspelt
        fam = self.authored.get(id(scenario.family))
        if fam is None:
            return False
        from museslang.expr.cost import check_scenario

        check_scenario(fam, scenario.family.entity, scenario, self.diags)  # type: ignore[arg-type]
        scenario.family = fam.name  # type: ignore[attr-defined]
        scenario.authored = fam
        return True

    def _episode_ids(self, scenarios: list[ScenarioDef]) -> None:
        """Two one-episode scenarios with the same `id:` (an import of records that repeat an
        id) compile to one id twice: check says so, as compile would."""
        first: dict[str, ScenarioDef] = {}
        for sc in scenarios:
            if sc.id is None:
                continue
            if sc.id in first:
                self.diags.error(
                    "E012",
                    f"episode id '{sc.id}' is used by two scenarios",
                    sc.at("id"),
                    hint="give each scenario its own id",
                    labels=[Label(first[sc.id].at("id"), "first used here")],
                )
            else:
                first[sc.id] = sc

    def _inherited(self, decl: ast.Decl, module: str, chain: tuple[ast.Decl, ...]) -> ast.Decl:
        """A scenario (or a family) with its parents' members merged under it (`extends`,
        inherit.py); the declaration itself when it extends nothing, or nothing it can."""
        if decl.parent is None or decl.name is None:
            return decl
        if id(decl) in self._merged:
            return self._merged[id(decl)]
        chain = (*chain, decl)
        kind = decl.kind.name
        sym = self._resolver(self.scopes[module], None)(decl.parent, (kind,))
        merged = decl
        looped = next((i for i, d in enumerate(chain) if sym is not None and sym.decl is d), None)
        if sym is not None and looped is not None:
            names = [d.name.name for d in chain[looped:] if d.name is not None]
            self._cyclic.update(id(d) for d in chain[looped:])
            self.diags.error(
                "E025",
                f"{'families' if kind == 'family' else kind + 's'} that extend each other: "
                f"{' -> '.join([*names, sym.name])}",
                decl.parent.span,
                hint=f"a {kind} extends one that does not extend it back; move what they "
                f"share into a third {kind} both extend",
            )
        elif sym is not None:
            parent = self._inherited(sym.decl, sym.module, chain)
            child = self._same_family(parent, decl, sym.name) if kind == "scenario" else decl
            merged = inherit.merge(parent, child, self.diags, sym.name)
        if id(decl) in self._cyclic:
            self._cyclic.add(id(merged))
        self._merged[id(decl)] = merged
        return merged

    def _same_family(self, parent: ast.Decl, child: ast.Decl, parent_name: str) -> ast.Decl:
        """`child`, less a `family:` that differs from its parent's (E025): everything it
        inherits belongs to the parent's family, so that is the one it is checked as."""

        def family(d: ast.Decl) -> ast.Field | None:
            return next((f for f in d.fields if f.key.name == "family"), None)

        theirs, mine = family(parent), family(child)
        if (
            theirs is None
            or mine is None
            or self._written(theirs.value) == self._written(mine.value)
        ):
            return child
        self.diags.error(
            "E025",
            f"scenario '{child.name.name if child.name else ''}' extends '{parent_name}', "
            "a scenario of another family",
            mine.value.span,
            hint=f"delete `family:` here: an extending scenario has its parent's, "
            f"'{self._written(theirs.value)}'",
            labels=[Label(theirs.value.span, f"the family of '{parent_name}'")],
        )
        return replace(child, fields=tuple(f for f in child.fields if f is not mine))

    @staticmethod
    def _written(value: ast.Value) -> str:
        return value.dotted if isinstance(value, ast.Ref) else getattr(value, "value", "")

    def _main_is_library(self) -> bool:
        main = self.program.modules[self.program.main]
        return main.is_std or bool(main.ast.decls)

    def _collect_module(self, key: str, mod: LoadedModule) -> ModuleScope:
        scope = ModuleScope(mod)
        for decl in mod.ast.decls:
            spec = self._kind(decl, top_level=True)
            if spec is None:
                continue
            if decl.name is None:
                if spec.named or not spec.top_level:  # a shared declaration is used by name
                    self.diags.error(
                        "E015",
                        f"a {spec.name} needs a name",
                        decl.head,
                        hint=f"write `{spec.name} NAME {{ ... }}`",
                    )
                continue
            self._declare(scope.local, Symbol(spec.name, decl.name.name, key, decl))
        return scope

    def _kind(
        self, decl: ast.Decl, top_level: bool, parent: KindSpec | None = None
    ) -> KindSpec | None:
        spec = KINDS.get(decl.kind.name)
        if spec is None:
            allowed = (
                [k for k, s in KINDS.items() if s.top_level]
                if top_level
                else (list(parent.children) if parent else [])
            )
            self.diags.error(
                "E010",
                f"unknown declaration kind '{decl.kind.name}'",
                decl.kind.span,
                hint=did_you_mean(decl.kind.name, KINDS)
                or "declarations here: " + ", ".join(allowed),
            )
            return None
        if top_level and not spec.top_level and spec.name in uses.SHARED:
            return spec  # declared once, for the scenarios that list it in `uses:`
        if top_level and not spec.top_level:
            self.diags.error(
                "E018",
                f"a {spec.name} must be declared inside a scenario",
                decl.head,
                hint=f"move `{decl.title}` into a `scenario {{ ... }}` block",
            )
            return None
        if not top_level:
            assert parent is not None
            spec = kind_in(spec.name, parent.name) or spec
            if spec.name not in parent.children:
                where = (
                    "at the top level of a file"
                    if spec.top_level
                    else "inside a scenario"
                    if spec.name in KINDS["scenario"].children
                    else "elsewhere"
                )
                self.diags.error(
                    "E018",
                    f"a {spec.name} cannot be declared inside a {parent.name}",
                    decl.head,
                    hint=f"declare `{decl.title}` {where}",
                )
                return None
        return spec

    def _twice(self, sym: Symbol, prior: Symbol, what: str, why: str = "") -> None:
        hint = "rename one of them" + (f": {why}" if why else "")
        self.diags.error("E012", f"{what} is declared twice", sym.span, hint=hint,
                         labels=[Label(prior.span, "first declared here")])  # fmt: skip

    def _declare(self, table: dict[str, Symbol], sym: Symbol) -> None:
        prior = table.get(sym.name)
        if prior is not None:
            self._twice(sym, prior, f"'{sym.name}'")
            return
        table[sym.name] = sym
        self.symbols.append(sym)

    def _link_imports(self, scope: ModuleScope) -> None:
        for imp, target in scope.module.imports:
            if target is None:
                continue
            exports = self.scopes[target].local
            if imp.alias is not None:
                prior_alias = scope.aliases.get(imp.alias.name)
                if prior_alias is not None and prior_alias[0] is not exports:
                    self.diags.error(
                        "E023",
                        f"'{imp.alias.name}' names two modules",
                        imp.alias.span,
                        hint="give each import its own alias",
                        labels=[Label(prior_alias[1].alias.span, "also the alias of this import")]
                        if prior_alias[1].alias is not None else [],
                    )  # fmt: skip
                    continue
                scope.aliases[imp.alias.name] = (exports, imp)
                continue
            for name, sym in exports.items():
                if name in scope.local and scope.local[name].kind == sym.kind:
                    continue  # a local declaration shadows an imported one of its kind
                prior = scope.imported.get(name)
                if prior is not None and prior[0] is not sym:
                    self.diags.error(
                        "E023",
                        f"'{name}' is imported from two modules",
                        imp.target_span,
                        hint=f"import one of them with an alias: import {imp.target} as NAME",
                        labels=[Label(prior[1].target_span, "also imported here")],
                    )
                    continue
                scope.imported[name] = (sym, imp)

    def _scenario_scope(self, decl: ast.Decl) -> dict[str, Symbol]:
        table: dict[str, Symbol] = {}
        for child in decl.children:
            if child.name is None:
                continue
            spec = KINDS.get(child.kind.name)
            if spec is None or spec.top_level:
                continue
            self._declare(table, Symbol(spec.name, child.name.name, decl.span.file, child))
        return table

    # ---- pass 2: entities -----------------------------------------------------------
    def _resolver(self, scope: ModuleScope, local: dict[str, Symbol] | None):
        default = scope

        def resolve(ref: ast.Ref, kinds: Sequence[str], quiet: bool = False) -> Symbol | None:
            # a name resolves where it is written: a member a scenario inherits from another
            # module reads that module's imports and declarations
            scope = self.scopes.get(ref.span.file, default)
            sym: Symbol | None = None
            imp: ast.Import | None = None
            if len(ref.parts) == 1:
                name = ref.parts[0]
                sym = (local or {}).get(name) or scope.local.get(name)
                if sym is None and name in scope.imported:
                    sym, imp = scope.imported[name]
            elif len(ref.parts) == 2 and ref.parts[0] in scope.aliases:
                table, imp = scope.aliases[ref.parts[0]]
                sym = table.get(ref.parts[1])
            if quiet and (sym is None or sym.kind not in kinds):
                # a lookup by kind: a scenario named like the family it uses is no family
                found = [(local or {}).get(ref.dotted), scope.local.get(ref.dotted),
                         scope.imported.get(ref.dotted, (None, None))[0]]  # fmt: skip
                sym = next((s for s in found if s is not None and s.kind in kinds), None)
                if sym is None:
                    return None
                imp = scope.imported.get(ref.dotted, (None, None))[1] if sym is found[2] else None
            if sym is None:
                visible = self._visible(scope, local, kinds)
                what = " or ".join(kinds)
                self.diags.error(
                    "E013",
                    f"unknown {what} '{ref.dotted}'",
                    ref.span,
                    hint=(import_hint(ref.parts[0], kinds) if len(ref.parts) == 1 else None)
                    or did_you_mean(ref.dotted, visible)
                    or (
                        f"declared {what}s: {', '.join(sorted(visible)[:12])}"
                        if visible
                        else f"no {what} is declared or imported here"
                    ),
                )
                return None
            if sym.kind not in kinds:
                code = "E031" if set(kinds) == {"user", "role"} else "E014"
                self.diags.error(
                    code,
                    f"'{ref.dotted}' is a {sym.kind}, not a {' or '.join(kinds)}",
                    ref.span,
                    labels=[Label(sym.span, f"{sym.kind} {sym.name} is declared here")],
                )
                return None
            sym.used = True
            self.references.append((ref.span, sym))
            if imp is not None:
                scope.used_imports.add(id(imp))
            return sym

        return resolve

    def _visible(
        self, scope: ModuleScope, local: dict[str, Symbol] | None, kinds: Sequence[str]
    ) -> list[str]:
        names = [n for n, s in (local or {}).items() if s.kind in kinds]
        names += [n for n, s in scope.local.items() if s.kind in kinds]
        names += [n for n, (s, _) in scope.imported.items() if s.kind in kinds]
        for alias, (table, _) in scope.aliases.items():
            names += [f"{alias}.{n}" for n, s in table.items() if s.kind in kinds]
        return names

    def _build(
        self, decl: ast.Decl, spec: KindSpec, scope: ModuleScope, local: dict[str, Symbol] | None
    ) -> Entity | None:
        ctx = Ctx(self.diags, self._resolver(scope, local))
        if decl.parent is not None and spec.name not in ("scenario", "family"):
            self.diags.error(
                "E025",
                f"a {spec.name} cannot extend another; only a scenario or a family can",
                decl.parent.span,
                hint=f"write the {spec.name} out, or make its scenario extend the scenario "
                "that declares it",
            )
        values: dict[str, object] = {}
        spans = {}
        inner: dict[str, Span] = {}  # parts of list and object values, by path
        seen: dict[str, ast.Field] = {}
        for f in decl.fields:
            key = f.key.name
            fs = spec.fields.get(key)
            if fs is None:
                self.diags.error(
                    "E011",
                    f"unknown field '{key}' in {spec.name}",
                    f.key.span,
                    hint=None
                    if self.diags.full(f.key.span)
                    else did_you_mean(key, spec.fields)
                    or f"a {spec.name} takes: {', '.join(spec.fields)}",
                )
                continue
            if key in seen:
                self.diags.error(
                    "E019",
                    f"field '{key}' is given twice",
                    f.key.span,
                    labels=[Label(seen[key].key.span, "first given here")],
                )
                continue
            seen[key] = f
            spans[key] = f.value.span
            inner.update(_inner_spans(key, f.value))
            value = fs.type.check(f.value, ctx)
            if value is not INVALID:
                values[key] = value
        for key, fs in spec.fields.items():
            if (
                fs.required
                and key not in seen
                and not self.diags.errors_within(decl.span)
                and id(decl) not in self._cyclic  # E025 said why; its parent's are unknown
            ):
                self.diags.error(
                    "E015",
                    f"{decl.title} is missing the field '{key}'",
                    decl.head,
                    hint=f"add `{key}: ...` ({fs.type.describe})",
                )
        name = decl.name.name if decl.name else None
        entity = spec.model(
            name=name,
            span=decl.span,
            head=decl.head,
            module=decl.span.file,
            field_spans=spans,
            inner_spans=inner,
            name_span=decl.name.span if decl.name else None,
            **values,
        )
        if decl.label is not None and getattr(entity, "title", "") is None:
            entity.title = decl.label.value  # `scenario s "Title" {` names the title
        if spec.children or decl.children:
            self._build_children(decl, spec, entity, scope, local)
        return entity

    def _build_children(
        self,
        decl: ast.Decl,
        spec: KindSpec,
        entity: Entity,
        scope: ModuleScope,
        local: dict[str, Symbol] | None,
    ) -> None:
        singles: dict[str, ast.Decl] = {}
        for child in decl.children:
            cspec = self._kind(child, top_level=False, parent=spec)
            if cspec is None:
                continue
            if cspec.named and child.name is None:
                self.diags.error(
                    "E015",
                    f"a {cspec.name} needs a name",
                    child.head,
                    hint=f"write `{cspec.name} NAME {{ ... }}`",
                )
                continue
            if not cspec.named and child.name is not None:
                self.diags.error(
                    "E014",
                    f"a {cspec.name} block takes no name",
                    child.name.span,
                    hint=f"write `{cspec.name} {{ ... }}`",
                )
            attr, many = CHILD_SLOTS.get(f"{spec.name}.{cspec.name}") or CHILD_SLOTS[cspec.name]
            if not many:
                if cspec.name in singles:
                    self.diags.error(
                        "E019",
                        f"only one {cspec.name} block is allowed here",
                        child.head,
                        labels=[Label(singles[cspec.name].head, "the first one")],
                    )
                    continue
                singles[cspec.name] = child
            built = self._build(child, cspec, scope, local)
            if built is None:
                continue
            if local is not None and child.name is not None:
                sym = local.get(child.name.name)
                if sym is not None and sym.decl is child:
                    sym.entity = built
            if many:
                getattr(entity, attr).append(built)
            else:
                setattr(entity, attr, built)

    # ---- pass 4: unused ---------------------------------------------------------------
    def _unused(self) -> None:
        main = self.scopes[self.program.main]
        if main.module.is_std:
            return
        if self._has_scenario(main):
            for sym in main.local.values():
                if sym.kind != "scenario" and not sym.used:
                    self.diags.warning(
                        "W001",
                        f"{sym.kind} '{sym.name}' is declared but never used",
                        sym.span,
                        hint="delete it, or refer to it from a scenario",
                    )
        for imp, target in main.module.imports:
            if target is not None and id(imp) not in main.used_imports:
                self._warn_unused_import(imp)

    @staticmethod
    def _has_scenario(scope: ModuleScope) -> bool:
        return any(s.kind == "scenario" for s in scope.local.values())

    def _warn_unused_import(self, imp: ast.Import) -> None:
        self.diags.warning(
            "W002",
            f"'{imp.target}' is imported but nothing from it is used",
            imp.span,
            hint="delete the import",
        )
