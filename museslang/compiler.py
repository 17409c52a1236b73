"""The pipeline in one call: parse -> check -> expand -> lower.

`compile_path` never raises on bad input: everything wrong with the spec is
in `result.diagnostics`, and `result.compiled` is None when there were errors.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from museslang.diagnostics import Diagnostics
from museslang.ir import models as ir
from museslang.lower import redraws, targets
from museslang.lower.episodes import LowerContext, LoweringError, lower_episode
from museslang.lower.expand import Planned, plan
from museslang.prompts import search_template
from museslang.semantics.check import CheckedProgram, check_file
from museslang.semantics.model import ScenarioDef
from museslang.source import SourceFile, Span, modules_sha256


@dataclass
class CompileResult:
    diagnostics: Diagnostics
    sources: dict[str, SourceFile]
    compiled: ir.CompiledSpec | None = None
    checked: CheckedProgram | None = None
    timings: dict[str, float] = field(default_factory=dict)
    inputs: list[Path] = field(default_factory=list)  # every file the compile read
    # each module's stable name and path, the main one first (spec_sha256 is made of them)
    modules: list[tuple[str, Path]] = field(default_factory=list)
    absent: list[Path] = field(default_factory=list)  # files it looked for and did not find

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors


def check_path(path: Path) -> CompileResult:
    diags = Diagnostics()
    t0 = time.perf_counter()
    checked = check_file(Path(path), diags)
    result = CompileResult(diags, checked.program.sources, checked=checked)
    result.timings["check"] = time.perf_counter() - t0
    return result


@contextmanager
def collector_paused() -> Iterator[None]:
    """Compiling allocates millions of small objects that all live until it returns; the
    cyclic collector rescanning them again and again made a 10,000-user spec ~30% slower
    and compile time superlinear. Nothing compiled is cyclic garbage, so it waits."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def compile_path(path: Path, seed: int | None = None, strict: bool = False) -> CompileResult:
    """`strict`: an episode drawn again is an error, not a count (`check --strict`)."""
    with collector_paused():
        return _compile(path, seed, strict)


def _compile(path: Path, seed: int | None, strict: bool = False) -> CompileResult:
    result = check_path(path)
    if not result.ok or result.checked is None:
        return result
    t0 = time.perf_counter()
    checked = result.checked
    _install(checked)
    program = checked.program

    def source_of(span: Span) -> ir.Source:
        return ir.Source(file=program.ir_name(span.file), line=span.line, column=span.column)

    lc = LowerContext(program.root, source_of)
    lc.identities = [
        ir.IdentityTemplate(name=sym.name, wrap=sym.entity.wrap, describe=sym.entity.describe)
        for sym in checked.symbols
        if sym.kind == "template" and sym.entity is not None
    ]
    episodes: list[ir.EpisodeGraph] = []
    seen: set[str] = set()
    for scenario in checked.scenarios:
        groups = _lowered(scenario, seed, lc, result.diagnostics)
        if groups is None:
            continue
        for episode in (e for g in groups for e in g.episodes):
            if episode.id in seen:
                result.diagnostics.error(
                    "E043", f"episode {episode.id}: episode id '{episode.id}' is used twice",
                    scenario.at("id"),
                )  # fmt: skip
                break
            seen.add(episode.id)
            episodes.append(episode)
    result.sources.update(lc.sources)
    populations = {sc.name or "scenario": sc.population.head
                   for sc in checked.scenarios if sc.population is not None}  # fmt: skip
    redraws.diagnose(lc.redraws.values(), populations, result.diagnostics, strict)
    result.timings["lower"] = time.perf_counter() - t0
    result.inputs = [m.source.path for m in program.modules.values()]
    result.modules = [(program.ir_name(k), m.source.path) for k, m in program.modules.items()]
    for name in lc.templates:
        found, looked = search_template(name, lc.spec_dir)
        result.inputs += [found] if found is not None else []
        result.absent += looked
    if result.diagnostics.has_errors:
        return result
    base_seed = seed
    if base_seed is None:
        seeds = [s.sweep.seed for s in checked.scenarios if s.sweep is not None]
        base_seed = seeds[0] if seeds else 0
    authored = {sc.authored.name: sc.authored for sc in checked.scenarios if sc.authored}
    result.compiled = ir.CompiledSpec(
        spec=program.ir_name(program.main),
        spec_sha256=spec_hash(program),
        seed=base_seed,
        families=list(authored.values()),
        episodes=episodes,
    )
    return result


def _lowered(
    scenario: ScenarioDef, seed: int | None, lc: LowerContext, diags: Diagnostics
) -> list[targets.Group] | None:
    """The scenario's episodes, each original with its variants, its sweep's distribution
    targets met; None (and a diagnostic) when one cannot be lowered."""
    groups: list[targets.Group] = []
    for planned in plan(scenario, seed):
        try:
            episode = lower_episode(scenario, planned, lc)
        except LoweringError as exc:
            diags.error(exc.code, f"episode {planned.episode_id}: {exc}", exc.span,
                        labels=exc.labels)  # fmt: skip
            return None
        if planned.base is None:
            groups.append(targets.Group([planned], [episode]))
        else:
            groups[-1].planned.append(planned)
            groups[-1].episodes.append(episode)

    def redraw(planned: list[Planned]) -> list[ir.EpisodeGraph]:
        # the oracle's redraws of a draw tried for a target are its own: the counts the
        # redraw warnings read stay those of the sweep's planned draws
        kept, lc.redraws = lc.redraws, {}
        try:
            return [lower_episode(scenario, p, lc) for p in planned]
        finally:
            lc.redraws = kept

    try:
        return targets.meet(scenario, groups, redraw)
    except LoweringError as exc:
        diags.error(exc.code, f"scenario {scenario.name}: a draw tried for a target: {exc}",
                    exc.span, labels=exc.labels)  # fmt: skip
    except targets.TargetError as exc:
        t = exc.target
        diags.error(exc.code, str(exc), t.at("share"),
                    hint="widen the share, draw more samples, or widen the population's "
                    "draws so that more episodes can hold it (or fewer)")  # fmt: skip
    return None


def _install(checked) -> None:
    """The families written in the spec, installed now that it checked: lowering and
    everything after it find them in the registries (the check only bound them)."""
    from museslang.authored.install import install

    for fam in {sc.authored.name: sc.authored for sc in checked.scenarios if sc.authored}.values():
        install(fam)


def spec_hash(program) -> str:
    """Hash of the spec and its modules' text, keyed by their stable names."""
    return modules_sha256([(program.ir_name(k), m.source.text) for k, m in program.modules.items()])


def to_json(compiled: ir.CompiledSpec) -> str:
    return compiled.model_dump_json(indent=2) + "\n"
