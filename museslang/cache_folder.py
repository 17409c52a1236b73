"""The cache folder: where it is, and the key that signs what museslang keeps there.

`MUSESLANG_CACHE` names the folder (default: `$XDG_CACHE_HOME/museslang/compiled`, else
`~/.cache/museslang/compiled`); `MUSESLANG_CACHE=off` turns the cache off. It holds
compiled specs and kept checks (`compile_cache`) and grammar tables (`parser_tables`).

The folder may be shared storage (docs/scale.md), where anyone who can
write there could plant a file or move one entry under another's name. So every entry
museslang keeps there is signed (HMAC-SHA256, over the entry's name and its bytes) with
a key kept in the folder that only its owner can read: `key.UID`, 32 random bytes, mode
0600, a plain file owned by this user. A key someone else owns, that others may read,
or that is a link is never used: the cache then reads and writes nothing. An entry whose
signature does not verify (planted, edited, renamed, torn) is a miss. Nothing read from
the folder is ever executed: entries are JSON, checked against their models.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from functools import cache
from pathlib import Path

KEY_BYTES = 32
ENV = "MUSESLANG_CACHE"


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "museslang" / "compiled"


def sign(folder: Path, name: str, data: bytes) -> str | None:
    """The signature of entry `name` holding `data`; None when no usable key exists."""
    key = _key(str(folder))
    if key is None:
        return None
    return hmac.new(key, name.encode() + b"\0" + data, hashlib.sha256).hexdigest()


def verify(folder: Path, name: str, data: bytes, signature: object) -> bool:
    """Whether `signature` is this user's signature of entry `name` holding `data`."""
    if not isinstance(signature, str):
        return False
    expected = sign(folder, name, data)
    return expected is not None and hmac.compare_digest(expected, signature)


def _uid() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else "user"


@cache
def _key(folder: str) -> bytes | None:
    """This user's key for `folder`, made on first use; None when it cannot be trusted."""
    path = Path(folder) / f"key.{_uid()}"
    key = _read(path)
    if key is not None:
        return key
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o600)  # fmt: skip
        try:
            os.write(fd, os.urandom(KEY_BYTES))
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and never over a key another process made first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        return None
    return _read(path)


def _read(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != KEY_BYTES:
            return None
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
            return None  # someone else's, or readable by others: not a secret
        return os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def write(path: Path, data: bytes) -> None:
    """Write an entry via a temporary file and a rename: a reader never sees half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
