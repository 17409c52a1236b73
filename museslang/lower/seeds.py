"""Seeds derived by hashing, never by `hash()` (salted per process) or global state."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def derive_seed(*parts: object) -> int:
    """A 63-bit seed that depends only on `parts` (their text), stable across machines."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def pick(options: Sequence[str], *key: object) -> str:
    """One of `options`, chosen by a hash of `key`: varied wording, same every run."""
    digest = hashlib.sha256("\x1f".join(map(str, key)).encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def draw(items: Sequence[T], n: int | None, seed: int, key=lambda x: x) -> list[T]:
    """`n` of `items` drawn by a seeded hash of `key(item)` (all when n is None), kept in
    their order: a sample across a sweep, not its first cells."""
    if n is None or n >= len(items):
        return list(items)
    ranked = sorted(items, key=lambda x: derive_seed(seed, "generate", key(x)))[:n]
    keep = {id(x) for x in ranked}
    return [x for x in items if id(x) in keep]
