"""Field-by-field comparison of official records: what a round trip must preserve.

Key order and whitespace between tokens never matter (records are compared as
parsed JSON). `authorized_users` and `proactive_users` are sets: the official
generator lists them in draw order, museslang in user order.
"""

from __future__ import annotations

from typing import Any

SETS = frozenset({"authorized_users", "proactive_users"})


def differences(original: Any, exported: Any, path: str = "") -> list[str]:
    """Every place where the two differ, as `path: original != exported`."""
    if isinstance(original, dict) and isinstance(exported, dict):
        out = []
        for key in original.keys() | exported.keys():
            where = f"{path}.{key}" if path else key
            if key not in exported:
                out.append(f"{where}: missing from the export")
            elif key not in original:
                out.append(f"{where}: not in the original")
            elif key in SETS and isinstance(original[key], list):
                if sorted(map(str, original[key])) != sorted(map(str, exported[key])):
                    out.append(f"{where}: {original[key]!r} != {exported[key]!r}")
            else:
                out += differences(original[key], exported[key], where)
        return sorted(out)
    if isinstance(original, list) and isinstance(exported, list):
        if len(original) != len(exported):
            return [f"{path}: {len(original)} items != {len(exported)} items"]
        out = []
        for i, (a, b) in enumerate(zip(original, exported, strict=True)):
            out += differences(a, b, f"{path}[{i}]")
        return out
    if original != exported or type(original) is not type(exported):
        return [f"{path}: {_short(original)} != {_short(exported)}"]
    return []


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
