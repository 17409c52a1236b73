"""Where museslang keeps what it caches on disk, and lark's parse tables there.

Its own module, below everything else: the expression and spec parsers ask for their
tables' file when they are built, and importing the compiled-spec cache for that would
tie the parsers to the compiler that imports them (an import cycle).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENV = "MUSESLANG_CACHE"


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "museslang" / "compiled"


def parser_file(grammar: str) -> str | bool:
    """Where lark keeps a grammar's LALR tables (its `cache=` argument), so a new process
    loads them in 2 ms instead of building them in 30; False when the cache is off. The
    file is named for the grammar's text and lark's version, and lark checks it again."""
    base = folder()
    if base is None:
        return False
    import lark

    digest = hashlib.sha256(grammar.encode()).hexdigest()[:24]
    try:
        (base / "parsers").mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return str(base / "parsers" / f"{digest}-lark{lark.__version__}.pickle")
