"""Reading official records: JSONL lines, typed field access, and errors that name
the line and the field at fault.

`Fields` remembers which keys an importer read; whatever it did not read is
kept verbatim in the scenario's `extra:` so that a field museslang has never
seen still comes back on export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museslang.safetext import clean_value


class RecordError(Exception):
    """One record cannot be imported: which field, and why."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(message)
        self.field = field_path
        self.message = message


@dataclass
class Problem:
    """A record left out of an import (or a whole file that could not be read)."""

    file: str
    line: int
    field: str
    message: str
    record_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        what = f" ({self.record_id})" if self.record_id else ""
        at = f" field '{self.field}':" if self.field else ""
        return f"{where}: record{what}{at} {self.message}"


@dataclass
class Line:
    number: int
    data: dict[str, Any]


MAX_RECORD_BYTES = 16 * 1024 * 1024  # one JSONL line; the official records stay under 1 MB
MAX_LIST_ITEMS = 10_000  # in any one list of a record
MAX_DEPTH = 64  # nesting of objects and lists


def _shape_problem(value: Any) -> str | None:
    """Why a decoded record is too large or deep to import, or None (iterative: a record
    nested 900 deep must not overflow the stack here either)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nests deeper than {MAX_DEPTH} levels"
        if isinstance(item, list):
            if len(item) > MAX_LIST_ITEMS:
                return f"has a list of {len(item):,} items (at most {MAX_LIST_ITEMS:,})"
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
    return None


def read_lines(path: Path) -> Iterator[Line | Problem]:
    """Each non-blank line as a JSON object, or the problem with that line alone.

    Lines are split on newline bytes only: U+2028 or U+0085 inside a JSON string is
    text, not a line break. A line that is not UTF-8, not JSON, too large or too deep
    is reported with its number and the other lines still import."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Problem(str(path), 0, "", f"cannot be read: {exc.strerror or exc}")
        return
    data = data.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark (Windows tools write one)
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        if len(raw) > MAX_RECORD_BYTES:
            why = f"is {len(raw):,} bytes, over the limit of {MAX_RECORD_BYTES:,} for one record"
            yield Problem(str(path), number, "", why)
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield Problem(str(path), number, "", f"is not UTF-8 (byte {exc.start})")
            continue
        except json.JSONDecodeError as exc:
            why = f"is not valid JSON ({exc.msg}, column {exc.colno})"
            yield Problem(str(path), number, "", why)
            continue
        except RecursionError:
            yield Problem(str(path), number, "", f"nests deeper than {MAX_DEPTH} levels")
            continue
        except ValueError as exc:  # a 5,000-digit number
            yield Problem(str(path), number, "", f"holds a value Python cannot read ({exc})")
            continue
        if not isinstance(record, dict):
            yield Problem(str(path), number, "", "is not a JSON object")
            continue
        if (why := _shape_problem(record)) is not None:
            yield Problem(str(path), number, "", why)
            continue
        yield Line(number, clean_value(record))


_KINDS: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}


@dataclass
class Fields:
    """Typed access to one JSON object, by path, recording what was read."""

    data: dict[str, Any]
    path: str = ""
    read: set[str] = field(default_factory=set)

    def where(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def need(self, key: str, kind: type) -> Any:
        if key not in self.data:
            raise RecordError(self.where(key), "is missing")
        return self.get(key, kind)

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        self.read.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            raise RecordError(self.where(key), f"should be {_KINDS.get(kind, kind.__name__)}")
        return value

    def text(self, key: str, default: str | None = None) -> str | None:
        return self.get(key, str, default)

    def texts(self, key: str) -> list[str]:
        items = self.get(key, list, [])
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise RecordError(f"{self.where(key)}[{i}]", "should be a string")
        return items

    def objects(self, key: str) -> list[Fields]:
        items = self.need(key, list)
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise RecordError(f"{self.where(key)}[{i}]", "should be an object")
            out.append(Fields(item, f"{self.where(key)}[{i}]"))
        return out

    def object(self, key: str) -> Fields:
        return Fields(self.need(key, dict), self.where(key))

    def rest(self) -> dict[str, Any]:
        """The keys no accessor has read, in their original order."""
        return {k: v for k, v in self.data.items() if k not in self.read}

    def mark(self, *keys: str) -> None:
        """Keys derived on export rather than declared; checked by the caller."""
        self.read.update(keys)
