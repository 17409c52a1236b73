"""Writing museslang source from data: declarations as a small tree, then text.

Importers build `Decl` trees and never format strings themselves, so every
imported file has one layout: two-space indentation, one field per line, long
or multi-line text as text blocks. Every string is written so that the parser
reads back exactly the same characters (a text block only where it can;
otherwise a quoted string with escapes).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from museslang.syntax.literals import string_value, text_block_value

INDENT = "  "
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
BLOCK_AT = 80  # strings longer than this, or with line breaks, become text blocks
_LIST_WIDTH = 88


@dataclass(frozen=True)
class Ref:
    """A name written bare: a declaration (`xml`), an enumeration value (`required`)."""

    name: str


@dataclass(frozen=True)
class Time:
    """A calendar slot, written bare: `Tue 9:30`."""

    text: str


@dataclass(frozen=True)
class Call:
    """`keywords.frequency(keyword: "sea", frequency: 2)`."""

    func: str
    kwargs: tuple[tuple[str, object], ...] = ()


@dataclass
class Decl:
    kind: str
    name: str | None = None
    label: str | None = None
    fields: list[tuple[str, object]] = field(default_factory=list)
    children: list[Decl] = field(default_factory=list)
    comment: str | None = None

    def set(self, key: str, value: object) -> Decl:
        """Add a field unless the value is empty (None, "", [], {})."""
        if value is None or (isinstance(value, str | list | dict | tuple) and not value):
            return self
        self.fields.append((key, value))
        return self

    def add(self, child: Decl) -> Decl:
        self.children.append(child)
        return self


def quote(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) in (0x7F, 0x2028, 0x2029):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    written = '"' + "".join(out) + '"'
    assert string_value(written) == text
    return written


def text_block(text: str, indent: str) -> str | None:
    """`text` as a text block at this indentation, or None when one cannot hold it
    exactly (trailing blanks on a line, a `\"\"\"` inside, a common indentation)."""
    if '"""' in text or "\r" in text:
        return None
    inner = indent + INDENT
    lines = [(inner + line) if line else "" for line in text.split("\n")]
    written = '"""\n' + "\n".join(lines) + "\n" + inner + '"""'
    return written if text_block_value(written) == text else None


def string(text: str, indent: str) -> str:
    if "\n" in text or len(text) > BLOCK_AT:
        block = text_block(text, indent)
        if block is not None:
            return block
    return quote(text)


def number(value: int | float) -> str:
    """Digits with an optional fraction, as the grammar reads numbers: no exponent."""
    if isinstance(value, int):
        if value.bit_length() > 1300:  # ~400 digits: the most a museslang literal keeps
            raise ValueError("a whole number of more than 400 digits cannot be written")
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a number museslang can write")
    text = format(Decimal(repr(value)), "f")  # the shortest exact digits, positionally
    return text if "." in text else text + ".0"


def value(v: object, indent: str) -> str:
    if isinstance(v, Ref):
        return v.name
    if isinstance(v, Time):
        return v.text
    if isinstance(v, Call):
        args = ", ".join(f"{k}: {value(a, indent)}" for k, a in v.kwargs)
        return f"{v.func}({args})"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return number(v)
    if isinstance(v, str):
        return string(v, indent)
    if isinstance(v, list | tuple):
        return _list(list(v), indent)
    if isinstance(v, dict):
        return _object(v, indent)
    raise TypeError(f"cannot write {type(v).__name__} as museslang")


def _list(items: list[object], indent: str) -> str:
    inner = indent + INDENT
    parts = [value(i, inner) for i in items]
    flat = "[" + ", ".join(parts) + "]"
    if "\n" not in flat and len(flat) + len(indent) <= _LIST_WIDTH:
        return flat
    return "[\n" + "".join(f"{inner}{p},\n" for p in parts) + indent + "]"


def _object(obj: dict, indent: str) -> str:
    for key in obj:
        if not isinstance(key, str) or not NAME.fullmatch(key):
            raise ValueError(f"key {key!r} is not a museslang name")
    inner = indent + INDENT
    parts = [f"{k}: {value(v, inner)}" for k, v in obj.items()]
    flat = "{ " + "  ".join(parts) + " }" if parts else "{}"
    if "\n" not in flat and len(flat) + len(indent) <= _LIST_WIDTH:
        return flat
    return "{\n" + "".join(f"{inner}{p}\n" for p in parts) + indent + "}"


def render(decl: Decl, indent: str = "") -> str:
    head = decl.kind
    if decl.name:
        head += " " + decl.name
    if decl.label:
        head += " " + quote(decl.label)
    lines = []
    if decl.comment:
        lines += [f"{indent}# {c}".rstrip() for c in decl.comment.split("\n")]
    lines.append(f"{indent}{head} {{")
    inner = indent + INDENT
    for key, v in decl.fields:
        lines.append(f"{inner}{key}: {value(v, inner)}")
    for child in decl.children:
        lines.append(render(child, inner))
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def is_name(text: str) -> bool:
    return bool(NAME.fullmatch(text)) and text not in ("import", "as", "true", "false", "null")


def name_for(text: str, taken: set[str]) -> str:
    """A museslang name close to `text`, not yet in `taken` (which it joins)."""
    base = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "item"
    if not NAME.fullmatch(base) or not is_name(base):
        base = "n_" + base
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name
