"""Diagnostics: the one type for every error and warning museslang reports.

Stages never raise on bad input; they append `Diagnostic`s to a `Diagnostics`
collector and carry on where they can, so one run reports every problem it
can find. Rendering follows the compiler convention researchers already read:

    specs/x.muses:12:5: error[E013]: unknown user 'Alcie'
       |
    12 |     attendees: [Alcie, Bob]
       |                 ^^^^^
       = hint: did you mean 'Alice'?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from museslang.source import SourceFile, Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# The catalogue of codes: one place to look up what a code means (docs/language.md
# lists them too). Codes are stable; never reuse a retired one.
CODES: dict[str, str] = {
    # syntax
    "E001": "unexpected token",
    "E002": "unexpected character",
    "E003": "unexpected end of file",
    "E004": "unterminated string",
    "E005": "nesting too deep",
    "E006": "input too large",
    "E009": "too many errors",
    # structure
    "E010": "unknown declaration kind",
    "E011": "unknown field",
    "E012": "duplicate name",
    "E013": "unknown name",
    "E014": "wrong type",
    "E015": "missing field",
    "E016": "invalid time",
    "E017": "value out of range",
    "E018": "declaration not allowed here",
    "E019": "duplicate field",
    # modules
    "E020": "module not found",
    "E021": "import cycle",
    "E022": "import outside the spec tree",
    "E023": "duplicate import name",
    "E024": "not read by the scenario's family",
    "E025": "invalid extends",
    # permissions
    "E030": "contradictory read rule",
    "E031": "reader is not a user",
    "E032": "secret not in the content",
    "E033": "conflict nothing ranks",
    "E034": "a secret's alias or pattern cannot be used",
    # goals and ground truth
    "E040": "the hard constraints admit no solution",
    "E041": "slot not on the calendar",
    "E042": "slot listed twice",
    "E043": "unsatisfiable sweep",
    "E044": "invalid condition",
    "E045": "a distribution target cannot be met",
    # templates
    "E050": "template error",
    "E051": "template not found",
    # families written in museslang
    "E070": "expression syntax error",
    "E071": "expression type error",
    "E072": "invalid family declaration",
    "E073": "fact missing or of the wrong type",
    "E074": "a success goal nothing the agent does can change",
    "E075": "expression fails on every episode",
    "E076": "work over its bound",
    # the oracle gate (museslang check)
    "E060": "the reference oracle cannot pass an episode",
    "E061": "a generated episode drawn again (check --strict)",
    "E062": "a damaged oracle play still succeeds (the mutation audit)",
    "E063": "a success goal no damage to the oracle's play can fail",
    # warnings
    "W001": "unused declaration",
    "W002": "unused import",
    "W003": "rule has no effect",
    "W004": "a scenario expected infeasible has a solution",
    "W005": "no answer found that meets every binding constraint",
    "W006": "the reference oracle cannot pass an episode that has no answer (see W005)",
    "W007": "reference id shared by two orders",
    "W008": "a goal no action can change",
    "W009": "a scenario keeps few of its draws (the others were drawn again)",
    "W010": "a draw can fall outside an action's declared range",
    "W011": "a text fact holds option ids",
    "W012": "a scripted user broke what they declared (the simulated-user audit)",
    "W013": "a secret's alias or pattern matches the resource's public text",
    "W014": "a member an extending scenario adds is named like one of its parent's",
}


@dataclass(frozen=True)
class Label:
    """A secondary span with a short note ("first defined here")."""

    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None
    severity: Severity = Severity.ERROR
    hint: str | None = None
    labels: tuple[Label, ...] = ()
    hidden: tuple[int, int] = (0, 0)  # a "N more" note: the errors and warnings it stands for

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        if self.code == TOO_MANY:
            return ("\uffff", 0, 0, self.message)  # the "N more" notes come last
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)


TOO_MANY = "E009"
MAX_PER_FILE = 100  # diagnostics kept per file; the rest are counted, not stored


@dataclass
class Diagnostics:
    """Collects diagnostics from every stage; iterable, sortable, renderable.

    Adding is O(1) and bounded: duplicates are dropped through a set, and each file
    keeps its first `MAX_PER_FILE` diagnostics; past that they are only counted, and
    `sorted()` ends with one "N more" note per file. A hostile file (60 KB of bad
    characters) costs a counter, not a rendered excerpt per character.
    """

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False)
    _per_file: dict[str, int] = field(default_factory=dict, repr=False)
    _dropped: dict[str, list[int]] = field(default_factory=dict, repr=False)  # [errors, warnings]

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic in self._seen:
            return
        self._seen.add(diagnostic)
        file = diagnostic.span.file if diagnostic.span is not None else ""
        kept = self._per_file.get(file, 0)
        if kept >= MAX_PER_FILE:
            counts = self._dropped.setdefault(file, [0, 0])
            counts[0 if diagnostic.is_error else 1] += 1
            return
        self._per_file[file] = kept + 1
        self.items.append(diagnostic)

    def full(self, span: Span | None) -> bool:
        """Whether a diagnostic at `span` would only be counted: a hint that takes work
        (a "did you mean" over many names) need not be made for it."""
        return self._per_file.get(span.file if span is not None else "", 0) >= MAX_PER_FILE

    def errors_within(self, span: Span) -> bool:
        """Whether an error was already reported inside `span`: a declaration with a
        typo'd field or a broken value should not also be told what it lacks (the
        cascade), only what is wrong."""
        for d in self.items:
            s = d.span
            if not d.is_error or s is None or s.file != span.file:
                continue
            if (span.line, span.column) <= (s.line, s.column) <= (span.end_line, span.end_column):
                return True
        return False

    def error(
        self,
        code: str,
        message: str,
        span: Span | None,
        hint: str | None = None,
        labels: Iterable[Label] = (),
    ) -> None:
        self.add(Diagnostic(code, message, span, Severity.ERROR, hint, tuple(labels)))

    def warning(
        self,
        code: str,
        message: str,
        span: Span | None,
        hint: str | None = None,
        labels: Iterable[Label] = (),
    ) -> None:
        self.add(Diagnostic(code, message, span, Severity.WARNING, hint, tuple(labels)))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        for d in other:
            self.add(d)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items + self._notes(), key=Diagnostic.sort_key)

    def _notes(self) -> list[Diagnostic]:
        notes = []
        for file, (errors, warnings) in self._dropped.items():
            parts = [f"{n} more {w}{'s' if n != 1 else ''}"
                     for n, w in ((errors, "error"), (warnings, "warning")) if n]  # fmt: skip
            where = file or "(no file)"
            notes.append(
                Diagnostic(
                    TOO_MANY,
                    f"{where}: {' and '.join(parts)} not shown (stopped after {MAX_PER_FILE})",
                    None,
                    Severity.ERROR if errors else Severity.WARNING,
                    hint="fix the ones shown first; most of the rest are usually consequences",
                    hidden=(errors, warnings),
                )
            )
        return notes

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class InputError(Exception):
    """A failure the input caused at run time, whose message is the whole reason (a family's
    expression that divides by zero on this episode): said as it is, never as a bug."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The 'did you mean' hint for a misspelt `name`, or None when nothing is close."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    return f"did you mean '{close[0]}'?" if close else None


def render(diagnostic: Diagnostic, sources: dict[str, SourceFile] | None = None) -> str:
    """Render one diagnostic as text: header, source line, caret, labels, hint."""
    sev = diagnostic.severity.value
    span = diagnostic.span
    head = f"{sev}[{diagnostic.code}]: {diagnostic.message}"
    if span is None:
        lines = [head]
    else:
        lines = [f"{span}: {head}"]
        src = (sources or {}).get(span.file)
        if src is not None:
            lines.extend(_excerpt(src, span, None))
    for label in diagnostic.labels:
        src = (sources or {}).get(label.span.file)
        lines.append(f"  note: {label.span}: {label.message}")
        if src is not None:
            lines.extend(_excerpt(src, label.span, None))
    if diagnostic.hint:
        lines.append(f"  = hint: {diagnostic.hint}")
    return "\n".join(lines)


EXCERPT_WIDTH = 120  # longer source lines are shown as a window around the caret


def _excerpt(src: SourceFile, span: Span, note: str | None) -> list[str]:
    text = src.line(span.line).expandtabs(4)
    gutter = " " * len(str(span.line))
    start = max(span.column, 1)
    if len(text) > EXCERPT_WIDTH:
        left = max(0, min(start - 1 - EXCERPT_WIDTH // 3, len(text) - EXCERPT_WIDTH))
        window = text[left : left + EXCERPT_WIDTH]
        prefix = "…" if left > 0 else ""
        suffix = "…" if left + EXCERPT_WIDTH < len(text) else ""
        text = prefix + window + suffix
        start = start - left + len(prefix)
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    else:
        # A span running past this line: underline to its end (at least one caret).
        width = max(len(text) - start + 1, 1)
    width = max(1, min(width, max(len(text) - start + 1, 1)))
    caret = " " * (start - 1) + "^" * width
    if note:
        caret += " " + note
    return [f"{gutter} |", f"{span.line} | {text}", f"{gutter} | {caret}"]


def render_all(diags: Iterable[Diagnostic], sources: dict[str, SourceFile] | None = None) -> str:
    items = sorted(diags, key=Diagnostic.sort_key)
    out = [render(d, sources) for d in items]
    shown = [d for d in items if d.code != TOO_MANY]
    n_err = sum(1 for d in shown if d.is_error) + sum(d.hidden[0] for d in items)
    n_warn = len(shown) - sum(1 for d in shown if d.is_error) + sum(d.hidden[1] for d in items)
    if items:
        parts = []
        if n_err:
            parts.append(f"{n_err} error{'s' if n_err != 1 else ''}")
        if n_warn:
            parts.append(f"{n_warn} warning{'s' if n_warn != 1 else ''}")
        out.append(", ".join(parts))
    return "\n\n".join(out[:-1]) + ("\n\n" if len(out) > 1 else "") + (out[-1] if out else "")
