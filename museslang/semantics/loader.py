"""Module loading: parse a spec and everything it imports, once each.

`import std.identity` names a file of the standard library
(`stdlib/identity.muses`); `import "./people.muses"` names a file relative to
the importing one. A spec may import only from its own directory tree and the
standard library, so a shared spec cannot read arbitrary files. Cycles are
reported at the import that closes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from museslang.diagnostics import Diagnostics, did_you_mean
from museslang.resources import stdlib_root
from museslang.source import SourceError, SourceFile, decode_source, display_path, read_source
from museslang.syntax import ast
from museslang.syntax.parser import parse_source


@dataclass
class LoadedModule:
    source: SourceFile
    ast: ast.Module
    is_std: bool
    # import statement -> the display name of the module it loaded (None: failed)
    imports: list[tuple[ast.Import, str | None]] = field(default_factory=list)


@dataclass
class Program:
    main: str
    root: Path
    modules: dict[str, LoadedModule] = field(default_factory=dict)
    # files that are not modules but may appear in diagnostics (prompt templates)
    extra_sources: dict[str, SourceFile] = field(default_factory=dict)

    @property
    def sources(self) -> dict[str, SourceFile]:
        return {**self.extra_sources, **{k: m.source for k, m in self.modules.items()}}

    def ir_name(self, display: str) -> str:
        """A name for a file that does not depend on the working directory."""
        mod = self.modules.get(display)
        if mod is None:
            return display
        if mod.is_std:
            return display
        try:
            return mod.source.path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return mod.source.path.name


def std_modules() -> list[str]:
    root = stdlib_root()
    return sorted(
        "std." + ".".join(p.relative_to(root).with_suffix("").parts) for p in root.rglob("*.muses")
    )


MAX_IMPORT_NAME = 240  # characters of an import path or module name


def load_program(path: Path, diags: Diagnostics, text: str | None = None) -> Program:
    path = Path(path)
    std = stdlib_root().resolve()
    root = path.resolve().parent
    program = Program(main="", root=root)
    if text is None:
        text = decode_source(path.read_bytes())
    text = text.removeprefix("\ufeff")  # an editor's byte-order mark is no character
    main_src = SourceFile(path, display_path(path, std), text)
    program.main = main_src.display
    _load_all(program, main_src, diags, std)
    return program


def _load_all(program: Program, main: SourceFile, diags: Diagnostics, std: Path) -> None:
    """Parse the spec and every module it imports, depth first and once each.

    Iterative, with the chain of importers carried along for cycle detection: a chain
    of 1,000 imports is a long list here, not 1,000 Python frames."""
    work: list[tuple[SourceFile, tuple[str, ...]]] = [(main, ())]
    while work:
        src, stack = work.pop()
        if src.display in program.modules:
            continue  # imported twice before it was loaded: once is enough
        module = parse_source(src, diags)
        loaded = LoadedModule(src, module, src.display.startswith("<std>/"))
        program.modules[src.display] = loaded
        stack = (*stack, src.display)
        children: list[tuple[SourceFile, tuple[str, ...]]] = []
        pending: set[str] = set()
        for imp in module.imports:
            target = _resolve_import(program, src, imp, diags, std)
            if target is None:
                loaded.imports.append((imp, None))
                continue
            display = display_path(target, std)
            if display in stack:
                chain = " -> ".join([*stack[stack.index(display) :], display])
                diags.error(
                    "E021",
                    f"import cycle: {chain}",
                    imp.target_span,
                    hint="move the shared declarations into a module both files import",
                )
                loaded.imports.append((imp, None))
                continue
            loaded.imports.append((imp, display))
            if display in program.modules or display in pending:
                continue
            try:
                text = read_source(target)
            except SourceError as exc:
                diags.error("E020", f"cannot read module '{imp.target}': {exc}", imp.target_span)
                loaded.imports[-1] = (imp, None)
                continue
            children.append((SourceFile(target, display, text), stack))
            pending.add(display)
        work.extend(reversed(children))


def _resolve_import(
    program: Program, src: SourceFile, imp: ast.Import, diags: Diagnostics, std: Path
) -> Path | None:
    if len(imp.target) > MAX_IMPORT_NAME:
        diags.error(
            "E020",
            f"import name of {len(imp.target)} characters (at most {MAX_IMPORT_NAME})",
            imp.target_span,
            hint="shorten the path",
        )
        return None
    if "\0" in imp.target or not imp.target.strip():
        diags.error(
            "E020",
            "an import path cannot be empty or contain a NUL character",
            imp.target_span,
            hint='write the path of a .muses file: import "./people.muses"',
        )
        return None
    try:
        return _resolve_checked(program, src, imp, diags, std)
    except (OSError, ValueError, RuntimeError) as exc:  # symlink loops, odd names
        reason = getattr(exc, "strerror", None) or str(exc)
        diags.error("E020", f"cannot use import '{imp.target}': {reason}", imp.target_span)
        return None


def _resolve_checked(
    program: Program, src: SourceFile, imp: ast.Import, diags: Diagnostics, std: Path
) -> Path | None:
    if not imp.is_path:
        parts = imp.target.split(".")
        if parts[0] != "std" or len(parts) < 2:
            diags.error(
                "E020",
                f"module '{imp.target}' not found",
                imp.target_span,
                hint="standard modules are written std.NAME (e.g. std.identity); "
                'files are imported by path: import "./people.muses"',
            )
            return None
        candidate = std.joinpath(*parts[1:]).with_suffix(".muses")
        if not candidate.is_file():
            diags.error(
                "E020",
                f"module '{imp.target}' not found in the standard library",
                imp.target_span,
                hint=did_you_mean(imp.target, std_modules())
                or "available: " + ", ".join(std_modules()),
            )
            return None
        return candidate
    base = src.path.resolve().parent
    candidate = (base / imp.target).resolve()
    if not candidate.suffix and candidate.name:
        candidate = candidate.with_suffix(".muses")
    if candidate.suffix != ".muses" or not candidate.name:
        diags.error(
            "E020",
            f"'{imp.target}' is not a .muses file",
            imp.target_span,
            hint="only museslang modules can be imported; prompt templates are named by "
            "`prompt:` in a protocol",
        )
        return None
    inside = _is_within(candidate, program.root) or _is_within(candidate, std)
    if not inside:
        diags.error(
            "E022",
            f"'{imp.target}' is outside the spec's directory tree",
            imp.target_span,
            hint=f"a spec may import files under {display_path(program.root)} and the "
            "standard library only",
        )
        return None
    if not candidate.is_file():
        diags.error(
            "E020",
            f"module '{imp.target}' not found",
            imp.target_span,
            hint=f"no file at {display_path(candidate)}",
        )
        return None
    return candidate


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
