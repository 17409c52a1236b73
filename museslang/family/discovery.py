"""Finding the families: the packages of the plug-in folder `museslang.families` (listed,
never named) and installed distributions exposing a `Family` under the entry-point group
`museslang.families`. Nothing runs at import; the first lookup lists them. Reading the
folder's `__path__` is this floor's one import up the house (docs/architecture.md): the
family packages themselves are imported with `importlib`, which is what plug-in discovery is.

A family's behaviour (ground truth, scoring, interop) still plugs into the registries of
the stage it belongs to, from modules the family lists in `hooks` (`load`); they are
imported only when a stage needs them. What it brings as values (`parts`, `players`, `users`,
`own_actions`, `checks`) is imported with its declaration.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from museslang.family.model import Family
from museslang.family.scope import overlay
from museslang.registry import Registry

ENTRY_POINTS = "museslang.families"

FAMILIES: Registry[Family] = Registry("scenario family")
_state = {"declared": False}
_hooked: set[str] = set()  # hook modules imported so far
_loaded: set[str] = set()  # the kinds of hook loaded ("": all of them)
BROKEN: list[str] = []  # entry points that failed to load, and why (`museslang families`)


def declared() -> Registry[Family]:
    """Every known family, declarations only (no behaviour imported)."""
    if not _state["declared"]:
        _state["declared"] = True
        from museslang import families as _folder  # the plug-in folder: read when first asked

        found: list[Family] = []
        for info in sorted(pkgutil.iter_modules(_folder.__path__), key=lambda m: m.name):
            if info.ispkg and not info.name.startswith("_"):  # `_*`: not a family
                found.append(importlib.import_module(f"{_folder.__name__}.{info.name}").FAMILY)
        # museslang's own are declared before any plug-in loads: a plug-in whose entry point
        # imports more than its declaration would otherwise see no family at all (and
        # modules that read the families when imported would keep that empty view)
        for family in sorted(found, key=lambda f: (f.rank, f.name)):
            _add(family)
        found = []
        for ep in sorted(entry_points(group=ENTRY_POINTS), key=lambda e: e.name):
            try:
                family = ep.load()
            except Exception as exc:  # a broken plug-in must not take museslang down with it
                BROKEN.append(f"{ep.name} ({ep.value}): {type(exc).__name__}: {exc}")
                continue
            if not isinstance(family, Family):
                BROKEN.append(f"{ep.name} ({ep.value}): not a museslang Family")
                continue
            dist = getattr(ep, "dist", None)
            found.append(replace(family, origin=dist.name if dist is not None else ep.value))
        for family in sorted(found, key=lambda f: (f.rank, f.name)):
            _add(family)
    return FAMILIES


def _add(family: Family) -> None:
    if family.name not in FAMILIES:
        FAMILIES.register(family.name)(family)


def display(name: str) -> str:
    """The family's name in prose (an unknown family, or one written in museslang, which
    may or may not be registered in this process: its name, so output never depends on
    what else the process checked)."""
    family = find(name)
    if family is not None and family.origin == WRITTEN:
        family = None
    return (family.display if family and family.display else name).replace("_", " ")


def success_metric(name: str) -> str:
    """The metric that says an episode of this family passed: its first success output,
    or `success` for a family not installed here (one written in museslang reports it)."""
    family = find(name)
    return family.success[0] if family is not None and family.success else "success"


def explainer(name: str) -> Callable[[Any, Any], Any] | None:
    """The family's `explain` hook, imported; None for a family that lends none (or one
    not installed here)."""
    return hook(find(name), "explain")


def template_folders() -> list[Path]:
    """The template folders families bring with them, in listing order."""
    found = declared()
    return [Path(t) for n in found if (t := found.get(n).templates)]


def get(name: str) -> Family:
    """The family: one `using` lays over the installed ones first, else an installed one."""
    over = overlay().get(name)
    return over if over is not None else declared().get(name)


def find(name: str) -> Family | None:
    """The family, or None for a name nothing installed declares (results written by a
    family that is not installed here are still read and summarised)."""
    over = overlay().get(name)
    if over is not None:
        return over
    found = declared()
    return found.get(name) if name in found else None


def names() -> list[str]:
    return declared().names()


WRITTEN = "museslang.authored"  # the origin of families written in museslang


def installed() -> list[str]:
    """The families a spec may name without declaring them: this folder's and plug-ins',
    not those written in museslang (registered while a spec that declares one runs)."""
    found = declared()
    return [n for n in found.names() if found.get(n).origin != WRITTEN]


# the hook modules a stage loads by name before it runs (`load("lower")`); any other
# module is loaded with every stage
STAGES = ("lower",)
# hook modules only the stage named for them loads: the official interchange format, which
# a check or a run never reads (importing it cost a third of a first `check`), and the
# audits' modules, which `Family.mutations` and `Family.user_checks` name
ON_REQUEST = frozenset({"muses_bench", "muses_bench_results", "mutations", "user_checks"})


def load(*kinds: str) -> Registry[Family]:
    """Every family, with its behaviour registered in the stages' registries: all of its
    hooks, or only those whose module is named one of `kinds` (`load("checks")`). The
    `ON_REQUEST` modules load only when named."""
    found = declared()
    wanted = set(kinds) or {""}
    if wanted <= _loaded or ("" in _loaded and not wanted & ON_REQUEST):
        return found  # the usual case: every stage asks on every call
    for name in found:
        for module in found.get(name).hooks:
            stage = module.rsplit(".", 1)[-1]
            # a module named for no stage (a plug-in's one `hooks`) may register anything
            if stage in ON_REQUEST:
                wanted_here = stage in kinds
            else:
                wanted_here = not kinds or stage in kinds or stage not in STAGES
            if module not in _hooked and wanted_here:
                importlib.import_module(module)
                _hooked.add(module)
    _loaded.update(wanted)
    return found


def own_modules(package: str, path: list[str]) -> tuple[str, ...]:
    """Every module in a family's own folder, as its hooks: a module there registers
    what it owns, or is a helper the others import anyway. Call it from the family's
    `__init__.py` as `own_modules(__name__, __path__)`."""
    found = pkgutil.iter_modules(path)
    return tuple(f"{package}.{m.name}" for m in sorted(found, key=lambda m: m.name)
                 if not m.ispkg and m.name != "corpus")  # fmt: skip


def hook(family: Family | None, name: str) -> Callable[..., Any] | None:
    """The function a family names in one of its hook fields ("module:function", imported
    now, or the function itself), or None."""
    where = getattr(family, name, None) if family is not None else None
    if not isinstance(where, str):
        return where
    module, _, attr = where.partition(":")
    return getattr(importlib.import_module(module), attr)
