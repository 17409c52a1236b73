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
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from museslang.resources import stdlib_root
from museslang.source import SourceFile, display_path

MAX_OUTPUT_CHARS = 2_000_000  # a 10,000-user roster fits; a model prompt never needs more
MAX_STEPS = 2_000_000  # traced lines of template code, for templates with loops or macros
MAX_EXPONENT = 64
_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "format", "__mul__"})
_UNSAFE_FILTERS = ("center", "format", "indent", "wordwrap", "filesizeformat", "pprint")


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


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, with the operations that can build huge values bounded."""

    intercepted_binops = frozenset({"*", "**"})

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
        if isinstance(left, int) and isinstance(right, str | list | tuple):
            left, right = right, left
        sequence = isinstance(left, str | list | tuple) and isinstance(right, int)
        if sequence and right * len(left) > MAX_OUTPUT_CHARS:
            raise SecurityError(f"repeating a value {right} times is too large")
        return operator.mul(left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(__obj, "__name__", None) in _PADDING and isinstance(
            getattr(__obj, "__self__", None), str
        ):
            sizes = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
            if any(a > MAX_OUTPUT_CHARS for a in sizes):
                raise SecurityError(f"a width of {max(sizes)} is too large")
        return super().call(__context, __obj, *args, **kwargs)


def _environment() -> ImmutableSandboxedEnvironment:
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.clear()  # no range(), no dict(), no cycler: templates get data only
    for name in _UNSAFE_FILTERS:  # they pad or format to a width the template chooses
        env.filters.pop(name, None)
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


def find_template(name: str, spec_dir: Path) -> Path | None:
    """A template path as written in a spec: relative to the spec, else to stdlib/."""
    for base in (spec_dir, stdlib_root()):
        candidate = (base / name).resolve()
        try:
            candidate.relative_to(base.resolve())
        except ValueError:
            continue  # `../../etc/passwd` and friends
        if candidate.is_file():
            return candidate
    return None


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
    ) as exc:
        raise PromptError(f"{type(exc).__name__}: {exc}", _template_line(exc)) from None
