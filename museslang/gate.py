"""The oracle gate: `museslang check` plays every compiled episode with the reference
oracle and scripted users, and a scenario the oracle cannot pass is an error.

A spec can compile and still be broken as a benchmark: constraints that
contradict each other under `binding: all`, a resource whose content repeats
another's secret, two orders with one reference number. No agent could score
perfectly on such an episode, so every model run on it measures the spec, not
the model. The run is offline and fast (the oracle reads the ground truth),
so it is done before anything expensive is.

"Pass" is the family's success-type metric at 1.0 (`metrics.scoring.success`).
Each failure is blamed on the compiled object at fault (a user, a resource, an
order, or the scenario), whose source span the diagnostic points at; failures
with the same blame and reason across sweep cells are reported once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from museslang import family as families
from museslang.audit import FamilyScore, sampled
from museslang.audit import audit as run_audit
from museslang.audit import diagnose as diagnose_audit
from museslang.ir.models import EpisodeGraph, Source
from museslang.ir.results import EpisodeResult
from museslang.metrics.goals import goal_name, met
from museslang.metrics.scoring import success
from museslang.prompts import MESSAGE_VARIABLES, unrendered
from museslang.registry import Registry
from museslang.run.runner import to_result
from museslang.runtime.agents import DEFAULT_AGENT, make_agent
from museslang.runtime.engine import Engine
from museslang.runtime.options import BackendOptions
from museslang.runtime.users import make_users
from museslang.source import Span

if TYPE_CHECKING:  # the type only: the compiler reaches the gate through a written family's
    # install (authored/install.py), so a real import would close an import circle
    from museslang.compiler import CompileResult

CODE = "E060"
HINT = (
    "fix the declaration; if a perfect answer exists that the oracle cannot write, "
    "check with --no-oracle-gate"
)

SOFT_HINT = (
    "no answer museslang can write meets these rules together (W005); the episode still "
    "runs, and no agent may be able to pass it"
)

# the compiled object at fault, why, and the field of its declaration to point at
Blame = tuple[Source | None, str, str | None]
BLAME: Registry[Callable[[EpisodeGraph, EpisodeResult], Blame]] = Registry("gate blame")


@dataclass(frozen=True)
class Failure:
    episode: str
    metric: str
    source: Source | None
    reason: str
    field: str | None = None
    soft: bool = False  # museslang found no witness answer (W005): a warning, not an error


SOFT_CODE = "W006"
# family -> whether a failure is only museslang's answer writer giving up (no witness)
SOFT: Registry[Callable[[EpisodeGraph, EpisodeResult], bool]] = Registry("gate softness")


def _no_blame(episode: EpisodeGraph, result: EpisodeResult) -> Blame:
    return episode.source, "the oracle's episode does not succeed", None


def _raw_templates(episode: EpisodeGraph, result: EpisodeResult) -> list[Failure]:
    """`{{ name }}` that reached the transcript is a template nobody rendered; only
    museslang's own variables count (and the episode's facts), never braces that came
    with a record's text."""
    people = {p.id: p for p in episode.participants}
    names = set(MESSAGE_VARIABLES).union(*(p.facts for p in episode.participants))
    if episode.truth.authored is not None:
        names |= set(episode.truth.authored.facts)
        names |= {k for o in episode.truth.authored.options for k in o.facts}
    for m in result.transcript:
        if (found := unrendered(m.text, names)) is not None:
            who = people.get(m.sender)
            snippet = found[:40]
            why = f"a message from {m.sender} carries an unrendered template: {snippet!r}"
            return [Failure(episode.id, "-", who.source if who else episode.source, why)]
    return []


def _goal_failures(episode: EpisodeGraph, result: EpisodeResult) -> list[Failure]:
    """Every goal must be met by the oracle (an adversarial one defeated): a goal no
    perfect agent meets is a contradiction in the spec, not a test of the agent."""
    out = []
    for i, goal in enumerate(episode.goals):
        if met(goal, episode, result):
            continue
        name = goal_name(goal, i)
        what = "defeat" if goal.adversarial else "meet"
        why = f"it cannot {what} goal {goal.name or i + 1} ({goal.success})"
        if goal.user and not goal.adversarial:
            why += f"; perhaps {goal.user} may not have what the goal asks for"
        out.append(Failure(episode.id, name, goal.source, why, "success"))
    return out


def played(episodes: list[EpisodeGraph]) -> list[EpisodeResult]:
    """Every episode played by the reference oracle with scripted users, and scored."""
    options = BackendOptions()
    agent = make_agent(DEFAULT_AGENT, options)
    users = make_users("scripted", options)
    engine = Engine(agent, users)

    async def play() -> list:
        return await asyncio.gather(*(engine.run(e) for e in episodes))

    runs = asyncio.run(play())
    pairs = zip(episodes, runs, strict=True)
    return [to_result(e, run, agent.spec, users.spec) for e, run in pairs]


def failures(
    episodes: list[EpisodeGraph], results: list[EpisodeResult] | None = None
) -> list[Failure]:
    """Run the oracle on every episode (or read its `results`); the ones it cannot pass,
    with their blame."""
    results = played(episodes) if results is None else results
    families.load()  # each family's hooks register its blame
    out = []
    for episode, result in zip(episodes, results, strict=True):
        if result.status != "ok":
            why = f"the oracle errored: {result.error}"
            out.append(Failure(episode.id, "-", episode.source, why))
            continue
        judged = success(episode, result)
        if judged is not None and judged[1] is not None and judged[1] != 1.0:
            blame = BLAME.get(episode.family) if episode.family in BLAME else _no_blame
            source, reason, field = blame(episode, result)
            soft = episode.family in SOFT and SOFT.get(episode.family)(episode, result)
            out.append(Failure(episode.id, judged[0], source, reason, field, soft))
        out += _goal_failures(episode, result)
        out += _raw_templates(episode, result)
    return out


@dataclass
class GateReport:
    """What the gate found: episodes the oracle fails, the mutation audit's scores per
    family, and the simulated-user audit's findings on the oracle's episodes."""

    failed: int = 0
    audit: dict[str, FamilyScore] | None = None
    findings: int = 0


def oracle_gate(result: CompileResult) -> int:
    """Add an error per distinct failure to `result.diagnostics`; returns the episodes failed.
    (The gate alone, as the language server runs it on a save; `check` runs `gate`.)"""
    return gate(result, audit="off").failed


def gate(result: CompileResult, audit: str = "sample") -> GateReport:
    """The oracle gate, then the mutation audit (`sample`: audit.sampled; `all`: every
    episode; `off`) on the oracle's results, and the simulated users' findings on them
    (W012: a scripted user that breaks what it declared is the spec's or family's bug)."""
    if result.compiled is None or result.checked is None:
        return GateReport()
    program = result.checked.program
    display = {program.ir_name(name): name for name in program.modules}
    declared = {
        (e.head.file, e.head.line, e.head.column): e
        for sc in result.checked.scenarios
        for e in [sc, *sc.users, *sc.resources, *sc.orders, *sc.goals]
    }
    episodes = result.compiled.episodes
    results = played(episodes)
    found = failures(episodes, results)
    grouped: dict[tuple[object, str, bool], list[Failure]] = {}
    for f in found:
        where = (f.source.file, f.source.line, f.source.column) if f.source else None
        grouped.setdefault((where, f.reason, f.soft), []).append(f)
    for (_, reason, soft), group in grouped.items():
        source, field = group[0].source, group[0].field
        span = None
        if source is not None:
            file = display.get(source.file, source.file)
            entity = declared.get((file, source.line, source.column))
            if entity is not None:
                span = entity.at(field) if field else entity.head
            else:  # declared by a population: point at it
                text = result.sources[file].line(source.line) if file in result.sources else ""
                end = max(len(text.rstrip()) + 1, source.column + 1)
                span = Span(file, source.line, source.column, source.line, end)
        more = f" and {len(group) - 1} more" if len(group) > 1 else ""
        message = (
            f"the reference oracle cannot pass episode {group[0].episode}{more} "
            f"({group[0].metric} < 1): {reason}"
        )
        if soft:
            result.diagnostics.warning(SOFT_CODE, message, span, hint=SOFT_HINT)
        else:
            result.diagnostics.error(CODE, message, span, hint=HINT)
    report = GateReport(failed=sum(not f.soft for f in found))

    def where(source: Source | None) -> Span | None:
        if source is None:
            return None
        file = display.get(source.file, source.file)
        entity = declared.get((file, source.line, source.column))
        if entity is not None:
            return entity.head
        return Span(file, source.line, source.column, source.line, source.column + 1)

    if audit != "off":
        chosen = {e.id for e in (episodes if audit == "all" else sampled(episodes))}
        pairs = [(e, r) for e, r in zip(episodes, results, strict=True) if e.id in chosen]
        report.audit = run_audit(pairs)
        written = {s.name: s.entity for s in result.checked.symbols if s.kind == "family"}

        def locate(family: str, episode: EpisodeGraph | None, goal: str | None) -> Span | None:
            fd = written.get(family)
            if fd is not None:
                goals = {g.name: g for g in getattr(fd, "goals", [])}
                return goals[goal].head if goal in goals else fd.head
            return where(episode.source) if episode is not None else None

        diagnose_audit(report.audit, locate, result.diagnostics)
    report.findings = sum(len(r.findings) for r in results)
    flagged = [(e, r) for e, r in zip(episodes, results, strict=True) if r.findings]
    if flagged:
        e, r = flagged[0]
        f = r.findings[0]
        who = next((p for p in e.participants if p.id == f.user), None)
        more = f" and {report.findings - 1} more" if report.findings > 1 else ""
        result.diagnostics.warning(
            USER_CODE,
            f"scripted user {f.user} broke what they declared in episode {e.id} ({f.check}: "
            f"{f.detail}){more}",
            where(who.source if who is not None else e.source),
            hint="the simulated-user audit checks each message against what its user "
            "declared and knows (docs/families.md)",
        )
    return report


USER_CODE = "W012"
