"""Field types: each one checks an AST value and converts it to a Python value.

A type never raises. On a mismatch it reports E014 (or a more precise code)
at the value's span and returns `INVALID`, so the checker goes on with the
other fields and reports everything in one run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from museslang import family as families
from museslang.diagnostics import Diagnostics, Label, did_you_mean
from museslang.instructions.verifiers import INSTRUCTIONS as INSTRUCTION_KINDS
from museslang.source import Span
from museslang.syntax import ast

TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID: Any = _Invalid()


@dataclass(frozen=True, order=True)
class SlotTime:
    """A time slot: weekday and clock time; prints the way people write it."""

    day_index: int
    hour: int
    minute: int

    @property
    def day(self) -> str:
        return WEEKDAYS[self.day_index]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}:{self.minute:02d}"


@dataclass(frozen=True)
class Located:
    """A converted value that keeps its span (for diagnostics raised later)."""

    value: Any
    span: Span


@dataclass(frozen=True)
class Selector:
    """Who a read rule talks about: one user, a role, an authority bound, or everyone."""

    kind: str  # "user" | "role" | "authority" | "everyone"
    span: Span
    user: str | None = None
    role: str | None = None
    op: str | None = None
    bound: float | None = None

    def describe(self) -> str:
        if self.kind == "user":
            return f"user {self.user}"
        if self.kind == "role":
            return f'role("{self.role}")'
        if self.kind == "authority":
            return f"authority {self.op} {self.bound:g}"
        return "everyone"


@dataclass(frozen=True)
class Condition:
    """A machine-checkable success condition such as `receives(console)`."""

    name: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    span: Span

    def render(self) -> str:
        parts = [_render_arg(a) for a in self.args]
        parts += [f"{k}: {_render_arg(v)}" for k, v in self.kwargs]
        return f"{self.name}({', '.join(parts)})"


def _render_arg(v: Any) -> str:
    if isinstance(v, Condition):
        return v.render()
    if isinstance(v, Symbol):
        return v.name
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


@dataclass(frozen=True)
class Instruction:
    """A verifiable format constraint: an IFEval-style id with its arguments."""

    id: str
    kwargs: tuple[tuple[str, Any], ...]
    span: Span


@dataclass(eq=False)
class Symbol:
    """A named declaration visible to references (a user, a role, a template ...)."""

    kind: str
    name: str
    module: str
    decl: ast.Decl
    entity: Any = None  # the checked model object, filled in by the checker
    used: bool = False

    @property
    def span(self) -> Span:
        return self.decl.name.span if self.decl.name else self.decl.head


class Resolver(Protocol):
    def __call__(
        self, ref: ast.Ref, kinds: Sequence[str], quiet: bool = False
    ) -> Symbol | None: ...


@dataclass
class Ctx:
    diags: Diagnostics
    resolve: Resolver


def wrong_type(ctx: Ctx, value: ast.Value, wanted: str, hint: str | None = None) -> Any:
    ctx.diags.error("E014", f"expected {wanted}, found {value.describe}", value.span, hint=hint)
    return INVALID


class Type:
    """Base class; `describe` says what the type accepts, in words."""

    describe = "a value"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class Text(Type):
    describe = "a string"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Str):
            return value.value
        return wrong_type(ctx, value, "a string", 'write text in double quotes: "..."')


class TagT(Type):
    """A scenario's tag: a name (`smoke`) or a string of letters, digits and `_.-`
    (`"ward-4"`), the word `--tag` selects it by."""

    describe = 'a tag: a name or a string such as "ward-4"'

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Ref) and len(value.parts) == 1:
            return value.parts[0]
        if isinstance(value, ast.Str):
            if TAG.fullmatch(value.value):
                return value.value
            ctx.diags.error("E017", f"'{value.value}' cannot be a tag", value.span,
                            hint="a tag is one word of letters, digits, '_', '.' or '-', as "
                            "`--tag` is given it")  # fmt: skip
            return INVALID
        return wrong_type(ctx, value, "a tag (a name, or a string of one word)",
                          'write a name such as smoke, or quote the word: "ward.4"')  # fmt: skip


@dataclass
class Int(Type):
    low: int | None = None
    high: int | None = None
    describe = "a whole number"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Number) or isinstance(value.value, float):
            return wrong_type(ctx, value, "a whole number")
        return _in_range(ctx, value, value.value, self.low, self.high)


@dataclass
class Real(Type):
    low: float | None = None
    high: float | None = None
    describe = "a number"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Number):
            return wrong_type(ctx, value, "a number")
        return _in_range(ctx, value, _as_float(value.value), self.low, self.high)


def _in_range(ctx: Ctx, node: ast.Value, v: float, low: float | None, high: float | None) -> Any:
    if (low is not None and v < low) or (high is not None and v > high):
        if low is not None and high is not None:
            bounds = f"between {low:g} and {high:g}"
        elif low is not None:
            bounds = f"at least {low:g}"
        else:
            bounds = f"at most {high:g}"
        text = getattr(node, "text", None)
        shown = _shown(v) if not isinstance(text, str) or len(text) <= 15 else _shown_text(text)
        ctx.diags.error("E017", f"{shown} is out of range: must be {bounds}", node.span)
        return INVALID
    return v


def _as_float(n: float) -> float:
    """float(n), with integers too large for a float taken as infinite (then out of range)."""
    try:
        return float(n)
    except OverflowError:
        return math.inf if n > 0 else -math.inf


def _shown(v: float) -> str:
    """A number for a message; a 400-digit integer cannot go through float formatting."""
    if isinstance(v, int):
        digits = str(abs(v))
        return (
            str(v)
            if len(digits) <= 15
            else f"{'-' if v < 0 else ''}{digits[:6]}… ({len(digits)} digits)"
        )
    return f"{v:g}"


def _shown_text(text: str) -> str:
    """A long literal as written, shortened for a message."""
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    unit = "digits" if body.isdigit() else "characters"
    return f"{sign}{body[:6]}… ({len(body)} {unit})"


class Pct(Type):
    """A share: `30%` or a number between 0 and 1."""

    describe = "a percentage"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Percent):
            return _in_range(ctx, value, value.value, 0.0, 1.0)
        if isinstance(value, ast.Number):
            return _in_range(ctx, value, _as_float(value.value), 0.0, 1.0)
        return wrong_type(ctx, value, "a percentage such as 40%")


class Bool(Type):
    describe = "true or false"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Ref) and value.dotted in ("true", "false"):
            return value.dotted == "true"
        return wrong_type(ctx, value, "true or false")


class Slot(Type):
    describe = "a time such as Tue 9:30"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Time):
            return wrong_type(ctx, value, "a time such as Tue 9:30")
        if not 0 <= value.hour <= 23 or not 0 <= value.minute <= 59:
            what = "hour" if not 0 <= value.hour <= 23 else "minute"
            ctx.diags.error(
                "E016",
                f"invalid time '{value.text}': the {what} is out of range",
                value.span,
                hint="hours run 0-23 and minutes 0-59, e.g. Tue 15:00",
            )
            return INVALID
        return Located(SlotTime(WEEKDAYS.index(value.day), value.hour, value.minute), value.span)


class Dur(Type):
    describe = "a duration such as 30m"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Duration):
            return value.seconds
        return wrong_type(ctx, value, "a duration such as 30m or 2h")


@dataclass
class Enum(Type):
    choices: tuple[str, ...]
    what: str = "value"

    @property
    def describe(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(self.choices)

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Ref) and len(value.parts) == 1:
            name = value.parts[0]
            if name in self.choices:
                return name
            hint = did_you_mean(name, self.choices) or f"choose one of: {', '.join(self.choices)}"
            ctx.diags.error("E013", f"unknown {self.what} '{name}'", value.span, hint=hint)
            return INVALID
        if isinstance(value, ast.Str) and value.value in self.choices:
            return value.value
        return wrong_type(ctx, value, self.describe)


class LazyEnum(Enum):
    """An `Enum` whose choices are read when a value is checked: ones that the installed
    families declare (the actions that end an episode), so that building the language
    model at import loads no family."""

    def __init__(self, choices_of: Callable[[], tuple[str, ...]], what: str = "value"):
        self.choices_of = choices_of
        self.what = what

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.choices_of()


@dataclass
class RefTo(Type):
    kinds: tuple[str, ...]

    @property
    def describe(self) -> str:  # type: ignore[override]
        return "the name of a " + " or ".join(self.kinds)

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Ref):
            return wrong_type(ctx, value, self.describe)
        sym = ctx.resolve(value, self.kinds)
        return sym if sym is not None else INVALID


class FamilyT(Type):
    """A scenario's family: an installed one by name, or a `family` declaration in scope
    (a family written in museslang)."""

    @property
    def describe(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(families.installed())

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Ref) and len(value.parts) == 1:
            name = value.parts[0]
            installed = families.installed()
            if name in installed:
                return name
            sym = ctx.resolve(value, ("family",), quiet=True)
            if sym is not None:
                return sym
            hint = did_you_mean(name, installed) or f"choose one of: {', '.join(installed)}"
            ctx.diags.error(
                "E013", f"unknown scenario family '{name}'", value.span,
                hint=hint + ", or declare `family " + name + " { ... }` (docs/families.md)",
            )  # fmt: skip
            return INVALID
        if isinstance(value, ast.Ref):
            sym = ctx.resolve(value, ("family",))
            return sym if sym is not None else INVALID
        return wrong_type(ctx, value, self.describe)


class NameT(Type):
    """A plain name that the declaration it is in gives meaning to (a goal of a family)."""

    describe = "a name"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Ref) and len(value.parts) == 1:
            return NamedAt(value.parts[0], value.span)
        return wrong_type(ctx, value, self.describe)


@dataclass
class MetricT(NameT):
    """A metric's name; which names a scenario may list depends on its family, known only
    once the family (maybe one written in museslang) is checked (`rules._metrics`)."""

    common: tuple[str, ...] = ()  # every family's metrics

    @property
    def describe(self) -> str:  # type: ignore[override]
        found = families.declared()
        names = sorted({m for n in families.installed() for m in found.get(n).metrics}
                       | set(self.common))  # fmt: skip
        return "a metric: one of " + ", ".join(names) + ", or its family's own"


@dataclass(frozen=True)
class NamedAt:
    name: str
    span: Span


PARAM_KINDS = ("user", "users", "option", "number", "text", "flag")


class ParamsT(Type):
    """An action's parameters: `{ to: user, amount: 0..1000 }`."""

    describe = "an object { name: type }"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Object):
            return wrong_type(ctx, value, self.describe)
        params: dict[str, Any] = {}
        for f in distinct_fields(value, ctx):
            v = f.value
            if isinstance(v, ast.Ref) and v.dotted in PARAM_KINDS:
                params[f.key.name] = NamedAt(v.dotted, f.key.span)
            elif (isinstance(v, ast.Range) and isinstance(v.low, ast.Number)
                  and isinstance(v.high, ast.Number)):  # fmt: skip
                if v.low.value > v.high.value:
                    ctx.diags.error("E014", "the range is empty", v.span)
                    continue
                params[f.key.name] = NamedAt(f"{v.low.value}..{v.high.value}", f.key.span)
            else:
                hint = did_you_mean(v.dotted, PARAM_KINDS) if isinstance(v, ast.Ref) else None
                ctx.diags.error(
                    "E014",
                    f"expected a parameter type, found {v.describe}",
                    v.span,
                    hint=hint or "one of " + ", ".join(PARAM_KINDS) + ", or a range LOW..HIGH",
                )
        return params


class NameOrText(Type):
    """A plain name or a string, kept as text (a guard setting: `acl` or "acl+spotlight");
    what it names is looked up where it is used, not by the compiler."""

    describe = "a name or a string"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Str):
            return value.value
        if isinstance(value, ast.Ref) and len(value.parts) == 1:
            return value.parts[0]
        return wrong_type(ctx, value, self.describe, 'a name like acl, or "acl+spotlight"')


@dataclass
class TextOrRef(Type):
    """A string, or the name of a declaration that stands for one (e.g. a role)."""

    kinds: tuple[str, ...]
    describe = "a string or a name"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Str):
            return value.value
        if isinstance(value, ast.Ref):
            sym = ctx.resolve(value, self.kinds)
            return sym if sym is not None else INVALID
        return wrong_type(ctx, value, f"a string or the name of a {' or '.join(self.kinds)}")


@dataclass
class ListOf(Type):
    item: Type
    single_ok: bool = True  # `behaviour: stubborn` means `behaviour: [stubborn]`
    min_items: int = 0  # `days: []` is a mistake, not "use the default"

    @property
    def describe(self) -> str:  # type: ignore[override]
        return f"a list of {self.item.describe}"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.ListValue):
            if len(value.items) < self.min_items:
                ctx.diags.error(
                    "E017",
                    f"the list is empty: at least {self.min_items} item"
                    f"{'s' if self.min_items != 1 else ''} needed",
                    value.span,
                    hint=f"list {self.item.describe}, or delete the field",
                )
                return INVALID
            out = [self.item.check(v, ctx) for v in value.items]
            return [v for v in out if v is not INVALID]
        if self.single_ok:
            v = self.item.check(value, ctx)
            return INVALID if v is INVALID else [v]
        return wrong_type(ctx, value, self.describe)


@dataclass
class RangeOf(Type):
    """`2..10` or a single value `4` (low == high); low must not exceed high."""

    item: Type

    @property
    def describe(self) -> str:  # type: ignore[override]
        return f"a range of {self.item.describe}"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Range):
            lo, hi = self.item.check(value.low, ctx), self.item.check(value.high, ctx)
            if lo is INVALID or hi is INVALID:
                return INVALID
            if lo > hi:
                ctx.diags.error(
                    "E017",
                    f"empty range: {_txt(value.low)} is above {_txt(value.high)}",
                    value.span,
                    hint="write the smaller bound first",
                )
                return INVALID
            return (lo, hi)
        v = self.item.check(value, ctx)
        return INVALID if v is INVALID else (v, v)


def _txt(v: ast.Value) -> str:
    return getattr(v, "text", None) or str(getattr(v, "value", "?"))


class IntAxis(Type):
    """A sweep axis of whole numbers: `2..10`, `[2, 4, 8]` or `6`."""

    describe = "a range or list of whole numbers"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.ListValue):
            return ListOf(Int(0, 100_000)).check(value, ctx)
        got = RangeOf(Int(0, 100_000)).check(value, ctx)
        if got is INVALID:
            return INVALID
        lo, hi = got
        return list(range(int(lo), int(hi) + 1))


class Weighted(list):
    """A sweep axis's values with weights (`attack: { pressure: 2, none: 1 }`): a list of
    the values as every check of the axis reads them, and `weights` beside them. Such an
    axis is drawn per episode in those proportions, not crossed (lower/mixtures.py)."""

    weights: list[float]


@dataclass
class MixOf(Type):
    """A sweep axis as a list of values (crossed) or as weights `{ value: weight }` (mixed)."""

    axis: ListOf

    @property
    def describe(self) -> str:  # type: ignore[override]
        return f"{self.axis.describe}, or weights {{ value: weight }}"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Object):
            return self.axis.check(value, ctx)
        fields = distinct_fields(value, ctx)
        if not fields:
            ctx.diags.error("E017", "the mixture has no values", value.span,
                            hint="write `{ value: weight ... }`, or a list")  # fmt: skip
            return INVALID
        out = Weighted()
        out.weights = []
        for f in fields:
            got = self.axis.item.check(ast.Ref(f.key.span, (f.key.name,)), ctx)
            weight = self._weight(f.value, ctx)
            if got is not INVALID and weight is not INVALID:
                out.append(got)
                out.weights.append(weight)
        return out if len(out) == len(fields) else INVALID

    @staticmethod
    def _weight(value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Number | ast.Percent) and value.value > 0:
            return float(value.value)
        if isinstance(value, ast.Number | ast.Percent):
            ctx.diags.error("E017", f"a weight of {value.text}: weights are above 0", value.span,
                            hint="leave out a value that should not be drawn")  # fmt: skip
            return INVALID
        return wrong_type(ctx, value, "a weight (a number above 0)",
                          "write `{ pressure: 2, fake_authorization: 1 }`")  # fmt: skip


SWEPT = "sweep"  # in a population's `attacks:`: the sweep cell's attack


@dataclass
class RoleAttacksT(Type):
    """Who attacks, by role: `{ relative: sweep, clerk: pressure, nurse: none }`. Each key
    is a role; each value an attack, `sweep` (the sweep cell's attack, weighted or
    crossed) or `none`. Gives (role symbol, attack symbol | SWEPT | None) pairs in the
    order written."""

    describe = "an object { role: attack, sweep or none }"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Object):
            return wrong_type(ctx, value, self.describe,
                              "write `{ relative: sweep, clerk: none }`")  # fmt: skip
        out = []
        for f in distinct_fields(value, ctx):
            role = ctx.resolve(ast.Ref(f.key.span, (f.key.name,)), ("role",))
            attack: Any
            if isinstance(f.value, ast.Ref) and f.value.dotted in (SWEPT, "none"):
                attack = SWEPT if f.value.dotted == SWEPT else None
            elif isinstance(f.value, ast.Ref):
                attack = ctx.resolve(f.value, ("attack",))
                attack = INVALID if attack is None else attack
            else:
                attack = wrong_type(ctx, f.value, "an attack, `sweep` or `none`")
            if role is None or attack is INVALID:
                return INVALID
            out.append((role, attack))
        return out


@dataclass
class ExamplesT(Type):
    """A sweep's `examples`: a list of rows `{ axis: value ... }`, one cell each, every row
    giving the same axes (a table's columns), one value per axis, no row twice."""

    axes: dict[str, Type]  # sweep axis -> the type of its field (a list of values)
    describe = "a list of rows { axis: value }"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.ListValue):
            return wrong_type(
                ctx, value, self.describe, "write `examples: [{ users: 3, attack: pressure }, ...]`"
            )
        if not value.items:
            ctx.diags.error(
                "E017",
                "the examples table has no rows",
                value.span,
                hint="give a row per cell, or delete the field",
            )
            return INVALID
        rows: list[dict[str, Any]] = []
        columns: tuple[str, ...] | None = None
        seen: dict[tuple, ast.Value] = {}
        for item in value.items:
            row = self._row(item, ctx)
            if row is None:
                continue
            cells, keys = row
            if columns is None:
                columns = keys
            elif set(keys) != set(columns):
                missing = [a for a in columns if a not in keys]
                extra = [a for a in keys if a not in columns]
                what = (f"misses {', '.join(missing)}" if missing else "") + (
                    (" and " if missing and extra else "") + f"adds {', '.join(extra)}"
                    if extra
                    else ""
                )
                ctx.diags.error(
                    "E015",
                    f"this row {what}: every row gives the axes of the "
                    f"first ({', '.join(columns)})",
                    item.span,
                    labels=[Label(value.items[0].span, "the first row")],
                    hint="a row per cell, each with a value for every axis",
                )
                continue
            key = tuple(sorted((a, getattr(v, "name", None) or str(v)) for a, v in cells.items()))
            if key in seen:
                ctx.diags.error(
                    "E019",
                    "this row is given twice",
                    item.span,
                    labels=[Label(seen[key].span, "first given here")],
                    hint="delete it; for more episodes of a cell, raise `samples`",
                )
                continue
            seen[key] = item
            rows.append(cells)
        return rows

    def _row(self, item: ast.Value, ctx: Ctx) -> tuple[dict[str, Any], tuple[str, ...]] | None:
        if not isinstance(item, ast.Object):
            wrong_type(ctx, item, "a row { axis: value }", "write `{ users: 3, attack: pressure }`")
            return None
        if not item.fields:
            ctx.diags.error(
                "E017", "an empty row", item.span, hint="give the row a value for each axis"
            )
            return None
        cells: dict[str, Any] = {}
        ok = True
        for f in distinct_fields(item, ctx):
            axis = f.key.name
            kind = self.axes.get(axis)
            if kind is None:
                ctx.diags.error(
                    "E011",
                    f"'{axis}' is not a sweep axis",
                    f.key.span,
                    hint=did_you_mean(axis, self.axes) or "axes: " + ", ".join(self.axes),
                )
                ok = False
                continue
            if isinstance(f.value, ast.ListValue | ast.Range | ast.Object):
                ctx.diags.error(
                    "E014",
                    f"a row gives one value of '{axis}', found {f.value.describe}",
                    f.value.span,
                    hint="write one row per value (or sweep the axis as a field "
                    "beside the table, for every row)",
                )
                ok = False
                continue
            got = kind.check(f.value, ctx)
            if got is INVALID or not got:
                ok = False
                continue
            cells[axis] = got[0]
        if not ok:
            return None
        return cells, tuple(a for a in self.axes if a in cells)


class ObjectT(Type):
    """An inline object of plain values: `{ keyword: "future", frequency: 2 }`."""

    describe = "an object { key: value }"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Object):
            return wrong_type(ctx, value, self.describe)
        return {f.key.name: plain_value(f.value, ctx) for f in distinct_fields(value, ctx)}


def distinct_fields(value: ast.Object, ctx: Ctx) -> list[ast.Field]:
    """An object's fields, each key once: a key given twice (`{ a: 1, a: 2 }`) is E019 at
    the second, which is left out (a dict would keep one of them silently)."""
    first: dict[str, ast.Field] = {}
    for f in value.fields:
        if f.key.name in first:
            first_given = Label(first[f.key.name].key.span, "first given here")
            ctx.diags.error("E019", f"key '{f.key.name}' is given twice", f.key.span,
                            labels=[first_given])  # fmt: skip
        else:
            first[f.key.name] = f
    return list(first.values())


def plain_value(value: ast.Value, ctx: Ctx) -> Any:
    """A literal as plain data (for kwargs): strings, numbers, names, lists, objects."""
    if isinstance(value, ast.Str):
        return value.value
    if isinstance(value, ast.Number):
        return value.value
    if isinstance(value, ast.Percent):
        return value.value
    if isinstance(value, ast.Duration):
        return value.seconds
    if isinstance(value, ast.Time):
        return value.text
    if isinstance(value, ast.Ref):
        if value.dotted in ("true", "false"):
            return value.dotted == "true"
        if value.dotted == "null":
            return None  # imported records hold JSON nulls
        return value.dotted
    if isinstance(value, ast.ListValue):
        return [plain_value(v, ctx) for v in value.items]
    if isinstance(value, ast.Object):
        return {f.key.name: plain_value(f.value, ctx) for f in distinct_fields(value, ctx)}
    return wrong_type(ctx, value, "a plain value (string, number, name, list or object)")


class SelectorT(Type):
    """A read-rule selector: `Alice`, `role("IT Admin")`, `authority >= 5`, `everyone`."""

    describe = 'a user, role("..."), authority >= N or everyone'

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Ref) and value.dotted == "everyone":
            return Selector("everyone", value.span)
        if isinstance(value, ast.Ref):
            sym = ctx.resolve(value, ("user", "role"))
            if sym is None:
                return INVALID
            if sym.kind == "role":
                return Selector("role", value.span, role=sym.name)
            return Selector("user", value.span, user=sym.name)
        if isinstance(value, ast.Call) and value.func.dotted == "role":
            if len(value.args) == 1 and isinstance(value.args[0].value, ast.Str):
                return Selector("role", value.span, role=value.args[0].value.value)
            if len(value.args) == 1 and isinstance(value.args[0].value, ast.Ref):
                sym = ctx.resolve(value.args[0].value, ("role",))
                return Selector("role", value.span, role=sym.name) if sym else INVALID
            return wrong_type(ctx, value, 'role("title") with one role title')
        if isinstance(value, ast.Compare) and value.left.dotted == "authority":
            if not isinstance(value.right, ast.Number):
                return wrong_type(ctx, value.right, "a number after the comparison")
            return Selector(
                "authority", value.span, op=value.op, bound=_as_float(value.right.value)
            )
        return wrong_type(ctx, value, self.describe)


# ---- conditions ----------------------------------------------------------------
# name -> (positional argument kinds, allowed keyword names, what it means): each
# family's conditions about its outcome, then the ones that combine conditions
# the ones that combine conditions; each installed family's own come first (`conditions`)
COMBINERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "all": (("condition*",), (), "every listed condition holds"),
    "any": (("condition*",), (), "at least one listed condition holds"),
}


def conditions() -> dict[str, tuple[tuple[str, ...], tuple[str, ...], str]]:
    """Each installed family's conditions about its outcome, then the combiners; read when
    a goal is checked, so importing this module loads no family."""
    return {
        **{n: sig for f in families.installed() for n, sig in families.get(f).conditions.items()},
        **COMBINERS,
    }


class ConditionT(Type):
    describe = "a condition such as receives(console)"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        known = conditions()
        if isinstance(value, ast.Ref) and len(value.parts) == 1 and value.dotted in known:
            value = ast.Call(value.span, value, ())
        if not isinstance(value, ast.Call):
            return wrong_type(ctx, value, self.describe)
        name = value.func.dotted
        if name not in known:
            ctx.diags.error(
                "E044",
                f"unknown condition '{name}'",
                value.func.span,
                hint=did_you_mean(name, known) or "conditions: " + ", ".join(known),
            )
            return INVALID
        kinds, keywords, _ = known[name]
        positional = [a for a in value.args if a.name is None]
        named = [a for a in value.args if a.name is not None]
        args: list[Any] = []
        variadic = bool(kinds) and kinds[0].endswith("*")
        required = [k for k in kinds if not k.endswith("?") and not k.endswith("*")]
        if not variadic and not (len(required) <= len(positional) <= len(kinds)):
            want = len(kinds) if len(required) == len(kinds) else f"{len(required)}-{len(kinds)}"
            ctx.diags.error(
                "E044",
                f"'{name}' takes {want} argument{'s' if len(kinds) != 1 else ''}, "
                f"got {len(positional)}",
                value.span,
            )
            return INVALID
        for i, arg in enumerate(positional):
            kind = kinds[0] if variadic else kinds[i]
            base = kind.rstrip("?*")
            if base == "condition":
                got = self.check(arg.value, ctx)
            elif isinstance(arg.value, ast.Ref):
                got = ctx.resolve(arg.value, (base,))
            else:
                got = wrong_type(ctx, arg.value, f"the name of a {base}")
            if got is None or got is INVALID:
                return INVALID
            args.append(got)
        kw: list[tuple[str, Any]] = []
        for arg in named:
            assert arg.name is not None
            if arg.name.name not in keywords:
                ctx.diags.error(
                    "E044",
                    f"'{name}' has no argument '{arg.name.name}'",
                    arg.name.span,
                    hint=did_you_mean(arg.name.name, keywords)
                    or (f"it takes: {', '.join(keywords)}" if keywords else "it takes none"),
                )
                return INVALID
            kw.append((arg.name.name, plain_value(arg.value, ctx)))
        return Condition(name, tuple(args), tuple(kw), value.span)


# ---- instructions (verifiable format constraints) ---------------------------------
# IFEval-style ids and the keyword arguments each takes.
# instruction id -> its argument names, from the one registry of instructions
INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    ident: tuple(INSTRUCTION_KINDS.get(ident).args) for ident in INSTRUCTION_KINDS.names()
}


class InstructionT(Type):
    """`keywords.frequency(keyword: "future", relation: "less than", frequency: 2)`."""

    describe = "an instruction such as punctuation.no_comma()"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Ref) and len(value.parts) == 2:
            value = ast.Call(value.span, value, ())
        if not isinstance(value, ast.Call) or len(value.func.parts) != 2:
            return wrong_type(ctx, value, self.describe)
        ident = ":".join(value.func.parts)
        if ident not in INSTRUCTIONS:
            dotted = [i.replace(":", ".") for i in INSTRUCTIONS]
            ctx.diags.error(
                "E013",
                f"unknown instruction '{value.func.dotted}'",
                value.func.span,
                hint=did_you_mean(value.func.dotted, dotted)
                or "see docs/language.md for the list of instruction ids",
            )
            return INVALID
        allowed = INSTRUCTIONS[ident]
        kwargs: list[tuple[str, Any]] = []
        for arg in value.args:
            if arg.name is None:
                ctx.diags.error(
                    "E014",
                    "instruction arguments are named: write `name: value`",
                    arg.span,
                    hint=f"'{value.func.dotted}' takes: {', '.join(allowed) or 'no arguments'}",
                )
                return INVALID
            if arg.name.name not in allowed:
                ctx.diags.error(
                    "E011",
                    f"'{value.func.dotted}' has no argument '{arg.name.name}'",
                    arg.name.span,
                    hint=did_you_mean(arg.name.name, allowed)
                    or f"it takes: {', '.join(allowed) or 'no arguments'}",
                )
                return INVALID
            kwargs.append((arg.name.name, plain_value(arg.value, ctx)))
        problems = INSTRUCTION_KINDS.get(ident).problems(dict(kwargs))
        if problems:
            ctx.diags.error(
                "E014",
                f"'{value.func.dotted}': {problems[0]}",
                value.span,
                hint=f"it takes: {', '.join(allowed) or 'no arguments'}",
            )
            return INVALID
        return Instruction(ident, tuple(kwargs), value.span)


@dataclass(frozen=True)
class Alias:
    """One declared phrasing of a secret (`leaks_as`): words, or a regular expression."""

    text: str
    span: Span
    regex: bool = False


class AliasT(Type):
    """`"HIV positive"` or `regex("HIV[ -]?pos(itive)?")`: how else a secret is disclosed."""

    describe = 'a phrase "..." or regex("...")'

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if isinstance(value, ast.Str):
            return Alias(value.value, value.span)
        if isinstance(value, ast.Call) and value.func.dotted == "regex":
            args = value.args
            if len(args) == 1 and args[0].name is None and isinstance(args[0].value, ast.Str):
                return Alias(args[0].value.value, args[0].value.span, regex=True)
            return wrong_type(ctx, value, 'regex("...") with one pattern in a string')
        return wrong_type(ctx, value, self.describe)


class PhrasingsT(Type):
    """`{ vegan: ["plant-based"], true: ["a wheelchair"] }`: for each value of a fact (a
    name; `_` stands for a space), other phrasings that tell it."""

    describe = "an object { value: [phrasings] }"

    def check(self, value: ast.Value, ctx: Ctx) -> Any:
        if not isinstance(value, ast.Object):
            return wrong_type(ctx, value, self.describe)
        out: dict[str, list[str]] = {}
        for f in value.fields:
            items = f.value.items if isinstance(f.value, ast.ListValue) else (f.value,)
            texts = []
            for item in items:
                if not isinstance(item, ast.Str):
                    return wrong_type(ctx, item, "a phrase in a string")
                texts.append(item.value)
            out[f.key.name.replace("_", " ")] = texts
        return out
