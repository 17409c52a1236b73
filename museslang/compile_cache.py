"""Compiled specs, cached by what they were compiled from.

`eval`, `generate`, `export` and `graph` of a spec compile it first; for an imported
benchmark of a few megabytes that was most of a short run. A successful compile is kept
in a cache folder with a manifest of every file it read (the spec, each imported module,
each prompt template) and their sha256. A later compile of the same file with the same
seed reads the manifest, hashes those files again and, only when every hash matches and
museslang itself is the same build, loads the compiled JSON instead of parsing. Anything
else (an edited module, a moved template, another museslang, a plug-in installed) is a
miss and compiles afresh. The warnings the compile printed are kept and printed again.

`MUSESLANG_CACHE` names the folder (default: `$XDG_CACHE_HOME/museslang/compiled`, else
`~/.cache/museslang/compiled`); `MUSESLANG_CACHE=off` turns the cache off.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from museslang import __version__
from museslang.parser_cache import ENV, folder, parser_file  # noqa: F401  (their home)

if TYPE_CHECKING:
    from museslang.ir.models import CompiledSpec

FORMAT = "1"


@cache
def build() -> str:
    """museslang as it is installed here: its version, every source and data file's size
    and modification time, and the installed families (a plug-in changes what compiles)."""
    from museslang import families

    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    package = Path(__file__).resolve().parent
    roots = [package, package.parent / "grammars", package.parent / "stdlib", package / "_data"]
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".lark", ".muses", ".j2") and path.is_file():
                stat = path.stat()
                h.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    found = families.declared()
    for name in families.installed():
        h.update(f"{name}\0{found.get(name).origin}\0".encode())
    return h.hexdigest()


def _key(spec: Path, seed: int | str | None) -> str:
    text = f"{build()}\0{spec.resolve()}\0{seed}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass
class Hit:
    compiled: CompiledSpec
    diagnostics: str  # the rendered warnings of the compile that was cached ("" if none)


def _verified(base: Path) -> dict | None:
    """An entry's manifest, when every file it lists still has its recorded hash."""
    try:
        manifest = json.loads(base.with_suffix(".manifest.json").read_text(encoding="utf-8"))
        if any(_digest(Path(p)) != sha for p, sha in manifest["inputs"]):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest if isinstance(manifest, dict) else None


def load(spec: Path, seed: int | None) -> Hit | None:
    """The cached compile of `spec`, if every file it was compiled from is unchanged."""
    where = folder()
    if where is None:
        return None
    base = where / _key(spec, seed)
    manifest = _verified(base)
    if manifest is None:
        return None
    try:
        data = base.with_suffix(".json").read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != manifest.get("compiled"):
        return None  # a torn or edited entry is never trusted
    from pydantic import ValidationError

    from museslang.ir.models import CompiledSpec

    was = gc.isenabled()
    gc.disable()  # millions of objects that all live on: rescanning them doubled the load
    try:
        compiled = CompiledSpec.model_validate_json(data)
    except ValidationError:
        return None
    finally:
        if was:
            gc.enable()
    if compiled.families:
        from museslang.authored.install import InstallError, install_all

        try:
            install_all(compiled)
        except InstallError:
            return None
    return Hit(compiled, str(manifest.get("diagnostics", "")))


def passed_check(spec: Path, gate: object) -> tuple[str, str] | None:
    """A clean `check` of `spec` (its warnings, its ok line) when nothing it read has
    changed since: a second check of an unchanged spec parses nothing."""
    where = folder()
    manifest = _verified(where / _key(spec, f"check:{gate}")) if where is not None else None
    if manifest is None:
        return None
    warnings, line = manifest.get("warnings"), manifest.get("ok")
    return (warnings, line) if isinstance(warnings, str) and isinstance(line, str) else None


def store_check(spec: Path, gate: object, inputs: list[Path], warnings: str, line: str) -> None:
    """Keep a clean check's output (see `passed_check`)."""
    _keep(_key(spec, f"check:{gate}"), inputs, {"warnings": warnings, "ok": line})


def store(spec: Path, seed: int | None, compiled: CompiledSpec, inputs: list[Path],
          diagnostics: str) -> None:  # fmt: skip
    """Keep a successful compile (see `load`)."""
    if folder() is None:
        return  # the cache is off: do not serialise for nothing
    data = compiled.model_dump_json().encode()  # compact: 40% fewer bytes to read back
    fields = {"compiled": hashlib.sha256(data).hexdigest(), "diagnostics": diagnostics}
    _keep(_key(spec, seed), inputs, fields, data)


def _keep(key: str, inputs: list[Path], fields: dict[str, str], data: bytes | None = None) -> None:
    """Write an entry: its data, then the manifest of the files it was made from. A cache
    that cannot be written, or an input that cannot be read, is skipped silently (the
    cache only ever saves time)."""
    where = folder()
    if where is None or not inputs:
        return
    digests = [(str(p.resolve()), _digest(p)) for p in dict.fromkeys(inputs)]
    if any(sha is None for _, sha in digests):
        return
    base = where / key
    try:
        where.mkdir(parents=True, exist_ok=True)
        if data is not None:
            _write(base.with_suffix(".json"), data)
        manifest = {"inputs": digests, **fields}
        _write(base.with_suffix(".manifest.json"), json.dumps(manifest).encode())
    except OSError:
        return


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
