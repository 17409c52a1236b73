"""Compiled specs, cached by what they were compiled from.

`eval`, `generate`, `export` and `graph` of a spec compile it first; for an imported
benchmark of a few megabytes that was most of a short run. A successful compile is kept
in a cache folder with a manifest of every file it read (the spec, each imported module,
each prompt template) and their sha256. A later compile of the same file with the same
seed reads the manifest, hashes those files again and, only when every hash matches and
museslang itself is the same build, loads the compiled JSON instead of parsing. Anything
else (an edited module, a moved template, another museslang, a plug-in installed) is a
miss and compiles afresh. The warnings the compile printed are kept and printed again.

Nothing in the folder is trusted for what it says it is (`cache_folder`: it may be shared
storage): an entry is signed by this user's museslang, and a hit also checks that it was
made for this spec (the spec's path, and its modules as they are now giving the recorded
`spec_sha256`), that every file the compile looked for and did not find is still absent
(a template added where the search would now find it first), and that the compiled JSON
carries that spec and hash. Anything else is a miss.

`MUSESLANG_CACHE` names the folder (`cache_folder.folder`); `MUSESLANG_CACHE=off` turns
the cache off.
"""

from __future__ import annotations

import gc
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museslang import __version__, cache_folder
from museslang.cache_folder import folder
from museslang.source import decode_source, modules_sha256

if TYPE_CHECKING:
    from museslang.ir.models import CompiledSpec

FORMAT = "1"


@cache
def build() -> str:
    """museslang as it is installed here: its version, every source and data file's size
    and modification time, and the installed families (a plug-in changes what compiles)."""
    from museslang import family as families

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


@dataclass
class Hit:
    compiled: CompiledSpec
    diagnostics: str  # the rendered warnings of the compile that was cached ("" if none)


@dataclass
class Made:
    """What a compile was made from, as an entry records it."""

    inputs: list[Path]  # every file it read
    modules: list[tuple[str, Path]]  # each module's stable name and file, the spec first
    absent: list[Path]  # files it looked for and did not find (a template search)


def made_from(result: Any) -> Made:
    """The record of a `CompileResult` (compiler.py) an entry is kept for."""
    return Made(result.inputs, result.modules, result.absent)


def _signed(path: Path, key: str) -> bytes | None:
    """The bytes of an entry file whose first line is this user's signature of the rest."""
    where = folder()
    try:
        signature, _, data = path.read_bytes().partition(b"\n")
        if where is None or not cache_folder.verify(where, key, data, signature.decode()):
            return None
    except (OSError, UnicodeDecodeError):
        return None
    return data


def _verified(key: str, spec: Path) -> dict | None:
    """An entry's manifest, when this user's museslang wrote it for `spec` and everything
    it was made from is as it was: every file it read has its recorded hash, every file it
    looked for is still absent, and the spec's modules as they are now give the spec hash
    it recorded. Any doubt is a miss: an entry is never trusted for what it says it is."""
    where = folder()
    if where is None:
        return None
    data = _signed(where / f"{key}.manifest.json", f"{key}.manifest")
    try:
        manifest = json.loads(data) if data is not None else None
        if not isinstance(manifest, dict):
            return None
        read = {p: _read(Path(p)) for p, _ in manifest["inputs"]}
        if any(read[p] is None or hashlib.sha256(read[p]).hexdigest() != sha
               for p, sha in manifest["inputs"]):  # fmt: skip
            return None
        if any(Path(p).is_file() for p in manifest["absent"]):
            return None  # a template that would now be found first
        modules = manifest["modules"]
        if not modules or modules[0][1] != str(spec.resolve()):
            return None  # an entry of another spec, filed under this one's key
        texts = [(name, decode_source(read[path])) for name, path in modules]
        if modules_sha256(texts) != manifest["spec_sha256"]:
            return None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return manifest


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def load(spec: Path, seed: int | None) -> Hit | None:
    """The cached compile of `spec`, if every file it was compiled from is unchanged."""
    key = _key(spec, seed)
    manifest = _verified(key, spec)
    where = folder()
    if manifest is None or where is None:
        return None
    try:
        data = (where / f"{key}.json").read_bytes()
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
    if (compiled.spec, compiled.spec_sha256) != (manifest.get("spec"), manifest["spec_sha256"]):
        return None
    if seed is not None and compiled.seed != seed:
        return None
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
    if folder() is None:
        return None
    manifest = _verified(_key(spec, f"check:{gate}"), spec)
    if manifest is None:
        return None
    warnings, line = manifest.get("warnings"), manifest.get("ok")
    return (warnings, line) if isinstance(warnings, str) and isinstance(line, str) else None


def store_check(spec: Path, gate: object, made: Made, spec_sha256: str, warnings: str,
                line: str) -> None:  # fmt: skip
    """Keep a clean check's output (see `passed_check`)."""
    fields = {"warnings": warnings, "ok": line, "spec_sha256": spec_sha256}
    _keep(_key(spec, f"check:{gate}"), made, fields)


def store(spec: Path, seed: int | None, compiled: CompiledSpec, made: Made,
          diagnostics: str) -> None:  # fmt: skip
    """Keep a successful compile (see `load`)."""
    if folder() is None:
        return  # the cache is off: do not serialise for nothing
    data = compiled.model_dump_json().encode()  # compact: 40% fewer bytes to read back
    fields = {
        "compiled": hashlib.sha256(data).hexdigest(),
        "diagnostics": diagnostics,
        "spec": compiled.spec,
        "spec_sha256": compiled.spec_sha256,
    }
    _keep(_key(spec, seed), made, fields, data)


def _keep(key: str, made: Made, fields: dict[str, str], data: bytes | None = None) -> None:
    """Write an entry: its data, then the signed manifest of what it was made from. A
    cache that cannot be written, an input that cannot be read, or no usable key is
    skipped silently (the cache only ever saves time)."""
    where = folder()
    if where is None or not made.inputs or not made.modules:
        return
    digests = [(str(p.resolve()), _digest(p)) for p in dict.fromkeys(made.inputs)]
    if any(sha is None for _, sha in digests):
        return
    manifest = {
        "inputs": digests,
        "absent": sorted({str(p) for p in made.absent}),
        "modules": [(name, str(path.resolve())) for name, path in made.modules],
        **fields,
    }
    text = json.dumps(manifest).encode()
    signature = cache_folder.sign(where, f"{key}.manifest", text)
    if signature is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        if data is not None:
            cache_folder.write(where / f"{key}.json", data)
        cache_folder.write(where / f"{key}.manifest.json", signature.encode() + b"\n" + text)
    except OSError:
        return


def _digest(path: Path) -> str | None:
    data = _read(path)
    return hashlib.sha256(data).hexdigest() if data is not None else None
