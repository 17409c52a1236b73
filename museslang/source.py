"""Source files and spans.

Every AST node, every checked entity and every compiled episode carries a
`Span` back to the text that produced it, so a diagnostic raised at any stage
(parse, check, sweep expansion, the oracle gate) can point at the right line.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open region of one source file; lines and columns count from 1."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to(self, other: Span) -> Span:
        """The span covering `self` up to the end of `other` (same file)."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)


@dataclass
class SourceFile:
    """The text of one file with the name diagnostics show for it.

    `display` is what appears in `path:line:col`; it is kept relative (to the
    working directory for user files, `<std>/...` for the standard library)
    so that compiled output and golden diagnostics do not depend on where the
    checkout lives.
    """

    path: Path
    display: str
    text: str
    _lines: list[str] | None = field(default=None, repr=False)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def line(self, number: int) -> str:
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    def line_span(self, number: int) -> Span:
        """The whole of line `number` (clamped to the file), for errors known only by line."""
        number = min(max(number, 1), max(len(self.lines), 1))
        return Span(self.display, number, 1, number, len(self.line(number)) + 1)

    def end_span(self) -> Span:
        """A zero-width span at the end of the file (for 'unexpected end of file')."""
        lines = self.lines or [""]
        last = len(lines)
        col = len(lines[-1]) + 1
        return Span(self.display, last, col, last, col)


def display_path(path: Path, std_root: Path | None = None) -> str:
    """A stable, readable name for `path` (see `SourceFile.display`)."""
    path = path.resolve()
    if std_root is not None:
        try:
            return "<std>/" + path.relative_to(std_root.resolve()).as_posix()
        except ValueError:
            pass
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# What the front end handles in bounded time and memory (benchmarks/hostile.py measures
# it): parsing costs about 25 microseconds and a few hundred bytes a token, so a file is
# refused (E006) past 16 MiB or past 250,000 tokens (~6 s of parsing), whichever comes
# first. An imported official file runs at about 30 bytes a token: 3.7 MB is 120,000.
MAX_SOURCE_BYTES = 16 * 1024 * 1024
MAX_SOURCE_TOKENS = 250_000
# a compiled file: the largest compile (64,000 users, semantics.sweep_size) is ~150 MB
MAX_COMPILED_BYTES = 256 * 1024 * 1024


def decode_source(data: bytes) -> str:
    """A source file's bytes as its text: UTF-8, a leading byte-order mark dropped (editors
    on Windows write one), every line ending read as \\n (as Python's text mode does)."""
    text = data.decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_source(path: Path) -> str:
    """A module's text; raises `SourceError` with a one-line reason for anything unreadable."""
    data = read_bounded(path, MAX_SOURCE_BYTES, "a source file")
    try:
        return decode_source(data)
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (byte {exc.start})") from None


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; `SourceError` for a larger
    file or anything that is not a regular file (a device such as /dev/zero, a FIFO, a
    folder), found without reading it: its size or its kind is known before."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO never blocks
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SourceError("not a regular file")
            if info.st_size > limit:
                raise SourceError(
                    f"{info.st_size:,} bytes is over the limit of {limit:,} for {what}"
                )
            data = f.read(limit + 1)
    except (OSError, ValueError) as exc:
        raise SourceError(getattr(exc, "strerror", None) or str(exc)) from None
    if len(data) > limit:  # it grew while being read
        raise SourceError(f"it is over the limit of {limit:,} bytes for {what}")
    return data


class SourceError(Exception):
    """A file that cannot be used as source; the message says why."""


def modules_sha256(texts: list[tuple[str, str]]) -> str:
    """The hash a compiled spec carries (`spec_sha256`): each module's stable name and
    text, in name order. The compile cache recomputes it on a hit from the files as they
    are now, so an entry filed under the wrong spec never passes for it."""
    h = hashlib.sha256()
    for name, text in sorted(texts, key=lambda named: named[0]):
        h.update(name.encode())
        h.update(b"\0")
        h.update(text.encode())
        h.update(b"\0")
    return h.hexdigest()
