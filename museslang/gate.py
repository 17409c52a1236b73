"""The oracle gate: `museslang check` plays every compiled episode with the reference
oracle and scripted users, and a scenario the oracle cannot pass is an error.

A spec can compile and still be broken as a benchmark: constraints that
contradict each other under `binding: all`, a resource whose content repeats
another's secret, two orders with one reference number. No agent could score
perfectly on such an episode, so every model run on it measures the spec, not
the model. The run is offline and fast (the oracle reads the ground truth),
so it is done before anything expensive is.

"Pass" is the family's success-type metric at 1.0 (`metrics.registry.SUCCESS`).
Each failure is blamed on the compiled object at fault (a user, a resource, an
order, or the scenario), whose source span the diagnostic points at; failures
with the same blame and reason across sweep cells are reported once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from museslang import families
from museslang.compiler import CompileResult
from museslang.ir.models import EpisodeGraph, Source
from museslang.metrics.goals import goal_name, met
from museslang.metrics.registry import success
from museslang.prompts import MESSAGE_VARIABLES, unrendered
from museslang.registry import Registry
from museslang.runtime.agents import DEFAULT_AGENT, make_agent
from museslang.runtime.engine import Engine
from museslang.runtime.options import BackendOptions
from museslang.runtime.runner import to_result
from museslang.runtime.transcript import EpisodeResult
from museslang.runtime.users import make_users
from museslang.source import Span

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


def failures(episodes: list[EpisodeGraph]) -> list[Failure]:
    """Run the oracle on every episode; the ones it cannot pass, with their blame."""
    options = BackendOptions()
    agent = make_agent(DEFAULT_AGENT, options)
    users = make_users("scripted", options)
    engine = Engine(agent, users)

    async def play() -> list:
        return await asyncio.gather(*(engine.run(e) for e in episodes))

    families.load()  # each family's hooks register its blame
    out = []
    for episode, run in zip(episodes, asyncio.run(play()), strict=True):
        result = to_result(episode, run, agent.spec, users.spec)
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


def oracle_gate(result: CompileResult) -> int:
    """Add an error per distinct failure to `result.diagnostics`; returns the episodes failed."""
    if result.compiled is None or result.checked is None:
        return 0
    program = result.checked.program
    display = {program.ir_name(name): name for name in program.modules}
    declared = {
        (e.head.file, e.head.line, e.head.column): e
        for sc in result.checked.scenarios
        for e in [sc, *sc.users, *sc.resources, *sc.orders, *sc.goals]
    }
    found = failures(result.compiled.episodes)
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
    return sum(not f.soft for f in found)
