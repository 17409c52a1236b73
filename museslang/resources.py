"""Where the grammar and the standard library live.

In a checkout (and an editable install) they are the top-level `grammars/` and
`stdlib/` folders; a built wheel carries them as `museslang/_data/...`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"museslang installation is missing its '{name}' folder")


@cache
def grammar_path() -> Path:
    return _find("grammars") / "muses.lark"


@cache
def stdlib_root() -> Path:
    return _find("stdlib")
