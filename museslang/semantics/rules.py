"""Scenario rules: the checks that need more than one declaration at a time.

Each rule reads a checked `ScenarioDef` and reports; none of them changes it.
The ground truth they rely on (slot feasibility, who may read what, which
orders win) comes from each family's `truth` module, the same code the compiler and the
scorers use, so `check` and `eval` can never disagree about it.
"""

from __future__ import annotations

from museslang import family as families
from museslang.diagnostics import Diagnostics, Label, did_you_mean
from museslang.ir.results import AGENT, BROADCAST
from museslang.prompts import (
    PromptError,
    find_template,
    parse_template,
    read_template,
    template_source,
)
from museslang.semantics import targets
from museslang.semantics.loader import Program
from museslang.semantics.model import (
    COMMON_METRICS,
    SWEEP_AXES,
    UNIVERSAL_FIELDS,
    Entity,
    ScenarioDef,
)
from museslang.semantics.types import Condition, NamedAt, Symbol, Weighted
from museslang.source import Span

# sweep axes every family takes; the others belong to the families that declare them
GENERAL_AXES = ("users", "template", "guards")


def axis_families(axis: str) -> tuple[str, ...] | None:
    """The families a sweep axis applies to (None: every family)."""
    if axis in GENERAL_AXES:
        return None
    return tuple(
        n for n in families.installed() if families.get(n).axes and axis in families.get(n).axes
    )


# a family's own checks of its scenarios (`Family.checks`: (stage, check) pairs) run at
# fixed points among the checks every family gets: "fields" after the fields and metrics,
# "sweep" after the sweep, "population" after the population, "late" after the goals
def _family_checks(sc: ScenarioDef, diags: Diagnostics, stage: str) -> None:
    """The scenario's family's own checks of this stage (a family written in the spec is
    the one the checker binds, `families.using`)."""
    found = families.find(sc.family)
    for at, check in found.checks if found is not None else ():
        if at == stage:
            check(sc, diags)


def check_scenario(sc: ScenarioDef, program: Program, diags: Diagnostics) -> None:
    families.load("checks")
    _user_names(sc, diags)
    _family_reads(sc, diags)
    _metrics(sc, diags)
    _family_checks(sc, diags, "fields")
    _sweep(sc, diags)
    targets.check(sc, diags, program)
    _family_checks(sc, diags, "sweep")
    _episode_id(sc, diags)
    _population(sc, diags)
    _family_checks(sc, diags, "population")
    _goals(sc, diags)
    _family_checks(sc, diags, "late")
    _prompt(sc, program, diags)


def _user_names(sc: ScenarioDef, diags: Diagnostics) -> None:
    """A user named `all` (or `everyone`, `agent`) would be the broadcast address or the
    agent itself: a message to them would reach everyone, or seem the agent's own."""
    for u in sc.users:
        if u.name is not None and u.name.lower() in (*BROADCAST, AGENT):
            what = "the agent" if u.name.lower() == AGENT else "the address of every user"
            diags.error("E012", f"a user cannot be named '{u.name}': it is {what}", u.head,
                        hint="give the user another name")  # fmt: skip


def _family_reads(sc: ScenarioDef, diags: Diagnostics) -> None:
    """Every field written must be one the family reads (E024): a queue scenario with a
    secret, or a user with a field their family ignores, would otherwise do nothing,
    silently."""
    found = families.find(sc.family)
    if found is None:
        return
    reads = found.reads
    kinds: list[tuple[str, Entity]] = [("scenario", sc)]
    kinds += [("user", u) for u in sc.users] + [("resource", r) for r in sc.resources]
    kinds += [("secret", d) for r in sc.resources for d in r.declared]
    kinds += [("order", o) for o in sc.orders] + [("goal", g) for g in sc.goals]
    for kind, entity in [("protocol", sc.protocol), ("population", sc.population),
                         ("sweep", sc.sweep)]:  # fmt: skip
        if entity is not None:
            kinds.append((kind, entity))
    for kind, entity in kinds:
        fields = reads.get(kind)
        if fields is None:
            article = "an" if kind[0] in "aeiou" else "a"
            diags.error(
                "E024",
                f"the {sc.family} family has no use for {article} {kind}",
                entity.head,
                hint=f"a {sc.family} scenario declares: "
                + ", ".join(k for k in reads if k != "scenario"),
            )
            continue
        if "*" in fields:
            continue
        for name, span in entity.field_spans.items():
            if name not in fields and name not in UNIVERSAL_FIELDS.get(kind, ()):
                diags.error(
                    "E024",
                    f"the {sc.family} family does not read a {kind}'s `{name}`",
                    span,
                    hint=f"it reads: {', '.join(fields)}",
                )
    declared = families.get(sc.family)
    proto = sc.protocol
    if proto is None:
        return
    turns = proto.field_spans.get("turns")
    if turns is not None and declared.turns == "single_shot" and proto.turns != "single_shot":
        diags.error(
            "E024",
            f"the {sc.family} family plays one turn: `turns: {proto.turns}` would do nothing",
            turns,
            hint="delete the field (single_shot is the only mode here)",
        )
    ends = proto.field_spans.get("ends")
    if ends is not None and proto.ends != declared.ending:
        other = proto.ends == "max_turns"
        diags.error(
            "E024",
            f"a {sc.family} episode ends when the agent takes {declared.ending}: "
            "`ends: max_turns` would not stop that"
            if other
            else f"the {sc.family} family has no action `{proto.ends}`: nothing would end the "
            "episode that way",
            ends,
            hint=f"use `ends: {declared.ending}` (or delete the field)",
        )


MOVE_VARIABLES = ("resource", "user", "role", "reader")


def _goals(sc: ScenarioDef, diags: Diagnostics) -> None:
    """Every goal is scored, so its condition must make sense in the scenario's family,
    and a condition about one user must know which user."""
    declared = [families.get(n) for n in families.installed()]
    personal = {c for f in declared for c in f.personal}

    def walk(cond: Condition, goal) -> None:
        owners = [f.name for f in declared if cond.name in f.conditions]
        if owners and sc.family not in owners:
            diags.error(
                "E044",
                f"'{cond.name}' does not apply to the {sc.family} family",
                cond.span,
                hint=f"'{cond.name}' is about {', '.join(owners)} episodes",
            )
        names_user = any(isinstance(a, Symbol) and a.kind == "user" for a in cond.args)
        if cond.name in personal and goal.user is None and not names_user:
            diags.error(
                "E044",
                f"'{cond.render()}' needs a user: this goal has none",
                cond.span,
                hint="add `user: NAME` to the goal, or name the user in the condition",
            )
        for arg in cond.args:
            if isinstance(arg, Condition):
                walk(arg, goal)

    for goal in sc.goals:
        if isinstance(goal.success, Condition):
            walk(goal.success, goal)


def _metrics(sc: ScenarioDef, diags: Diagnostics) -> None:
    """Each metric a spec lists must be its family's (or every family's): another family's
    is E014, a name nobody scores E013. The list becomes plain names."""
    own = families.get(sc.family).metrics
    allowed = [*own, *COMMON_METRICS]
    anyone = {m for n in families.installed() for m in families.get(n).metrics}
    kept: list[str] = []
    for named in sc.metrics:
        name, span = (named.name, named.span) if isinstance(named, NamedAt) else (named, None)
        where = span or sc.at("metrics")
        if name in allowed:
            kept.append(name)
        elif name in anyone:
            diags.error(
                "E014",
                f"metric '{name}' does not apply to the {sc.family} family",
                where,
                hint="metrics of this family: " + ", ".join(own),
            )
        else:
            diags.error(
                "E013",
                f"unknown metric '{name}'",
                where,
                hint=did_you_mean(name, allowed) or "choose one of: " + ", ".join(allowed),
            )
    sc.metrics = kept


def _sweep(sc: ScenarioDef, diags: Diagnostics) -> None:
    sw = sc.sweep
    pop = sc.population
    if sw is None:
        if pop is not None:
            diags.error(
                "E043",
                "a population needs `sweep { users: ... }` to say how many users to draw",
                pop.head,
            )
        return
    for axis in sw.given_twice:
        diags.error(
            "E019",
            f"the sweep gives '{axis}' twice: as a field and in its examples",
            sw.at(axis),
            labels=[Label(sw.at("examples"), "the examples give it too")],
            hint=f"keep one: the field crosses every row with its values; the rows give "
            f"one each (delete `{axis}:` here, or the rows' `{axis}`)",
        )
    used_axes = [a for a in SWEEP_AXES if getattr(sw, a) is not None]
    for axis in used_axes:
        takers = axis_families(axis)
        if takers is not None and sc.family not in takers:
            diags.error(
                "E043",
                f"the sweep axis '{axis}' does not apply to the {sc.family} family",
                sw.at(axis),
                hint=f"'{axis}' applies to: {', '.join(takers)}",
            )
        if getattr(sw, axis) == []:
            diags.error("E043", f"the sweep axis '{axis}' has no values", sw.at(axis))
    for axis in sw.same_seed:
        if isinstance(getattr(sw, axis, None), Weighted):
            diags.error(
                "E043",
                f"same_seed names '{axis}', which the sweep draws by weight: episodes that "
                "draw different values share their people already",
                sw.at("same_seed"),
                hint=f"delete '{axis}' from same_seed",
            )
        elif axis not in used_axes and not diags.errors_within(sw.at(axis)):
            diags.error(
                "E043",
                f"same_seed names '{axis}', which this sweep does not vary",
                sw.at("same_seed"),
            )
    # without a population, `users:` and `difficulty:` may only label the one cell the
    # written users form (as imported records do); they cannot vary anything
    if sw.users is not None and pop is None and set(sw.users) != {len(sc.users)}:
        diags.error(
            "E043",
            "the sweep varies the number of users, but there is no population to draw them from",
            sw.at("users"),
            hint="add `population { pool: ... }` to the scenario, or drop `users:` from the sweep",
        )
    if sw.difficulty is not None and pop is None and len(sw.difficulty) > 1:
        diags.error(
            "E043",
            "difficulty can only be swept over generated users",
            sw.at("difficulty"),
            hint="add a `population { ... }` block",
        )
    if pop is not None and sw.users is None and not diags.errors_within(sw.at("examples")):
        diags.error(
            "E043",
            "a population needs `users:` in the sweep to say how many users to draw",
            pop.head,
        )
    if pop is not None and sw.users:
        pool = pop.pool.entity if pop.pool is not None else None
        most = max(sw.users)
        explicit = len(sc.users)
        if pool is not None and len(pool.names) + explicit < most:
            diags.error(
                "E043",
                f"the sweep asks for up to {most} users but pool {pop.pool.name} has "
                f"only {len(pool.names)} names",
                sw.at("users"),
                labels=[Label(pool.at("names"), "the names")],
                hint="add names to the pool or lower the user count",
            )
        fewest = families.get(sc.family).min_generated_users
        if min(sw.users) < fewest:
            diags.error(
                "E043",
                f"a generated {sc.family} scenario needs at least {fewest} "
                f"user{'s' if fewest > 1 else ''}",
                sw.at("users"),
            )
        _shares_hold(sc, pop, sw, explicit, diags)


SHARES = ("required", "authorized")  # population fields that are a share of its users


def _shares_hold(sc: ScenarioDef, pop, sw, explicit: int, diags: Diagnostics) -> None:
    """Every team size of the sweep must let the population's written shares hold: some
    whole number of the team's users is a share within the bound, and the population
    draws someone. With one written user, `users: 1..6` has 1-user episodes that draw
    nobody, where `authorized: 30%..60%` cannot hold (nobody is entitled)."""
    reads = families.get(sc.family).reads.get("population", ())
    shares = [(f, getattr(pop, f)) for f in SHARES if f in pop.field_spans and f in reads]
    for n_users in sorted(set(sw.users)):
        drawn = n_users - explicit
        for name, (low, high) in shares:
            if drawn >= 1 and _fits_share(low, high, n_users):
                continue
            who = f"{drawn} generated user{'s' if drawn != 1 else ''}" if drawn > 0 else (
                "no generated user")  # fmt: skip
            diags.error(
                "E043",
                f"an episode of {n_users} user{'s' if n_users != 1 else ''} has {who} "
                f"({explicit} written), so `{name}: {low:.0%}..{high:.0%}` cannot hold",
                sw.at("users"),
                labels=[Label(pop.at(name), "the population's bound")],
                hint=f"start the sweep's users where every team can have a share of {name} "
                f"users within the bound ({_first_fit(low, high, explicit)})",
            )
            return


def _fits_share(low: float, high: float, team: int) -> bool:
    """Whether some whole number of a team's users is a share within low..high."""
    return any(low - 1e-9 <= k / team <= high + 1e-9 for k in range(team + 1))


def _first_fit(low: float, high: float, explicit: int) -> str:
    for team in range(explicit + 1, explicit + 101):
        if _fits_share(low, high, team):
            return f"users: {team}.."
    return "no team size fits"


def _episode_id(sc: ScenarioDef, diags: Diagnostics) -> None:
    sw = sc.sweep
    if sc.id is None or sw is None:
        return
    many = [a for a in SWEEP_AXES if len(getattr(sw, a) or ()) > 1]
    if many or sw.samples > 1 or sw.variants:
        diags.error(
            "E043",
            "`id:` names one episode, but this scenario compiles to several",
            sc.at("id"),
            hint="drop `id:`; episode ids then come from the scenario name and the sweep cell",
        )


def _population(sc: ScenarioDef, diags: Diagnostics) -> None:
    pop = sc.population
    if pop is None:
        return
    for name in families.get(sc.family).needs:
        if not getattr(pop, name):
            diags.error(
                "E043",
                f"a generated {sc.family} population needs `{name}:`",
                pop.head,
                hint="see docs/language.md, population",
            )
    if pop.orders[0] > pop.orders[1]:
        diags.error("E043", "the order range is empty", pop.at("orders"))


def _prompt(sc: ScenarioDef, program: Program, diags: Diagnostics) -> None:
    if sc.protocol is not None and sc.protocol.judge:
        _template(sc.protocol.judge, sc.protocol.at("judge"), program, diags)
    if sc.protocol is not None and sc.protocol.system is not None:
        return  # the prompt is given word for word: no template to find
    name, span = prompt_of(sc)
    _template(name, span, program, diags)


def _template(name: str, span: Span, program: Program, diags: Diagnostics) -> None:
    """A template a spec names must exist, be readable and parse (E051, E050)."""
    path = find_template(name, program.root)
    if path is None:
        diags.error(
            "E051",
            f"prompt template '{name}' not found",
            span,
            hint="paths are relative to the spec's folder, then to the standard library",
        )
        return
    try:
        text = read_template(path)
    except PromptError as exc:
        diags.error("E051", f"prompt template '{name}': {exc}", span)
        return
    try:
        parse_template(text)
    except PromptError as exc:
        source = template_source(path, text)
        program.extra_sources[source.display] = source
        where = source.line_span(exc.line or 1)
        diags.error(
            "E050", f"template error: {exc}", where, labels=[Label(span, "template used here")]
        )


def prompt_of(sc: ScenarioDef) -> tuple[str, Span]:
    """The agent prompt template a scenario uses, and the span that chose it."""
    if sc.protocol is not None and sc.protocol.prompt:
        return sc.protocol.prompt, sc.protocol.at("prompt")
    return families.get(sc.family).prompt or f"prompts/{sc.family}.j2", sc.head
