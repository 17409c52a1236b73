"""Families in use without being installed: `using(families)` lays them over the installed
ones for the code it surrounds, and `written(decl)` turns a family written in museslang
into its `Family` value.

A check must not change what the process knows (checking one spec and then another gave
answers that depended on the order), so the checker binds a written family's value to the
scenarios that use it and looks it up through this overlay, which lives in a `ContextVar`:
it ends with the `with` block, and a thread or task started inside carries it only when
started in a copy of the context.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from museslang.family.model import Family

_OVERLAY: ContextVar[Mapping[str, Family] | None] = ContextVar("museslang_families", default=None)

# builds a written family's value; imported by name, as plug-in discovery imports the
# family packages, so that nothing below the written family's own floor imports it
WRITTEN_FAMILY = "museslang.authored.install"


def overlay() -> Mapping[str, Family]:
    """The families laid over the installed ones here ({} outside any `using`)."""
    return _OVERLAY.get() or {}


@contextmanager
def using(found: Iterable[Family]) -> Iterator[None]:
    """Look these families up first (by name) inside the block, the outer overlay's after."""
    token = _OVERLAY.set({**overlay(), **{f.name: f for f in found}})
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def written(decl: Any) -> Family:
    """The `Family` value of a checked family declaration (an `ir.AuthoredFamily`); equal
    declarations give the same object. Nothing is registered."""
    return importlib.import_module(WRITTEN_FAMILY).family_value(decl)
