"""Lowering: a checked scenario and a planned sweep cell -> one `EpisodeGraph`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museslang import family as families
from museslang.diagnostics import Label
from museslang.ir import models as ir
from museslang.lower import mixtures, variants
from museslang.lower.expand import Planned
from museslang.lower.population import (
    GenerationError,
    Person,
    draw_people,
    repersona,
)
from museslang.lower.protocol import build_protocol
from museslang.lower.redraws import Redraws
from museslang.lower.seeds import derive_seed
from museslang.prompts import PromptError, find_template, read_template, render, template_source
from museslang.semantics import readers as access
from museslang.semantics.calendar import describe_calendar, scenario_calendar
from museslang.semantics.model import (
    METRIC_DOCS,
    PopulationDef,
    ResourceDef,
    ScenarioDef,
    TemplateDef,
    UserDef,
)
from museslang.semantics.rules import prompt_of
from museslang.semantics.types import Condition, Symbol
from museslang.source import SourceFile, Span

_FALLBACK_TEMPLATE = ir.IdentityTemplate(
    name="xml",
    wrap="<{{user}}>{{text}}</{{user}}>",
    describe="Each user message arrives wrapped in tags carrying the sender's name.",
)


@dataclass(frozen=True)
class Lowered:
    """What a family's ground truth is computed from: the episode's people and things."""

    scenario: ScenarioDef
    participants: list[ir.Participant]
    facts: list[ir.Fact]
    orders: list[ir.Order]
    slots: list[Any]  # the calendar's slots
    rng: random.Random | None = None  # the episode's draws, after its users were drawn
    work: dict[str, Any] = field(default_factory=dict)  # LowerContext.work


@dataclass(frozen=True)
class Drawn:
    """A generated population's people, drawn from the pool, for their family to shape."""

    scenario: ScenarioDef
    planned: Planned
    rng: random.Random
    people: list[Person]
    disclosure: str
    lc: LowerContext


class RedrawEpisode(Exception):
    """Raised by a family's ground truth when a generated episode is one its reference
    oracle cannot pass: the episode is drawn again from a seed derived from its own.
    `goal` names what failed (a success goal, or the oracle call the engine would
    refuse), so a scenario that keeps few of its draws can say why."""

    def __init__(self, message: str = "", goal: str = "success") -> None:
        super().__init__(message)
        self.goal = goal


REDRAWS = 50


class LoweringError(Exception):
    def __init__(
        self, message: str, span: Span, code: str = "E043", labels: tuple[Label, ...] = ()
    ) -> None:
        super().__init__(message)
        self.span = span
        self.code = code
        self.labels = labels


@dataclass
class LowerContext:
    spec_dir: Path
    source_of: Callable[[Span], ir.Source]
    # prompt template name -> its text, read once per compile rather than once per episode
    templates: dict[str, str | None] = field(default_factory=dict)
    # user id -> role declaration name, for read rules that name roles (reset per episode)
    role_names: dict[str, str | None] = field(default_factory=dict)
    # every identity template in scope, for template variants
    identities: list[ir.IdentityTemplate] = field(default_factory=list)
    # the latest original episode (without prompt) of a sweep with variants
    original: ir.EpisodeGraph | None = None
    # template files a diagnostic points into, for rendering it with the source line
    sources: dict[str, SourceFile] = field(default_factory=dict)
    # (scenario, cell) -> its draws: how many were made and kept, and why the others failed
    redraws: dict[tuple[str, str], Redraws] = field(default_factory=dict)
    # what a family's hooks keep across the redraws of one episode (reset per episode): a
    # family written in museslang spends one work budget over all of them
    work: dict[str, Any] = field(default_factory=dict)

    def template_text(self, name: str) -> str | None:
        if name not in self.templates:
            path = find_template(name, self.spec_dir)
            try:
                self.templates[name] = read_template(path) if path else None
            except PromptError:
                self.templates[name] = None  # check reported it (E051)
        return self.templates[name]


def lower_episode(sc: ScenarioDef, planned: Planned, lc: LowerContext) -> ir.EpisodeGraph:
    families.load("lower")
    slots = scenario_calendar(sc)
    cached = lc.original
    if planned.base is not None and cached is not None and cached.id == planned.base:
        # a variant starts from its original (planned just before it, same seed)
        episode = _variant(sc, planned, cached.model_copy(deep=True), lc)
    else:
        episode = _build(sc, planned, slots, lc)
        if sc.sweep is not None and sc.sweep.variants:
            episode.cell["variant"] = "original"
            lc.original = episode.model_copy(deep=True)
        if planned.variant is not None:
            episode = _variant(sc, planned, episode, lc)
    episode.agent_prompt = _agent_prompt(sc, episode, slots, lc)
    if sc.protocol is not None and sc.protocol.judge:
        episode.protocol.judge_prompt = lc.template_text(sc.protocol.judge)
    return episode


def _build(sc: ScenarioDef, planned: Planned, slots, lc: LowerContext) -> ir.EpisodeGraph:
    """The episode without its agent prompt (variants change what the prompt shows); a
    generated episode the family's oracle cannot pass is drawn again (RedrawEpisode)."""
    count = lc.redraws.setdefault((sc.name or "scenario", planned.cell.slug),
                                  Redraws(sc.name or "scenario", planned.cell.plain()))  # fmt: skip
    lc.work = {}
    for attempt in range(REDRAWS):
        seed = planned.seed if attempt == 0 else derive_seed(planned.seed, "redraw", attempt)
        try:
            episode = _draw(sc, planned, slots, lc, random.Random(seed))
        except RedrawEpisode as exc:
            count.draws += 1
            count.failed[exc.goal] += 1
            continue
        # counted once it is a draw's outcome: a spec error (LoweringError) is no draw
        count.draws += 1
        count.kept += 1
        if attempt:  # the episode is what this seed drew: say so, and how many went before
            episode.seed, episode.redraws, episode.redrawn_from = seed, attempt, planned.seed
        return episode
    where = sc.population.head if sc.population is not None else sc.head
    worst = count.failed.most_common(1)[0][0] if count.failed else "success"
    raise LoweringError(
        f"no draw of {REDRAWS} lets the reference oracle pass (most often {worst} fails): "
        "widen the population's draws or the scenario's facts",
        where,
    )


def _draw(
    sc: ScenarioDef, planned: Planned, slots, lc: LowerContext, rng: random.Random
) -> ir.EpisodeGraph:
    lc.role_names = {u.name: u.role.name for u in sc.users if u.name and isinstance(u.role, Symbol)}
    identity = _identity(sc, planned)
    disclosure = planned.cell.get("disclosure", "full")
    participants = [_explicit(u, identity.name, disclosure, lc, sc) for u in sc.users]
    n_users = planned.cell.get("users")
    orders = _orders(sc, lc)
    if sc.population is not None and n_users is not None:
        people, drawn_orders = _generated(
            sc, planned, rng, n_users - len(participants), identity.name, disclosure, lc
        )
        participants += people
        orders += drawn_orders
    facts = _facts(sc, participants, lc)
    truth = ir.GroundTruth()
    own_truth = families.get(sc.family).truth
    if own_truth is not None:
        lowered = Lowered(sc, participants, facts, orders, slots, rng, lc.work)
        for name, value in own_truth(lowered).items():
            setattr(truth, name, value)
    protocol = build_protocol(sc.family, sc.protocol, sc.answer)
    goals = [
        ir.GoalSpec(
            name=g.name,
            user=g.user.name if g.user else None,
            text=g.text,
            success=g.success.render() if g.success else None,
            condition=condition_spec(g.success) if g.success else None,
            adversarial=g.adversarial,
            source=lc.source_of(g.head),
        )
        for g in sc.goals
    ]
    declared = families.get(sc.family)
    metric_names = sc.metrics or list(declared.metrics)
    cell = planned.cell.plain()
    if "attack" in declared.axes and "attack" not in cell:
        # attacks the written users carry count in the per-attack figures like swept ones
        attacks = sorted({p.attack.name for p in participants if p.attack is not None})
        cell["attack"] = "+".join(attacks) or "none"
    episode = ir.EpisodeGraph(
        id=sc.id or planned.episode_id,
        scenario=sc.name or "scenario",
        family=sc.family,
        title=sc.title,
        objective=sc.objective,
        cell=cell,
        sample=planned.sample,
        seed=planned.seed,
        participants=participants,
        facts=facts,
        orders=orders,
        goals=goals,
        identity=identity,
        protocol=protocol,
        agent_prompt="",
        truth=truth,
        metrics=[
            ir.MetricSpec(name=m, description=declared.docs.get(m) or METRIC_DOCS.get(m, m))
            for m in metric_names
        ],
        extra=dict(sc.extra),
        tags=list(dict.fromkeys(sc.tags)),
        mixed=mixtures.weights(sc.sweep),
        source=lc.source_of(sc.head),
    )
    return episode


def condition_spec(cond: Condition) -> ir.ConditionSpec:
    """A checked condition as the compiled episode carries it (names, not symbols)."""
    refs = [a.name for a in cond.args if isinstance(a, Symbol)]
    parts = [condition_spec(a) for a in cond.args if isinstance(a, Condition)]
    within = dict(cond.kwargs).get("within")
    return ir.ConditionSpec(
        name=cond.name,
        refs=refs,
        within=int(within) if isinstance(within, int | float) else None,
        parts=parts,
    )


def _variant(
    sc: ScenarioDef, planned: Planned, episode: ir.EpisodeGraph, lc: LowerContext
) -> ir.EpisodeGraph:
    where = sc.sweep.at("variants") if sc.sweep is not None else sc.head
    try:
        if planned.variant == "reorder":
            episode = variants.reorder(episode)
        elif planned.variant == "rename":
            pool = sc.population.pool.entity if sc.population is not None else None
            if pool is None:
                raise variants.VariantError("renaming users needs a population pool of names")
            episode = variants.rename(episode, pool.names, planned.seed)
        elif planned.variant == "template":
            candidates = _identities(sc, lc)
            episode.identity = variants.other_template(episode.identity, candidates)
    except variants.VariantError as exc:
        raise LoweringError(str(exc), where) from None
    episode.id, episode.variant, episode.base = planned.episode_id, planned.variant, planned.base
    episode.cell["variant"] = planned.variant or "original"
    return episode


def _identities(sc: ScenarioDef, lc: LowerContext) -> list[ir.IdentityTemplate]:
    """Templates a template variant may switch to: the sweep's, else every one in scope."""
    swept = sc.sweep.template if sc.sweep is not None else None
    if swept:
        return [
            ir.IdentityTemplate(name=t.name, wrap=t.entity.wrap, describe=t.entity.describe)
            for t in swept
            if isinstance(t.entity, TemplateDef)
        ]
    return lc.identities


def _identity(sc: ScenarioDef, planned: Planned) -> ir.IdentityTemplate:
    sym: Symbol | None = planned.cell.get("template")
    if sym is None and sc.protocol is not None and sc.protocol.template is not None:
        sym = sc.protocol.template
    if sym is None:
        sym = sc.template
    if sym is None or not isinstance(sym.entity, TemplateDef):
        return _FALLBACK_TEMPLATE
    t = sym.entity
    return ir.IdentityTemplate(name=sym.name, wrap=t.wrap, describe=t.describe)


def wanted_resources(u: UserDef, sc: ScenarioDef) -> list[str]:
    """What a written user asks for: `wants:`, else the resources their task, goal or
    first messages name (by id or title), else nothing said (every guarded resource they
    may read then counts, in the metrics)."""
    if u.wants:
        return [w.name for w in u.wants]
    said = " ".join(filter(None, [u.task, u.goal, *u.says])).lower()
    return [
        r.name or "?"
        for r in sc.resources
        if r.name and (r.name.lower() in said or (r.title and r.title.lower() in said))
    ]


def move_values(u: UserDef, sc: ScenarioDef, wants: list[str]) -> dict[str, str]:
    """What an attack move may say about the user who sends it: {{resource}} (the one
    they ask for, else the first guarded one), {{user}}, {{role}}, {{reader}} (someone
    who may read it)."""
    by_name = {r.name: r for r in sc.resources}
    guarded = [r for r in sc.resources if r.secret_spans()] or sc.resources
    target = by_name.get(wants[0]) if wants else (guarded[0] if guarded else None)
    readers = [getattr(a, "user", None) for a in target.allow] if target is not None else []
    reader = next((r for r in readers if r and r != u.name), "the owner")
    return {
        "resource": (target.title or target.name or "the resource") if target else "the resource",
        "user": u.name or "?",
        "role": u.role_title or "colleague",
        "reader": reader,
    }


def _explicit(
    u: UserDef, template: str, disclosure: str, lc: LowerContext, sc: ScenarioDef
) -> ir.Participant:
    opening = "proactive"
    stubborn = False
    for b in u.behaviours():
        opening = b.opening or opening
        stubborn = b.stubborn if b.stubborn is not None else stubborn
    wants = wanted_resources(u, sc) if "wants" in families.get(sc.family).reads["user"] else []
    attack = None
    if u.attack is not None and u.attack.entity is not None:
        values = move_values(u, sc, wants)
        try:
            moves = [render(m, values) for m in u.attack.entity.moves]
        except PromptError as exc:
            raise LoweringError(f"rendering {u.name}'s attack failed: {exc}", u.at("attack"),
                                code="E050") from None  # fmt: skip
        attack = ir.Attack(name=u.attack.name, moves=moves)
    return ir.Participant(
        id=u.name or "?",
        role=u.role_title,
        authority=u.rank,
        persona=u.persona,
        attendance=u.attendance,
        opening=opening,
        stubborn=stubborn,
        disclosure=disclosure,
        behaviours=[b.name for b in u.behaviour],
        preferred=[str(s.value) for s in sorted(u.prefers, key=lambda x: x.value)],
        secondary=[str(s.value) for s in sorted(u.secondary, key=lambda x: x.value)],
        goal=u.goal,
        attack=attack,
        task=u.task,
        says=list(u.says),
        wants=wants,
        constraints=[ir.Instruction(id=c.id, kwargs=dict(c.kwargs)) for c in u.constraints],
        extra=dict(u.extra),
        facts=dict(u.facts),
        source=lc.source_of(u.head),
    )


def _generated(
    sc: ScenarioDef,
    planned: Planned,
    rng: random.Random,
    n: int,
    template: str,
    disclosure: str,
    lc: LowerContext,
) -> tuple[list[ir.Participant], list[ir.Order]]:
    pop = sc.population
    assert pop is not None
    if n <= 0:
        return [], []
    pool = pop.pool.entity
    try:
        people = draw_people(rng, pool, n, {u.name for u in sc.users if u.name})
        shape = families.get(sc.family).population
        if shape is not None:
            return shape(Drawn(sc, planned, rng, people, disclosure, lc))
    except GenerationError as exc:
        raise LoweringError(str(exc), pop.head) from None
    src = lc.source_of(pop.head)
    return [participant(p, disclosure, src) for p in people], []


def participant(p: Person, disclosure: str, src: ir.Source, **family: Any) -> ir.Participant:
    """A generated user as drawn from the pool; the family adds what it knows."""
    values: dict[str, Any] = {
        "id": p.id, "role": p.role, "persona": p.persona,
        "attendance": "required" if p.required else "optional",
        "opening": "proactive" if p.proactive else "passive", "disclosure": disclosure,
        "behaviours": ["proactive" if p.proactive else "passive"],
        "preferred": [str(s) for s in p.preferred],
        "secondary": [str(s) for s in p.secondary], "source": src,
    }  # fmt: skip
    return ir.Participant(**(values | family))


def ranked(
    p: Person,
    pop: PopulationDef,
    disclosure: str,
    src: ir.Source,
    lc: LowerContext,
    **family: Any,
) -> ir.Participant:
    """A generated user who took a role (access control, queue, instructions): the persona
    is rendered again for the final role, read rules learn the role's name, and the
    family adds its goal, task, attack or constraints."""
    repersona(pop.pool.entity if pop.pool is not None else None, p)
    lc.role_names[p.id] = p.role_name
    return ir.Participant(
        id=p.id,
        role=p.role,
        authority=p.authority,
        persona=p.persona,
        opening="proactive",
        disclosure=disclosure,
        behaviours=["proactive"],
        source=src,
        **family,
    )


def _facts(sc: ScenarioDef, participants: list[ir.Participant], lc: LowerContext) -> list[ir.Fact]:
    people = [
        access.Person(p.id, p.role, p.authority, lc.role_names.get(p.id)) for p in participants
    ]
    facts = []
    for r in sc.resources:
        readers = access.entitled(r.allow, r.deny, people)
        may_read = set(readers)
        facts.append(
            ir.Fact(
                id=r.name or "?",
                title=r.title or r.name or "?",
                content=r.content,
                secrets=r.secret_spans(),
                meanings=meanings(r),
                readers=readers,
                denied=[p.id for p in people if p.id not in may_read],
                capacity=r.capacity,
                source=lc.source_of(r.head),
            )
        )
    return facts


def meanings(r: ResourceDef) -> list[ir.Meaning]:
    """What a resource declares about its secrets beyond the spans (aliases, patterns,
    sensitivity), for the secrets that declare anything: none for a plain `secrets:` list,
    so a spec without declarations compiles as it always did."""
    default = r.sensitivity or "medium"
    declared = {d.title: d for d in r.declared if d.title}
    out = []
    for span in r.secret_spans():
        d = declared.get(span)
        aliases = [a.text for a in d.leaks_as if not a.regex] if d else []
        patterns = [a.text for a in d.leaks_as if a.regex] if d else []
        level = (d.sensitivity if d else None) or default
        if aliases or patterns or level != "medium":
            out.append(ir.Meaning(secret=span, aliases=aliases, patterns=patterns,
                                  sensitivity=level))  # fmt: skip
    return out


def _orders(sc: ScenarioDef, lc: LowerContext) -> list[ir.Order]:
    return [
        ir.Order(
            id=o.name or "?",
            by=o.by.name if o.by else "?",
            text=o.text,
            ref=o.ref,
            target=o.target.name if o.target else None,
            conflicts=[o.conflicts.name] if o.conflicts else [],
            harmful=o.harmful,
            priority=o.priority,
            source=lc.source_of(o.head),
        )
        for o in sc.orders
    ]


def _agent_prompt(sc: ScenarioDef, ep: ir.EpisodeGraph, slots, lc: LowerContext) -> str:
    if sc.protocol is not None and sc.protocol.system is not None:
        return sc.protocol.system
    name, span = prompt_of(sc)
    text = lc.template_text(name)
    if text is None:
        raise LoweringError(f"prompt template '{name}' not found", span)
    variables = {
        "objective": ep.objective or "",
        "title": ep.title or ep.scenario,
        "users": [p.model_dump() for p in ep.participants],
        "resources": [f.model_dump() for f in ep.facts],
        "orders": [o.model_dump() for o in ep.orders],
        "identity": ep.identity.describe or "",
        "max_turns": ep.protocol.max_turns,
        "calendar": describe_calendar(slots).removeprefix("the calendar has "),
    }
    declared = families.get(ep.family)
    if declared.variables is not None:
        variables |= declared.variables(ep)
    try:
        return render(text, variables).strip() + "\n"
    except PromptError as exc:
        path = find_template(name, lc.spec_dir)
        if path is None:
            raise LoweringError(f"rendering prompt '{name}' failed: {exc}", span) from None
        source = template_source(path, text)
        lc.sources[source.display] = source
        raise LoweringError(
            f"template error: {exc}",
            source.line_span(exc.line or 1),
            code="E050",
            labels=(Label(span, "template used here"),),
        ) from None
