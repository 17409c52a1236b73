"""What the four MUSES Bench families share: the family adapter type and its
registry, personas in `<Name_persona>` tags, speaker-identity wrapping, and
the standard-library names an imported spec can use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from museslang.diagnostics import Diagnostics
from museslang.interop.muses_bench.records import Fields, RecordError
from museslang.ir.models import EpisodeGraph, Participant
from museslang.prompts import PromptError, render
from museslang.registry import Registry
from museslang.resources import stdlib_root
from museslang.source import SourceFile
from museslang.syntax import ast
from museslang.syntax.parser import parse_source
from museslang.syntax.writer import Decl, Ref, is_name, name_for

# how `xml_persona_entry` wraps a persona, as identity templates wrap messages:
# around a block of lines, or inline
BLOCK = "<{{user}}_persona>\n{{text}}\n</{{user}}_persona>"
INLINE = "<{{user}}_persona>{{text}}</{{user}}_persona>"


@dataclass
class Imported:
    """One record as museslang source: the scenario and the std modules it needs."""

    scenario: Decl
    imports: set[str] = field(default_factory=set)
    text: str = ""  # the scenario as source, once written


@dataclass(frozen=True)
class Family:
    """One family's mapping between official records and museslang.

    `detect` says whether a record is of this family, `scenario` writes it as a
    declaration, and `record` writes a compiled episode back in the family's
    official layout (field names, nesting and value formats).
    """

    name: str  # the museslang family
    keys: frozenset[str]  # top-level keys that identify the family's records
    scenario: Callable[[Fields, set[str]], Imported]
    record: Callable[[EpisodeGraph], dict[str, Any]]
    # what of an episode its record cannot hold (each: what, and why), beyond `common_losses`
    losses: Callable[[EpisodeGraph], list[str]] = lambda ep: []
    label: str = ""  # the scenario kind in words, for the imported file's header
    many_openings: bool = False  # a record holds several messages per user

    def detect(self, data: dict[str, Any]) -> int:
        """How many of the family's identifying keys the record has."""
        return len(self.keys & data.keys())


FAMILIES: Registry[Family] = Registry("MUSES Bench family")


def persona_entry(p: Participant, layout: str) -> str:
    return wrap(layout, p.id, p.persona or "")


def user_decl(u: Fields, taken: set[str], layout: str) -> tuple[Decl, dict[str, Any]]:
    """A user declaration with the fields every family has (id, role, persona, goal),
    and the user's `extra:` so far."""
    uid = u.need("id", str)
    if not is_name(uid):
        raise RecordError(u.where("id"), f"'{uid}' cannot be a museslang user name")
    if uid in taken:
        raise RecordError(u.where("id"), f"user '{uid}' appears twice")
    taken.add(uid)
    decl = Decl("user", uid)
    decl.set("role", u.text("role"))
    extra: dict[str, Any] = {}
    entry = u.text("xml_persona_entry")
    if entry is not None:
        inner = unwrap(layout, uid, entry)
        if inner is None:
            decl.set("persona", entry)
            extra["xml_persona_entry"] = entry
        else:
            decl.set("persona", inner)
    return decl, extra


def finish_user(decl: Decl, u: Fields, extra: dict[str, Any], *, goal: bool = True) -> Decl:
    """Add the goal, then whatever of the user the family did not read, as `extra:`."""
    if goal:
        decl.set("goal", u.text("goal"))
    extra.update(u.rest())
    decl.set("extra", extra)
    return decl


def finish_scenario(
    sc: Decl, rec: Fields, extra: dict[str, Any], system: str, greeting: str | None = None
) -> None:
    """The protocol with the record's own system prompt (and the runner's scripted
    greeting, where it opens with one), and the unread keys as `extra:`."""
    sc.add(Decl("protocol").set("system", system).set("greeting", greeting))
    extra.update(rec.rest())
    sc.set("extra", extra)


def scenario_decl(rec: Fields, family: str, taken: set[str]) -> Decl:
    rid = rec.need("id", str)
    if not rid:
        raise RecordError(rec.where("id"), "is empty")
    name = rid if is_name(rid) and rid not in taken else None
    decl = Decl("scenario", name or name_for(rid, taken), rec.text("scenario"))
    if name is not None:
        taken.add(name)
    decl.set("family", Ref(family))
    decl.set("id", rid)  # the sweep that labels the record's cell would otherwise rename it
    return decl


def export_users(ep: EpisodeGraph, fields: Callable[[Participant], dict[str, Any]]):
    """Each participant as the family writes it, with their `extra:` laid over."""
    out = []
    for p in ep.participants:
        user = fields(p)
        user.update(p.extra)
        out.append(user)
    return out


def common_losses(ep: EpisodeGraph) -> list[str]:
    """What no official record holds, whatever its family."""
    out = [
        f"goal '{g.name or i}' (official records score no goals)" for i, g in enumerate(ep.goals)
    ]
    out += [
        f"{p.id}'s messages after the first (a record holds one opening per user)"
        for p in ep.participants
        if len(p.says) > 1 and not (ep.family in FAMILIES and FAMILIES.get(ep.family).many_openings)
    ]
    return out


def finish_record(ep: EpisodeGraph, record: dict[str, Any]) -> dict[str, Any]:
    """The episode's `extra:` (fields museslang does not model) laid over the record."""
    record.update(ep.extra)
    return record


# ---- the standard library, as far as importers need it -------------------------


@cache
def _std_decls(module: str) -> tuple[ast.Decl, ...]:
    path = stdlib_root() / f"{module}.muses"
    source = SourceFile(path, f"<std>/{module}.muses", path.read_text(encoding="utf-8"))
    return tuple(parse_source(source, Diagnostics()).decls)


def std_names(module: str, kind: str) -> list[str]:
    return [d.name.name for d in _std_decls(module) if d.kind.name == kind and d.name]


@cache
def std_wraps() -> dict[str, str]:
    """std.identity's templates: name -> wrap."""
    out = {}
    for d in _std_decls("identity"):
        for f in d.fields:
            if d.name and f.key.name == "wrap" and isinstance(f.value, ast.Str):
                out[d.name.name] = f.value.value
    return out


def wrap(template: str, user: str, text: str) -> str:
    try:
        return render(template, {"user": user, "text": text})
    except PromptError:
        return text


def unwrap(template: str, user: str, message: str) -> str | None:
    """The text inside a message wrapped by `template`, or None if it does not fit."""
    marker = "\x00MUSES\x00"
    head, _, tail = wrap(template, user, marker).partition(marker)
    if message.startswith(head) and message.endswith(tail):
        inner = message[len(head) : len(message) - len(tail)]
        if wrap(template, user, inner) == message:
            return inner
    return None
