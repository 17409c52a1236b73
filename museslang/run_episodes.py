"""The compiled episodes a finished run ran, found again from its `run.json`.

`show`, `report` and `export inspect` read a run's ground truth from its spec compiled
again (byte-identical for the same source and seed; the compiled-spec cache usually
answers); the spec hash in `run.json` proves it is the spec that ran. A spec that moved,
changed or no longer compiles is not an error here: the caller shows the run without its
ground truth and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from museslang.ir.models import CompiledSpec, EpisodeGraph


@dataclass
class Compiled:
    compiled: CompiledSpec | None  # None: the spec has errors
    shown: str  # its diagnostics, rendered ("" when clean)
    cached: bool = False  # answered by the compiled-spec cache


def compile_spec(file: Path, seed: int | None) -> Compiled:
    """A .muses spec compiled (or loaded from the cache, and the fresh compile kept
    there); its diagnostics rendered, never printed."""
    from museslang import compile_cache

    hit = compile_cache.load(file, seed)
    if hit is not None:  # every file it was compiled from is unchanged: no parse
        return Compiled(hit.compiled, hit.diagnostics, cached=True)
    from museslang.compiler import compile_path  # the compiler, only when it compiles
    from museslang.diagnostics import render_all

    result = compile_path(file, seed)
    items = result.diagnostics.items
    shown = render_all(result.diagnostics.sorted(), result.sources) if items else ""
    if not result.ok or result.compiled is None:
        return Compiled(None, shown)
    compile_cache.store(file, seed, result.compiled, compile_cache.made_from(result), shown)
    return Compiled(result.compiled, shown)


def compiled_file(file: Path) -> CompiledSpec:
    """An already compiled .json file, with the families written in museslang it carries
    installed. Raises ValueError (pydantic's ValidationError, InstallError) when it is not
    one."""
    from museslang.authored.install import install_all
    from museslang.source import MAX_COMPILED_BYTES, SourceError, read_bounded

    try:
        data = read_bounded(file, MAX_COMPILED_BYTES, "a compiled file")
    except SourceError as exc:
        raise ValueError(f"cannot read {file}: {exc}") from None
    compiled = CompiledSpec.model_validate_json(data)
    install_all(compiled)
    return compiled


def episodes_of(meta: dict, spec: Path | None = None) -> tuple[dict[str, EpisodeGraph], str]:
    """The run's episodes by id, or {} and why they cannot be had."""
    path = spec or Path(str(meta.get("spec") or ""))
    if not str(path) or not path.is_file():
        return {}, f"the run's spec {path} is not there"
    try:
        if path.suffix == ".json":
            compiled: CompiledSpec | None = compiled_file(path)
        else:
            compiled = compile_spec(path, int(meta.get("seed", 0))).compiled
    except (OSError, ValueError) as exc:
        return {}, f"the run's spec {path} cannot be read ({type(exc).__name__})"
    if compiled is None:
        return {}, f"the run's spec {path} has errors now (museslang check {path})"
    if compiled.spec_sha256 != meta.get("spec_sha256"):
        return {}, f"the run's spec {path} changed since the run"
    return {e.id: e for e in compiled.episodes}, ""
