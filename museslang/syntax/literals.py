"""Decoding literal text into values (no validation: the checker does that)."""

from __future__ import annotations

import re
import textwrap

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "0": "\0"}
_TIME = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[ \t]+([0-9]{1,2}):([0-9]{2})")
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6] or ""):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


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


def number_value(raw: str) -> int | float:
    return float(raw) if "." in raw else int(raw)


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
