"""The museslang AST: what the parser saw, with a span on every node.

The AST is purely syntactic. A `Decl` does not know whether its kind exists or
which fields it takes; literals keep their raw text next to the parsed value
(`Tue 25:00` parses fine and the checker reports the bad hour with its span).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from museslang.source import Span


@dataclass(frozen=True)
class Node:
    span: Span


@dataclass(frozen=True)
class Ident(Node):
    name: str


# ---- values -----------------------------------------------------------------


@dataclass(frozen=True)
class Value(Node):
    """Base class of every value that can stand right of a `:`."""

    @property
    def describe(self) -> str:
        return "a value"


@dataclass(frozen=True)
class Str(Value):
    value: str
    block: bool = False  # written as a """text block"""

    @property
    def describe(self) -> str:
        return "a text block" if self.block else "a string"


@dataclass(frozen=True)
class Number(Value):
    value: int | float
    text: str

    @property
    def describe(self) -> str:
        return "a number"


@dataclass(frozen=True)
class Percent(Value):
    value: float  # 30% -> 0.30
    text: str

    @property
    def describe(self) -> str:
        return "a percentage"


@dataclass(frozen=True)
class Duration(Value):
    seconds: float
    text: str

    @property
    def describe(self) -> str:
        return "a duration"


@dataclass(frozen=True)
class Time(Value):
    """A weekday and a clock time, e.g. `Tue 9:30` (unvalidated)."""

    day: str
    hour: int
    minute: int
    text: str

    @property
    def describe(self) -> str:
        return "a time"


@dataclass(frozen=True)
class Ref(Value):
    """A (possibly dotted) name: `Alice`, `required`, `std.identity.xml`."""

    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)

    @property
    def describe(self) -> str:
        return f"the name '{self.dotted}'"


@dataclass(frozen=True)
class Range(Value):
    low: Value
    high: Value

    @property
    def describe(self) -> str:
        return "a range"


@dataclass(frozen=True)
class ListValue(Value):
    items: tuple[Value, ...]

    @property
    def describe(self) -> str:
        return "a list"


@dataclass(frozen=True)
class Arg(Node):
    name: Ident | None
    value: Value


@dataclass(frozen=True)
class Call(Value):
    """`receives(console)`, `role("IT Admin")`, `finalized()`."""

    func: Ref
    args: tuple[Arg, ...]

    @property
    def describe(self) -> str:
        return f"a call to '{self.func.dotted}'"


@dataclass(frozen=True)
class Compare(Value):
    """`authority >= 5`."""

    left: Ref
    op: str
    right: Value

    @property
    def describe(self) -> str:
        return "a comparison"


@dataclass(frozen=True)
class Object(Value):
    """An inline `{ key: value ... }` (e.g. instruction kwargs)."""

    fields: tuple[Field, ...]

    @property
    def describe(self) -> str:
        return "an object"


# ---- structure ----------------------------------------------------------------


@dataclass(frozen=True)
class Field(Node):
    key: Ident
    value: Value


@dataclass(frozen=True)
class Decl(Node):
    """`KIND [NAME] [extends PARENT] ["label"] { members }`; `head` spans the part before
    `{`. `parent` is the declaration it extends, as written (resolved by the checker)."""

    kind: Ident
    name: Ident | None
    label: Str | None
    fields: tuple[Field, ...]
    children: tuple[Decl, ...]
    head: Span
    parent: Ref | None = None

    @property
    def title(self) -> str:
        return f"{self.kind.name} {self.name.name}" if self.name else self.kind.name


@dataclass(frozen=True)
class Import(Node):
    """`import std.identity`, `import "./people.muses" as people`."""

    target: str
    is_path: bool
    alias: Ident | None
    target_span: Span


@dataclass(frozen=True)
class Comment(Node):
    text: str


@dataclass
class Module:
    """One parsed file."""

    file: str
    imports: list[Import] = field(default_factory=list)
    decls: list[Decl] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    had_syntax_errors: bool = False
