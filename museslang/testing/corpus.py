"""What each family lends museslang's own robustness tests.

The hostile-input corpus, the fuzzer and the stub server need specs, records and replies
of real families. Each family keeps its share in its own folder (`corpus.py`, named by
`Family.corpus`), so this package names no family. A corpus module is imported only from
here, never at run time (the fuzz strategies need the dev extra, hypothesis).

A corpus module sits with its family, floors below this package, so it imports nothing
from here: it declares plain names (`BASE`, `hostile(scale)`, `record(**extra)`,
`fuzz(kit)`, `stub(turn, reply)`) and this module builds its `Corpus` from them; the
fuzzer hands `fuzz` its helpers (`Kit`), the stub server hands `stub` its reply type. A
family of another package may instead register a `Corpus` in `CORPORA` itself.
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
    # a hypothesis strategy drawing the lines of a valid scenario body, from the fuzzer's
    # helpers (`Kit`)
    fuzz: Callable[[Kit], Any] | None = None
    # the stub server's facilitator for the family's actions (None: not this family's),
    # given the turn and the stub server's reply type to build its answer with
    stub: Callable[[StubTurn, Callable[..., Any]], Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


CORPORA: Registry[Corpus] = Registry("test corpus")


@dataclass(frozen=True)
class Kit:
    """What a corpus's `fuzz` is handed (by museslang.testing.fuzz): the fuzzer's names,
    words and slots, and its text strategy."""

    names: list[str]
    words: list[str]
    slots: list[str]
    text: Callable[[Any], str]


def _from_module(module: Any) -> Corpus | None:
    """The corpus a family's module declares by its names, or None when it declares none."""
    hooks = ("BASE", "hostile", "record", "fuzz", "stub")
    if not any(hasattr(module, h) for h in hooks):
        return None
    return Corpus(
        base=getattr(module, "BASE", None),
        hostile=getattr(module, "hostile", lambda scale: []),
        record=getattr(module, "record", None),
        fuzz=getattr(module, "fuzz", None),
        stub=getattr(module, "stub", None),
    )


def corpora() -> list[tuple[str, Corpus]]:
    """Every installed family's corpus, in the families' order."""
    found = families.declared()
    out = []
    for name in families.installed():
        module = found.get(name).corpus
        if module is None:
            continue
        if name not in CORPORA:
            made = _from_module(importlib.import_module(module))
            if made is not None and name not in CORPORA:  # it may have registered itself
                CORPORA.register(name)(made)
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
