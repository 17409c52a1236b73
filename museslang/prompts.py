"""Jinja2 prompt templates, always rendered in a sandbox.

Templates may come from a spec's own directory, i.e. from whoever wrote the
spec, so they render in Jinja2's `ImmutableSandboxedEnvironment`: no access to
Python internals, no mutation of the values passed in, no globals (no
`range`, no loader, so no `include` of a file). On top of Jinja's sandbox,
every way we know to make a render run without bound is closed: the output
size is capped, `*` and `**` refuse results beyond that cap, the padding
methods and filters (`ljust`, `center`, `format`, ...) refuse widths beyond
it, and a template with loops or macros runs under a step budget, so nested
loops that print nothing still stop. `StrictUndefined` turns a misspelt
variable into an error instead of an empty string silently baked into every
episode.
"""

from __future__ import annotations

import operator
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes, pass_eval_context
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter, SecurityError

from museslang.resources import stdlib_root
from museslang.source import SourceFile, display_path

MAX_OUTPUT_CHARS = 2_000_000  # a 10,000-user roster fits; a model prompt never needs more
MAX_VALUE_CHARS = MAX_OUTPUT_CHARS  # no single string or list a template builds may exceed it
MAX_STEPS = 2_000_000  # traced lines of template code, for templates with loops or macros
MAX_EXPONENT = 64
MAX_INT_BITS = 65_536  # integers a template computes (10**64 squared a few times stops here)
MAX_WIDTH = 10_000  # a padding width, format width or precision, tab size, indent
MAX_PARTS = 10_000  # slices and batch sizes
_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "format", "__mul__"})
_UNSAFE_FILTERS = ("center", "format", "indent", "wordwrap", "filesizeformat", "pprint")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


class PromptError(Exception):
    """A template failed to parse or render; `line` is within the template file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class PromptTemplate:
    path: Path
    display: str
    text: str


def _size(value: Any) -> int:
    """Characters (or items) a value holds, for the bounds below; 0 for other values."""
    return len(value) if isinstance(value, str | list | tuple) else 0


def _bounded(size: int, what: str) -> None:
    if size > MAX_VALUE_CHARS:
        raise SecurityError(f"{what} would build a value of {size:,} characters "
                            f"(at most {MAX_VALUE_CHARS:,})")  # fmt: skip


def _check_widths(numbers: list[int], what: str) -> None:
    if any(n > MAX_WIDTH for n in numbers):
        raise SecurityError(f"{what} width {max(numbers):,} is too large (at most {MAX_WIDTH:,})")


def _percent_format(template: str, args: Any) -> None:
    """`"%999999999d" % 1` and `"%*d" % (10**9, 1)` would allocate gigabytes."""
    widths: list[int] = []
    for m in _PERCENT_SPEC.finditer(template):
        widths += [int(g) for g in m.groups() if g and g != "*"]
    values = args if isinstance(args, tuple) else (args,)
    widths += [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    _check_widths(widths, "a % format")
    _bounded(len(template) + sum(_size(v) for v in values), "% formatting")


def _replaced_size(text: str, old: str, new: str, count: int = -1) -> int:
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, with every operation that can build a huge value bounded by the
    size of what it produces (not by how many steps it takes): one `replace`, one `%`,
    one `~` can allocate gigabytes in a single step."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
            big = (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() * right > 4096
            )
            if big:
                raise SecurityError("the power is too large")
            return operator.pow(left, right)
        if op == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                _bounded(len(left) + len(right), "joining two values")
            return operator.add(left, right)
        if op == "%":
            if isinstance(left, str):
                _percent_format(left, right)
            return operator.mod(left, right)
        if isinstance(left, int) and isinstance(right, str | list | tuple):
            left, right = right, left
        sequence = isinstance(left, str | list | tuple) and isinstance(right, int)
        if sequence and right * len(left) > MAX_VALUE_CHARS:
            raise SecurityError(f"repeating a value {right} times is too large")
        numbers = isinstance(left, int) and isinstance(right, int)
        if numbers and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError("the product is too large")
        return operator.mul(left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", None)
        if isinstance(owner, str):
            args = _check_string_method(owner, name, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        """`"{:999999999}".format(1)`: every field's width and precision is checked once
        nested fields are filled in, before the formatter pads anything."""
        if not isinstance(value, types.MethodType | types.BuiltinMethodType):
            return None
        owner, name = getattr(value, "__self__", None), value.__name__
        if name not in ("format", "format_map") or not isinstance(owner, str):
            return None
        formatter = _BoundedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if name == "format_map":
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one mapping")
                args, kwargs = (), args[0]
            return str(formatter.vformat(owner, args, kwargs))

        return wrapper

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # the default renders "Undefined" into the prompt where `map(attribute=...)` or a
        # generator swallows the error; an unsafe attribute is an error, always
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} "
                            "object is unsafe")  # fmt: skip


_FIELD_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d+)?[,_]?(?:\.(\d+))?")


class _BoundedFormatter(SandboxedFormatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        m = _FIELD_SPEC.match(format_spec)
        if m is not None:
            _check_widths([int(g) for g in m.groups() if g], "a format")
        return super().format_field(value, format_spec)


def _check_string_method(owner: str, name: str | None, args: tuple, kwargs: dict) -> tuple:
    """Refuse a str method call whose result would be too large; returns the arguments to
    call it with (an iterator given to join is read here, so it is passed on as a list)."""
    numbers = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
    if name in _PADDING:
        _check_widths(numbers, f"a {name}")
    elif name == "expandtabs":
        size = numbers[0] if numbers else 8
        _check_widths([size], "a tab")
        _bounded(len(owner) + owner.count("\t") * size, "expandtabs")
    elif name == "replace" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
        count = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
        _bounded(_replaced_size(owner, args[0], args[1], count), "replace")
    elif name == "join" and args:
        items = list(args[0])
        size = sum(_size(i) for i in items) + len(owner) * max(len(items) - 1, 0)
        _bounded(size, "join")
        args = (items, *args[1:])
    return args


def _safe_filters(env: ImmutableSandboxedEnvironment) -> None:
    """Filters that build values: each checks the size of what it would produce first."""
    filters = env.filters
    replace, join, batch = filters["replace"], filters["join"], filters["batch"]
    slice_, tojson = filters["slice"], filters["tojson"]

    def safe_replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: Any = None) -> Any:
        text = str(s)
        _bounded(_replaced_size(text, str(old), str(new), -1 if count is None else count),
                 "replace")  # fmt: skip
        return replace(eval_ctx, s, old, new, count)

    def safe_join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value)
        size = sum(len(str(i)) if attribute is None else 0 for i in items)
        _bounded(size + len(str(d)) * max(len(items) - 1, 0), "join")
        return join(eval_ctx, items, d, attribute)

    def safe_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
        _check_widths([linecount], "a batch")
        return batch(value, linecount, fill_with)

    def safe_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
        if slices > MAX_PARTS:
            raise SecurityError(f"{slices:,} slices are too many (at most {MAX_PARTS:,})")
        return slice_(value, slices, fill_with)

    def safe_tojson(eval_ctx: Any, value: Any, indent: Any = None) -> Any:
        if isinstance(indent, int):
            _check_widths([indent], "an indent")
        return tojson(eval_ctx, value, indent)

    for name, fn, marker in (
        ("replace", safe_replace, pass_eval_context),
        ("join", safe_join, pass_eval_context),
        ("tojson", safe_tojson, pass_eval_context),
        ("batch", safe_batch, None),
        ("slice", safe_slice, None),
    ):
        filters[name] = marker(fn) if marker is not None else fn


class _BoundedConcat(CodeGenerator):
    """`a ~ b` compiles to a join the sandbox cannot see; route it through a bounded one."""

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _bounded_concat(values: tuple[Any, ...]) -> str:
    parts = [str(v) for v in values]
    _bounded(sum(len(p) for p in parts), "joining with ~")
    return "".join(parts)


def _environment() -> ImmutableSandboxedEnvironment:
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.code_generator_class = _BoundedConcat
    env.bounded_concat = _bounded_concat  # type: ignore[attr-defined]
    env.globals.clear()  # no range(), no dict(), no cycler: templates get data only
    for name in _UNSAFE_FILTERS:  # they pad or format to a width the template chooses
        env.filters.pop(name, None)
    _safe_filters(env)
    return env


_ENV = _environment()


def template_source(path: Path, text: str) -> SourceFile:
    """A template file as diagnostics show it (`<std>/prompts/...` for the standard library)."""
    return SourceFile(path, display_path(path, stdlib_root()), text)


def _template_line(exc: BaseException) -> int | None:
    """The template line a render error happened on: Jinja names its frames `<template>`."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


MAX_TEMPLATE_BYTES = 1024 * 1024


def find_template(name: str, spec_dir: Path) -> Path | None:
    """A template path as written in a spec: relative to the spec, else to an installed
    family's own template folder, else to stdlib/. A name no file can have (a NUL, a
    symlink loop, 5,000 characters) finds nothing."""
    return search_template(name, spec_dir)[0]


def search_template(name: str, spec_dir: Path) -> tuple[Path | None, list[Path]]:
    """The template found (as `find_template`), and the paths looked at before it that
    held none: a file appearing at one of those later would be found first (the compile
    cache keeps them, so that a new `prompts/x.j2` beside a spec is a miss)."""
    from museslang.family import template_folders

    looked: list[Path] = []
    if not name or "\0" in name or len(name) > 1024:
        return None, looked
    for base in (spec_dir, *template_folders(), stdlib_root()):
        try:
            candidate = (base / name).resolve()
            candidate.relative_to(base.resolve())
            if candidate.is_file():
                return candidate, looked
            looked.append(candidate)
        except (OSError, ValueError, RuntimeError):
            continue  # `../../etc/passwd` and friends, loops, odd names
    return None, looked


def read_template(path: Path) -> str:
    """A template file's text; PromptError for a file that is too large or not UTF-8."""
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise PromptError(f"the template is larger than {MAX_TEMPLATE_BYTES:,} bytes")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PromptError(f"the template is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise PromptError(f"cannot read the template: {exc.strerror}") from None


# What museslang fills in the templates it renders into messages: identity wraps (user,
# text), pool personas (name, role, age, traits), attack moves (resource, user, role,
# reader), a written family's opening, reply and tell (id, name, role, authority,
# required, users, options, me, others, message, turn, and its facts by name).
MESSAGE_VARIABLES = frozenset({
    "user", "text", "name", "role", "age", "traits", "resource", "reader", "id",
    "authority", "required", "users", "options", "me", "others", "message", "turn",
})  # fmt: skip
_PRINT = re.compile(r"(?<!\{)\{\{(?!\{)(.{0,200}?)(?<!\})\}\}(?!\})", re.S)


def unrendered(text: str, names: frozenset[str] | set[str] = MESSAGE_VARIABLES) -> str | None:
    """The first `{{ ... }}` in `text` that reads one of museslang's own template
    variables (`names`): a template nobody rendered. Braces that came with data are not
    one: `{{{title}}}` (an official record asking for a title in triple braces), `{{your
    answer}}`, `{{ placeholder }}` of a variable museslang never fills."""
    if "{{" not in text:
        return None
    for match in _PRINT.finditer(text):
        if variables_of("{{" + match[1] + "}}") & names:
            return match[0]
    return None


def variables_of(text: str) -> set[str]:
    """The variables a template reads (none for text that does not parse: the render says)."""
    from jinja2 import meta

    try:
        return set(meta.find_undeclared_variables(_ENV.parse(text)))
    except TemplateSyntaxError:
        return set()


def attributes_of(text: str, of: str | None = None) -> set[str]:
    """The attributes a template reads of the variable `of` (`mine.assign.shift`: `assign`
    of `mine`), or of anything (None: `v.budget` in a loop too); none for text that does
    not parse. What an editor's rename must not leave behind when it renames an action a
    play's `tell:` reads, or a fact."""
    from jinja2 import nodes

    try:
        tree = _ENV.parse(text)
    except TemplateSyntaxError:
        return set()
    return {
        g.attr
        for g in tree.find_all(nodes.Getattr)
        if of is None or (isinstance(g.node, nodes.Name) and g.node.name == of)
    }


def parse_template(text: str) -> None:
    try:
        _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise PromptError(exc.message or str(exc), exc.lineno) from None


@lru_cache(maxsize=256)
def _compiled(text: str):
    return _ENV.from_string(text)


_PLAIN_FIELD = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")


@lru_cache(maxsize=256)
def _plain_parts(text: str) -> tuple[str, ...] | None:
    """Split a template that only substitutes variables ('<{{user}}>{{text}}') into
    literal/name parts, or None when it uses anything else Jinja offers."""
    parts = _PLAIN_FIELD.split(text)
    literals = parts[0::2]
    if any(marker in lit for lit in literals for marker in ("{{", "{%", "{#", "}}", "%}", "#}")):
        return None
    if text.endswith("\n"):
        return None  # Jinja would drop the trailing newline; let it
    return tuple(parts)


class _OutOfSteps(Exception):
    pass


def _budgeted(chunks: Iterator[str]) -> Iterator[str]:
    """Run the template's generator under a line budget (sys.settrace, restored after)."""
    steps = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += 1
        if steps > MAX_STEPS:
            raise _OutOfSteps
        return tracer

    previous = sys.gettrace()
    while True:
        sys.settrace(tracer)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except _OutOfSteps:
            raise PromptError(f"the template ran more than {MAX_STEPS} steps") from None
        finally:
            sys.settrace(previous)
        yield chunk


def render(text: str, variables: dict[str, Any]) -> str:
    """Render a template in the sandbox. Templates that only substitute plain string
    variables (identity wraps, rendered once per message) skip Jinja: same output, 20x faster."""
    parts = _plain_parts(text)
    if parts is not None and all(isinstance(variables.get(n), str) for n in parts[1::2]):
        return "".join(p if i % 2 == 0 else variables[p] for i, p in enumerate(parts))
    try:
        template = _compiled(text)
        out: list[str] = []
        size = 0
        chunks = template.generate(**variables)
        if "{%" in text:  # loops and macros can run long without printing anything
            chunks = _budgeted(chunks)
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise PromptError(f"the template produced more than {MAX_OUTPUT_CHARS} characters")
            out.append(chunk)
        return "".join(out)
    except TemplateSyntaxError as exc:
        raise PromptError(exc.message or str(exc), exc.lineno) from None
    except SecurityError as exc:
        raise PromptError(f"unsafe template operation: {exc}", _template_line(exc)) from None
    except TemplateError as exc:
        raise PromptError(str(exc), _template_line(exc)) from None
    except (
        TypeError,
        ValueError,
        AttributeError,
        KeyError,
        IndexError,
        ZeroDivisionError,
        OverflowError,
        RecursionError,
        MemoryError,
    ) as exc:
        raise PromptError(f"{type(exc).__name__}: {exc}", _template_line(exc)) from None
