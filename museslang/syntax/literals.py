"""Decoding literal text into values (no validation: the checker does that)."""

from __future__ import annotations

import re
import textwrap

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "0": "\0"}
_TIME = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[ \t]+([0-9]{1,2}):([0-9]{2})")
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


def _decode(body: str) -> tuple[str, int | None]:
    """The escapes of a string literal decoded, and the offset of the first `\\uD800`-style
    escape that is half a surrogate pair (None if none). Such a half cannot be written as
    UTF-8 (JSON, results, prompts), so the scanner reports it and the value carries U+FFFD;
    a high surrogate followed by a low one is a valid pair (an emoji)."""
    out: list[str] = []
    bad: int | None = None
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and _HEX4.fullmatch(body, i + 2, i + 6):
                code = int(body[i + 2 : i + 6], 16)
                pair = (
                    body[i + 6 : i + 8] == "\\u"
                    and _HEX4.fullmatch(body, i + 8, i + 12) is not None
                    and 0xDC00 <= int(body[i + 8 : i + 12], 16) <= 0xDFFF
                )
                if 0xD800 <= code <= 0xDBFF and pair:
                    code = (
                        0x10000 + ((code - 0xD800) << 10) + int(body[i + 8 : i + 12], 16) - 0xDC00
                    )
                    i += 6
                elif 0xD800 <= code <= 0xDFFF:
                    bad = i if bad is None else bad
                    code = 0xFFFD
                out.append(chr(code))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), bad


def bad_escape(raw: str) -> int | None:
    """Offset in a STRING token's text of the first escape the language does not have
    (`\\q`, `\\x41`, a `\\u` without four hex digits), which would otherwise be kept
    as written, backslash and all; None when every escape is valid."""
    i = raw.find("\\", 1)
    while i != -1 and i < len(raw) - 1:
        nxt = raw[i + 1]
        if nxt == "u" and _HEX4.fullmatch(raw, i + 2, i + 6) is None:
            return i
        if nxt != "u" and nxt not in _ESCAPES:
            return i
        i = raw.find("\\", i + 2)
    return None


def lone_surrogate(raw: str) -> int | None:
    """Offset in a STRING token's text of an escape naming half a surrogate pair."""
    if "\\u" not in raw:
        return None
    bad = _decode(raw[1:-1])[1]
    return None if bad is None else bad + 1


def unescape(body: str) -> str:
    return _decode(body)[0]


def string_value(raw: str) -> str:
    return unescape(raw[1:-1])


def text_block_value(raw: str) -> str:
    """A \"\"\"text block\"\"\": the first newline dropped, common indentation removed,
    the closing quotes' own line dropped. What you see is what the model gets."""
    body = raw[3:-3]
    if body.startswith("\r\n"):
        body = body[2:]
    elif body.startswith("\n"):
        body = body[1:]
    body = textwrap.dedent(body)
    lines = body.split("\n")
    if len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


MAX_INT_DIGITS = 400  # far beyond every range a field takes; Python refuses > 4300


def number_value(raw: str) -> int | float:
    """The number a literal stands for. An integer of more than MAX_INT_DIGITS digits is
    taken as 10**MAX_INT_DIGITS (with its sign): out of every range, so the checker
    reports it, where int() would raise on a few thousand digits."""
    if "." in raw:
        return float(raw)
    digits = raw.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        return -(10**MAX_INT_DIGITS) if raw.startswith("-") else 10**MAX_INT_DIGITS
    return int(raw)


def percent_value(raw: str) -> float:
    return float(raw[:-1]) / 100.0


def duration_seconds(raw: str) -> float:
    m = _DURATION.fullmatch(raw)
    if not m:  # the grammar guarantees the shape
        return 0.0
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def time_parts(raw: str) -> tuple[str, int, int]:
    m = _TIME.fullmatch(raw)
    if not m:
        return ("Mon", 0, 0)
    return m.group(1), int(m.group(2)), int(m.group(3))
