"""What each family lends museslang's own robustness tests.

The hostile-input corpus, the fuzzer and the stub server need specs, records and replies
of real families. Each family keeps its share in its own folder (`corpus.py`, named by
`Family.corpus`), so this package names no family. A corpus module is imported only from
here, never at run time (the fuzz strategies need the dev extra, hypothesis).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from museslang import family as families
from museslang.registry import Registry


@dataclass(frozen=True)
class StubTurn:
    """One chat request to the stub server, as a family's stub play reads it."""

    tools: set[str]
    system: str
    turn: int  # the agent's turn: 1 + the assistant messages so far
    texts: str  # every user message so far, joined


@dataclass(frozen=True)
class Corpus:
    # a small valid scenario of the family with `{body}` where more fields go (doubled
    # braces for literal ones): the hostile specs are built on the first family's
    base: str | None = None
    # hostile specs only this family's fields can write: scale -> (name, text)
    hostile: Callable[[int], list[tuple[str, str | bytes]]] = lambda scale: []
    # one official record of the family, its fields overridable (hostile record files)
    record: Callable[..., dict[str, Any]] | None = None
    # a hypothesis strategy drawing the lines of a valid scenario body
    fuzz: Callable[[], Any] | None = None
    # the stub server's facilitator for the family's actions (None: not this family's)
    stub: Callable[[StubTurn], Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


CORPORA: Registry[Corpus] = Registry("test corpus")


def corpora() -> list[tuple[str, Corpus]]:
    """Every installed family's corpus, in the families' order."""
    found = families.declared()
    out = []
    for name in families.installed():
        module = found.get(name).corpus
        if module is None:
            continue
        if name not in CORPORA:
            importlib.import_module(module)
        if name in CORPORA:
            out.append((name, CORPORA.get(name)))
    return out


def base() -> tuple[str, str]:
    """The first family that lends a base spec: its name and the spec."""
    return next((n, c.base) for n, c in corpora() if c.base is not None)


def record(**extra: Any) -> dict[str, Any]:
    """An official record of the first family that lends one."""
    make = next(c.record for _, c in corpora() if c.record is not None)
    return make(**extra)
