"""Scenario families: what a `family:` name means, owned by the family.

A family is a kind of multi-user task (booking a meeting, guarding documents, ...). The
core (compiler, engine, CLI, gate, generation, reports) only ever asks a `Family` what
it needs to know: which declarations and fields its scenarios read, which metrics it
scores and which one is success, which actions the agent gets, which sweep axes apply.
Behaviour (ground truth, scoring, reference players, interop) plugs into the registries
of the stage it belongs to, from modules the family lists in `hooks`; they are imported
only when a stage needs them, so declaring a family stays cheap and cycle-free.

Families come from two places: the packages in this folder, found by listing it (the core
names none of them), and installed distributions that expose a `Family` under the
entry-point group `museslang.families`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from museslang.registry import Registry

ENTRY_POINTS = "museslang.families"

# fields every family's declarations may use, for building `Family.reads`
SCENARIO_FIELDS = ("family", "title", "objective", "metrics", "template", "id", "extra")
USER_FIELDS = ("role", "authority", "persona", "behaviour", "template", "goal", "says", "extra")
CONVERSATION_PROTOCOL = ("turns", "max_turns", "prompt", "template", "ends", "first", "system",
                         "greeting")  # fmt: skip
ONE_SHOT_PROTOCOL = ("turns", "ends", "max_turns", "prompt", "template", "system")


@dataclass(frozen=True)
class Family:
    """Everything the core asks of a family before it runs one of its episodes."""

    name: str
    summary: str  # one line for `museslang families`
    # kind -> the fields its scenarios use ("*": every field); a kind missing here may not
    # appear in the family's scenarios at all (a field the family ignores would silently
    # do nothing: E024)
    reads: dict[str, tuple[str, ...]]
    metrics: tuple[str, ...]  # the metrics a spec of this family may declare, in order
    success: tuple[str, ...]  # outputs where 1.0 means the episode passed (gate, pass^k)
    actions: tuple[str, ...]  # the actions the agent is offered, by name
    # the protocol when the spec does not say: turn mode, the action that ends an episode
    # (`max_turns`: none does), agent turns
    turns: str = "addressed"
    ending: str = "max_turns"
    max_turns: int = 10
    axes: tuple[str, ...] = ()  # family-specific sweep axes it accepts
    # goal conditions about its outcome: name -> (argument kinds, keywords, what it means);
    # `personal` ones are about one user (the goal's own when none is named)
    conditions: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = field(
        default_factory=dict
    )
    personal: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # population fields its generated users cannot do without
    verbatim_users: bool = False  # LLM users send their scripted opening word for word
    min_generated_users: int = 1
    # reports: its name in prose; the MUSES Bench paper's names for its metrics (paper name,
    # museslang metric); its columns in the paper's table (position, heading, metric)
    display: str = ""
    official: tuple[tuple[str, str], ...] = ()
    paper_columns: tuple[tuple[int, str, str], ...] = ()
    rank: int = 100  # where it is listed among families (then by name)
    # a folder of its own templates (its agent prompt is `prompts/<name>.j2`), searched
    # after the spec's folder and before the standard library; museslang's own live there
    templates: str | None = None
    hooks: tuple[str, ...] = ()  # modules that register its behaviour, imported lazily
    origin: str = field(default="museslang", compare=False)  # package that provides it
    # its agent prompt template when not `prompts/<name>.j2`, and what that template is
    # given beyond what every prompt gets (episode -> variables)
    prompt: str | None = None
    variables: Callable[[Any], dict[str, Any]] | None = field(default=None, compare=False)
    docs: dict[str, str] = field(default_factory=dict)  # its metrics' descriptions
    # the module lending museslang's own robustness tests its specs, records, fuzz
    # strategy and stub replies (museslang.testing.corpus); never imported at run time
    corpus: str | None = None
    # its parts of a compiled episode's ground truth: (key, "module:type", always written
    # even when empty); read when a compiled file is loaded (ir.models.GroundTruth)
    truth: tuple[tuple[str, str, bool], ...] = ()
    # why one of its episodes failed, in one line, and the ground truth a reader needs
    # beside the transcript (`museslang show`, the report's episode view, exports):
    # "module:function" (imported when asked) or the function itself, called with the
    # episode and its result and returning a museslang.report.explain.Explanation;
    # None: the core's default, read from its success metrics and goals alone
    explain: str | Callable[[Any, Any], Any] | None = field(default=None, compare=False)
    # "module:function"s, imported when used (`hook`): the damage its actions allow to the
    # oracle's play, for the mutation audit ((episode, result) -> [Mutation],
    # runtime.mutations); and what its simulated users' messages are checked against, for
    # the simulator audit ((episode, user, text, heard) -> [(check, detail)],
    # runtime.user_audit)
    mutations: str | None = None
    user_checks: str | None = None
    # an attack family's AgentDojo triple: (the attack axis, the utility metric, the metric
    # whose value above 0 means the attack succeeded), in summaries, tables and reports
    triple: tuple[str, str, str] | None = None


FAMILIES: Registry[Family] = Registry("scenario family")
_state = {"declared": False}
_hooked: set[str] = set()  # hook modules imported so far
_loaded: set[str] = set()  # the kinds of hook loaded ("": all of them)
BROKEN: list[str] = []  # entry points that failed to load, and why (`museslang families`)


def declared() -> Registry[Family]:
    """Every known family, declarations only (no behaviour imported)."""
    if not _state["declared"]:
        _state["declared"] = True
        found: list[Family] = []
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.ispkg:
                found.append(importlib.import_module(f"{__name__}.{info.name}").FAMILY)
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
    return declared().get(name)


def find(name: str) -> Family | None:
    """The family, or None for a name nothing installed declares (results written by a
    family that is not installed here are still read and summarised)."""
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
STAGES = ("actions", "checks", "lower")
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
