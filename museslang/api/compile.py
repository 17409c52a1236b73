"""Compiling a spec, or loading an already compiled file, for the API and the commands
that run one (`eval`, `rescore`): the same file checks and messages as the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from museslang.api.errors import MuseslangError, OptionError, SpecError
from museslang.ir.models import CompiledSpec, EpisodeGraph


@dataclass
class Compiled:
    """A compiled spec: its episodes, its warnings rendered ("" when clean), and whether the
    compiled-spec cache answered."""

    spec: CompiledSpec
    warnings: str = ""
    cached: bool = False
    source: Path | None = None

    @property
    def episodes(self) -> list[EpisodeGraph]:
        return self.spec.episodes

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def families(self) -> list:
        """The families written in museslang it carries."""
        return list(self.spec.families)

    def to_json(self) -> str:
        from museslang.compiler import to_json

        return to_json(self.spec)


def spec_file(path: Path) -> Path:
    """A spec or compiled file that can be read, or one message why not."""
    from museslang.source import MAX_COMPILED_BYTES, SourceError, read_bounded, read_source

    try:
        exists, folder = path.exists(), path.is_dir()
    except (OSError, ValueError) as exc:
        raise MuseslangError(f"cannot use {path!s:.200}: {exc}") from None
    if not exists:
        raise MuseslangError(f"no such file: {path}")
    if folder:
        raise MuseslangError(f"{path} is a directory; give a .muses file")
    try:
        if path.suffix == ".json":
            read_bounded(path, MAX_COMPILED_BYTES, "a compiled file")
        else:
            read_source(path)
    except SourceError as exc:
        raise MuseslangError(f"cannot read {path}: {exc}") from None
    return path


def compile(spec: str | Path, *, seed: int | None = None, cache: bool = True) -> Compiled:
    """Compile a .muses spec (the compiled-spec cache answers an unchanged one unless
    `cache` is False). Raises `SpecError` with the rendered diagnostics when it has errors."""
    from museslang.run_episodes import compile_spec

    file = spec_file(Path(spec))
    if seed is not None and seed < 0:
        raise OptionError("seed", "--seed must be a non-negative integer")
    if cache:
        done = compile_spec(file, seed)
        shown, compiled, cached = done.shown, done.compiled, done.cached
    else:
        from museslang.compiler import compile_path
        from museslang.diagnostics import render_all

        result = compile_path(file, seed)
        items = result.diagnostics.items
        shown = render_all(result.diagnostics.sorted(), result.sources) if items else ""
        compiled = result.compiled if result.ok else None
        cached = False
    if compiled is None:
        raise SpecError(shown, str(file))
    return Compiled(compiled, shown, cached, file)


def load(path: str | Path, *, seed: int | None = None, cache: bool = True) -> Compiled:
    """A .muses spec compiled now, or an already compiled .json file read back (the
    families written in museslang it carries checked and installed)."""
    from pydantic import ValidationError

    file = spec_file(Path(path))
    if file.suffix != ".json":
        return compile(file, seed=seed, cache=cache)
    if seed is not None:
        raise OptionError("seed", "--seed applies to .muses specs; this file is already compiled")
    from museslang.authored.install import InstallError
    from museslang.run_episodes import compiled_file

    try:
        return Compiled(compiled_file(file), source=file)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MuseslangError(
            f"{file} is not compiled museslang output ({where}: {first['msg']})"
        ) from None
    except InstallError as exc:
        raise MuseslangError(f"{file}: {exc}") from None
    except ValueError as exc:  # unreadable (run_episodes.compiled_file says why)
        raise MuseslangError(str(exc)) from None
