"""Guards: defences that stand between the agent and the users, chosen by name.

A guard sees what the agent is about to do before it happens — each tool call, and each
message a call would deliver, with its recipients — with the episode's compiled ground
truth at hand (`GuardContext.episode.truth`), and answers with a `Verdict`: pass it,
rewrite it (redact a span, drop a recipient, send one copy per group of recipients), block
it with a note the agent receives, or ask the agent to try the turn again (at most
`MAX_RETRIES` times; a retry past that blocks). Prompt-side guards change what the agent
reads instead: its system prompt (`system`), each user's message as it is shown to it
(`incoming`: spotlighting's delimiters), and a line after every turn (`reminder`: the
policy repeated). The engine records every verdict but `pass` on the result
(`EpisodeResult.interventions`); what a prompt-side guard does is the same on every turn
and is not an intervention.

Guards are plug-ins with one registry (`GUARDS`), filled from three places, read the
first time a guard is looked up: museslang's own (`BUILT_IN`, imported by name), the
guards a family brings (`Family.guards`; read again whenever a family is installed or
changed, as one written in museslang is while a process runs), and installed packages
exposing a `Guard` under the entry-point group `museslang.guards`. A guard that fails to
load is named in `BROKEN` (`museslang guards` lists it, exit 1) and the others keep
working.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Literal

from museslang import family as families
from museslang.actions import Action
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import ActionRecord, EpisodeResult, Message
from museslang.registry import Registry

ENTRY_POINTS = "museslang.guards"
MAX_RETRIES = 2  # a turn a guard asks again is asked at most this often, then blocked
AXIS = "guards"  # the axis of an episode's cell that names its guard setting
NONE = "none"  # the guard setting without any guard (a `guards:` axis value, `--guard none`)
SEPARATOR = "+"  # a stack of guards as one setting: `acl+spotlight` (`--guard acl,spotlight`)
# museslang's own guards, imported when first asked (the guards live above the runtime)
BUILT_IN = (
    "museslang.guards.acl:GUARD",
    "museslang.guards.spotlight:GUARD",
    "museslang.guards.policy:GUARD",
)

Act = Literal["pass", "rewrite", "block", "retry"]


@dataclass(frozen=True)
class Verdict:
    """A guard's answer about one call or one message."""

    action: Act
    reason: str = ""
    target: str | None = None  # what it acted on, in words: a recipient, a call, a span
    # rewrite of a message: what is delivered instead (one copy per group of recipients)
    messages: tuple[Message, ...] = ()
    call: Action | None = None  # rewrite of a call: the call that runs instead


PASS = Verdict("pass")


@dataclass
class GuardContext:
    """What a guard may read about the episode so far. `memo` is the guard's own scratch
    for this episode (per guard name), for what it prepares once and reads every turn."""

    episode: EpisodeGraph
    turn: int
    transcript: list[Message]
    actions: list[ActionRecord]
    memos: dict[str, dict[str, Any]] = field(default_factory=dict)
    tries: int = 0  # how often this turn has been asked again (a retry past MAX_RETRIES blocks)

    def memo(self, guard: Guard) -> dict[str, Any]:
        return self.memos.setdefault(guard.name, {})

    def result(self) -> EpisodeResult:
        """The episode so far as a result, for hooks that read one (what a family
        protects, `metrics.leak_record.protected`)."""
        e = self.episode
        return EpisodeResult(id=e.id, scenario=e.scenario, family=e.family, cell=e.cell,
                             sample=e.sample, seed=e.seed, agent="", users="", status="ok",
                             turns=self.turn, transcript=list(self.transcript),
                             actions=list(self.actions), latency_s=0.0)  # fmt: skip


class Guard:
    """A guard. Override what it acts on; every method left alone passes. One instance
    serves every episode of a run, so per-episode state goes in `GuardContext.memo`."""

    name: str = ""
    summary: str = ""  # one line for `museslang guards`
    families: tuple[str, ...] = ()  # the families it applies to; empty: every family
    side: str = "action"  # action (calls and messages) or prompt, for the listing
    origin: str = "museslang"  # the package that provides it

    def applies(self, family: str) -> bool:
        return not self.families or family in self.families

    def system(self, ctx: GuardContext, prompt: str) -> str:
        """The agent's system prompt, changed once at the start of the episode."""
        return prompt

    def incoming(self, ctx: GuardContext, message: Message) -> str:
        """A user's message as the agent reads it (the transcript keeps what was sent)."""
        return message.text

    def reminder(self, ctx: GuardContext) -> str | None:
        """A line the agent reads after every turn's replies, or None."""
        return None

    def call(self, ctx: GuardContext, action: Action) -> Verdict:
        """A tool call the agent made, before it runs."""
        return PASS

    def message(self, ctx: GuardContext, message: Message) -> Verdict:
        """A message a call would deliver (`to`: its recipients), before anyone gets it."""
        return PASS


GUARDS: Registry[Guard] = Registry("guard")
BROKEN: list[str] = []  # guards that failed to load, and why
_state: dict[str, Any] = {"declared": False}
# family name -> (the Family value its guards were read from, those guards with where each
# comes from, those that failed to load): a family written in museslang is installed while
# the process runs, and again with other guards when its declaration changes, so its
# guards are read again whenever it does; `_taken` are the names the families' guards
# hold in `GUARDS`, and `_refused` what of BROKEN their last reading put there
_brought: dict[str, tuple[Any, list[tuple[Any, str]], list[str]]] = {}
_taken: list[str] = []
_refused: list[str] = []


def _load(where: str) -> Any:
    module, _, attr = where.partition(":")
    return getattr(importlib.import_module(module), attr)


def _add(guard: Any, where: str, origin: str | None) -> bool:
    if not isinstance(guard, Guard) or not guard.name:
        BROKEN.append(f"{where}: not a museslang Guard with a name")
        return False
    if guard.name in GUARDS or guard.name == NONE:
        BROKEN.append(f"{where}: guard {guard.name!r} is declared twice")
        return False
    if origin is not None:
        guard.origin = origin
    GUARDS.register(guard.name)(guard)
    return True


def _of_family(name: str, fam: Any) -> tuple[list[tuple[Any, str]], list[str]]:
    """The guards a family brings, with where each comes from, and those that failed to
    load. A hook string names a Guard, or a function that makes the family's guards from
    its Family value (a family written in museslang declares its own:
    museslang.guards.declared)."""
    found: list[tuple[Any, str]] = []
    failed: list[str] = []
    for brought in fam.guards:
        where = brought if isinstance(brought, str) else f"{name}:{brought.name}"
        try:
            made = _load(brought) if isinstance(brought, str) else brought
            if callable(made) and not isinstance(made, Guard):
                made = made(fam)
        except Exception as exc:  # a family's broken guard must not stop the others
            failed.append(f"{where}: {type(exc).__name__}: {exc}")
            continue
        found += [(g, where) for g in (made if isinstance(made, list | tuple) else [made])]
    return found, failed


def _families() -> None:
    """Read the guards of every family whose value is new or changed since last time, and
    when any is, register the families' guards again (in the families' order). Two
    families may bring the same guard object (a declared guard's name shared by their
    declarations, museslang.guards.declared); two different guards of one name may not."""
    names = families.names()
    changed = [n for n in names if n not in _brought or _brought[n][0] is not families.get(n)]
    gone = [n for n in _brought if n not in names]
    if not changed and not gone:
        return
    for name in gone:
        del _brought[name]
    for name in changed:
        fam = families.get(name)
        _brought[name] = (fam, *_of_family(name, fam))
    for name in _taken:
        GUARDS.remove(name)
    for line in _refused:
        if line in BROKEN:
            BROKEN.remove(line)
    _taken.clear()
    _refused.clear()
    for name in names:
        fam, found, failed = _brought[name]
        before = len(BROKEN)
        BROKEN.extend(failed)
        for guard, where in found:
            if guard.name in _taken and GUARDS.get(guard.name) is guard:
                continue  # one guard several families bring (a name their declarations share)
            if _add(guard, where, fam.origin):
                _taken.append(guard.name)
        _refused.extend(BROKEN[before:])


def declared() -> Registry[Guard]:
    """Every guard: museslang's own, those families bring, then installed packages'."""
    if _state["declared"]:
        _families()
        return GUARDS
    _state["declared"] = True
    for where in BUILT_IN:
        _add(_load(where), where, None)
    _families()
    for ep in sorted(entry_points(group=ENTRY_POINTS), key=lambda e: e.name):
        try:
            guard = ep.load()
        except Exception as exc:  # a broken plug-in must not take museslang down with it
            BROKEN.append(f"{ep.name} ({ep.value}): {type(exc).__name__}: {exc}")
            continue
        dist = getattr(ep, "dist", None)
        _add(guard, f"{ep.name} ({ep.value})", dist.name if dist is not None else ep.value)
    return GUARDS


def install(guard: Guard) -> None:
    """A guard made while a process runs (a notebook's, a test's), registered over any
    guard of that name."""
    declared()
    GUARDS.replace(guard.name, guard)


def setting(names: str | list[str] | tuple[str, ...] | None) -> str:
    """Guard names as one setting, canonical: `acl+spotlight` (in the order given, each
    once); `none` without any. Unknown names raise `UnknownName` with a "did you mean"."""
    if names is None:
        return NONE
    parts = names if isinstance(names, list | tuple) else [names]
    out: list[str] = []
    for part in parts:
        for name in str(part).replace(",", SEPARATOR).split(SEPARATOR):
            name = name.strip()
            if name and name != NONE and name not in out:
                declared().get(name)
                out.append(name)
    return SEPARATOR.join(out) or NONE


def stack(value: str | None) -> list[Guard]:
    """The guards of one setting, in order (written as `setting` reads it)."""
    value = setting(value)
    if value == NONE:
        return []
    found = declared()
    return [found.get(n) for n in value.split(SEPARATOR)]


def of_episode(episode: EpisodeGraph) -> str:
    """The guard setting an episode runs with: its cell's `guards` (a sweep axis of the
    spec, or `eval --guard`, `guarded`), else none."""
    value = episode.cell.get(AXIS)
    return str(value) if value is not None else NONE


def guarded(episodes: list[EpisodeGraph], value: str) -> list[EpisodeGraph]:
    """The episodes with `value` as their guard setting, one more axis of their cell, so
    that the results, the summary and the tables show it like any axis (and a Ray actor
    gets it with the episode)."""
    if value == NONE:
        return episodes
    return [e.model_copy(update={"cell": {**e.cell, AXIS: value}}) for e in episodes]
