"""Scenario rules: the checks that need more than one declaration at a time.

Each rule reads a checked `ScenarioDef` and reports; none of them changes it.
The ground truth they rely on (slot feasibility, who may read what, which
orders win) comes from each family's `truth` module, the same code the compiler and the
scorers use, so `check` and `eval` can never disagree about it.
"""

from __future__ import annotations

from collections import Counter

from museslang import families
from museslang.diagnostics import Diagnostics, Label
from museslang.families.access_control import truth as access
from museslang.families.instruction_following import truth as instructions
from museslang.families.meeting import truth as meeting
from museslang.families.shared_queue import truth as queue
from museslang.instructions.compose import compose
from museslang.instructions.conflicts import Rule
from museslang.prompts import (
    PromptError,
    find_template,
    parse_template,
    read_template,
    template_source,
)
from museslang.semantics.loader import Program
from museslang.semantics.model import (
    COMMON_METRICS,
    FAMILIES,
    FAMILY_READS,
    METRICS,
    SWEEP_AXES,
    CalendarDef,
    Entity,
    OrderDef,
    ScenarioDef,
    UserDef,
)
from museslang.semantics.types import Condition, Instruction, Located, SlotTime, Symbol
from museslang.source import Span

# sweep axes every family takes; the others belong to the families that declare them
GENERAL_AXES = ("users", "template")


def axis_families(axis: str) -> tuple[str, ...] | None:
    """The families a sweep axis applies to (None: every family)."""
    if axis in GENERAL_AXES:
        return None
    return tuple(n for n in FAMILIES if families.get(n).axes and axis in families.get(n).axes)


def check_scenario(sc: ScenarioDef, program: Program, diags: Diagnostics) -> None:
    _family_reads(sc, diags)
    _metrics(sc, diags)
    _slots(sc, diags)
    _permissions(sc, diags)
    _orders(sc, diags)
    _constraints(sc, diags)
    _sweep(sc, diags)
    _episode_id(sc, diags)
    _population(sc, diags)
    _feasibility(sc, diags)
    _goals(sc, diags)
    _attack_variables(sc, diags)
    _prompt(sc, program, diags)


def _family_reads(sc: ScenarioDef, diags: Diagnostics) -> None:
    """Every field written must be one the family reads (E024): a queue scenario with a
    secret, or a meeting user with an attack, would otherwise do nothing, silently."""
    reads = FAMILY_READS.get(sc.family)
    if reads is None:
        return
    kinds: list[tuple[str, Entity]] = [("scenario", sc)]
    kinds += [("user", u) for u in sc.users] + [("resource", r) for r in sc.resources]
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
            if name not in fields:
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
    if ends is not None and proto.ends not in (declared.ending, "max_turns"):
        diags.error(
            "E024",
            f"the {sc.family} family has no action `{proto.ends}`: nothing would end the "
            "episode that way",
            ends,
            hint=f"use `ends: {declared.ending}`"
            if declared.ending != "max_turns"
            else "use `ends: max_turns` (or delete the field)",
        )


MOVE_VARIABLES = ("resource", "user", "role", "reader")


def _attack_variables(sc: ScenarioDef, diags: Diagnostics) -> None:
    """An attack move may say {{resource}}, {{user}}, {{role}} and {{reader}}; any other
    variable would reach the agent unrendered, as `{{...}}` text."""
    from museslang.prompts import variables_of

    sources = [(u.attack, u.at("attack"), u.name) for u in sc.users if u.attack is not None]
    if sc.sweep is not None and sc.sweep.attack:
        sources += [(a, sc.sweep.at("attack"), None) for a in sc.sweep.attack]
    for sym, span, who in sources:
        attack = getattr(sym, "entity", None)
        if attack is None:
            continue
        for move in attack.moves:
            unknown = sorted(variables_of(move) - set(MOVE_VARIABLES))
            if unknown:
                for_whom = f" for {who}" if who else ""
                diags.error(
                    "E050",
                    f"attack '{sym.name}' uses {{{{{unknown[0]}}}}}, which museslang cannot "
                    f"fill{for_whom}",
                    span,
                    hint="a move may use " + ", ".join(f"{{{{{v}}}}}" for v in MOVE_VARIABLES),
                )
                break


def _goals(sc: ScenarioDef, diags: Diagnostics) -> None:
    """Every goal is scored, so its condition must make sense in the scenario's family,
    and a condition about one user must know which user."""
    declared = [families.get(n) for n in FAMILIES]
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


def scenario_calendar(sc: ScenarioDef) -> list[SlotTime]:
    cal = sc.calendar.entity if sc.calendar is not None else None
    if isinstance(cal, CalendarDef) and cal.days and cal.hours:
        return meeting.calendar_slots(cal.days, cal.hours, cal.minutes or [0])
    return meeting.calendar_slots()


def describe_calendar(slots: list[SlotTime]) -> str:
    days = sorted({s.day_index for s in slots})
    hours = sorted({s.hour for s in slots})
    minutes = sorted({s.minute for s in slots})
    day_names = [SlotTime(d, 0, 0).day for d in days]
    return (
        f"the calendar has {', '.join(day_names)} at {', '.join(map(str, hours))} h, "
        f"minutes {', '.join(f':{m:02d}' for m in minutes)}"
    )


def _metrics(sc: ScenarioDef, diags: Diagnostics) -> None:
    allowed = set(METRICS.get(sc.family, ())) | set(COMMON_METRICS)
    for m in sc.metrics:
        if m not in allowed:
            diags.error(
                "E014",
                f"metric '{m}' does not apply to the {sc.family} family",
                sc.at("metrics"),
                hint="metrics of this family: " + ", ".join(METRICS.get(sc.family, ())),
            )


def _slots(sc: ScenarioDef, diags: Diagnostics) -> None:
    grid = set(scenario_calendar(sc))
    grid_text = describe_calendar(sorted(grid))
    for user in sc.users:
        seen: dict[SlotTime, Span] = {}
        for field_name in ("prefers", "secondary"):
            for loc in getattr(user, field_name):
                slot: SlotTime = loc.value
                if slot not in grid:
                    diags.error(
                        "E041",
                        f"{slot} is not a slot on the calendar",
                        loc.span,
                        hint=grid_text,
                    )
                if slot in seen:
                    diags.error(
                        "E042",
                        f"{slot} is listed twice for {user.name}",
                        loc.span,
                        labels=[Label(seen[slot], "already listed here")],
                        hint="a slot is either preferred or secondary, once",
                    )
                else:
                    seen[slot] = loc.span


def attendees_of(users: list[UserDef]) -> list[meeting.Attendee]:
    return [
        meeting.Attendee(
            u.name or "?",
            u.attendance == "required",
            frozenset(loc.value for loc in u.prefers if isinstance(loc, Located)),
            frozenset(loc.value for loc in u.secondary if isinstance(loc, Located)),
        )
        for u in users
    ]


def _feasibility(sc: ScenarioDef, diags: Diagnostics) -> None:
    if sc.family != "meeting" or sc.population is not None or not sc.users:
        return
    for u in sc.users:
        written = "prefers" in u.field_spans or "secondary" in u.field_spans
        if not written and diags.errors_within(u.span):
            return  # a typo'd field or broken list is the cause, reported where it is
        if not written:
            diags.error(
                "E015",
                f"user {u.name} has no slots",
                u.head,
                hint="add `prefers: [Tue 9:30, ...]` (and `secondary: [...]` for backups)",
            )
            return
        if not u.prefers and not u.secondary:
            return  # every slot it lists is invalid, and was reported as such
    slots = scenario_calendar(sc)
    people = attendees_of(sc.users)
    required = [a for a in people if a.required]
    if not required:
        diags.error(
            "E040",
            f"meeting '{sc.name}' has no required attendee",
            sc.head,
            hint="mark at least one user `attendance: required`",
        )
        return
    feasible = meeting.feasible_slots(slots, people)
    if not feasible and sc.expect != "infeasible":
        labels = []
        for u in sc.users:
            if u.attendance == "required":
                span = u.at("prefers")
                accepts = sorted(
                    [loc.value for loc in u.prefers] + [loc.value for loc in u.secondary]
                )
                labels.append(Label(span, f"{u.name} accepts {', '.join(map(str, accepts))}"))
        names = ", ".join(a.id for a in required)
        diags.error(
            "E040",
            f"no slot suits every required attendee of '{sc.name}' ({names})",
            sc.head,
            labels=labels,
            hint="give the required attendees a common slot, make someone optional, "
            "or mark the scenario `expect: infeasible`",
        )
    elif feasible and sc.expect == "infeasible":
        diags.warning(
            "W004",
            f"'{sc.name}' is marked infeasible but {feasible[0]} suits every required attendee",
            sc.at("expect"),
            hint="remove `expect: infeasible`",
        )


def people_of(users: list[UserDef]) -> list[access.Person]:
    return [
        access.Person(
            u.name or "?",
            u.role_title,
            u.rank,
            u.role.name if u.role is not None and not isinstance(u.role, str) else None,
        )
        for u in users
    ]


def _permissions(sc: ScenarioDef, diags: Diagnostics) -> None:
    people = people_of(sc.users)
    explicit_only = sc.population is None
    for res in sc.resources:
        allowed_users = {s.user: s for s in res.allow if s.kind == "user"}
        for sel in res.deny:
            if sel.kind == "user" and sel.user in allowed_users:
                diags.error(
                    "E030",
                    f"{res.name}: a rule both grants and denies {sel.user}",
                    sel.span,
                    labels=[Label(allowed_users[sel.user].span, "granted here")],
                    hint=f"remove {sel.user} from `allow` or from `deny`",
                )
        if explicit_only and people:
            for rule, sels in (("allow", res.allow), ("deny", res.deny)):
                for sel in sels:
                    if sel.kind in {"role", "authority"} and not any(
                        access.matches(sel, p) for p in people
                    ):
                        diags.warning(
                            "W003",
                            f"{res.name}: `{rule}` rule {sel.describe()} matches no user",
                            sel.span,
                            hint="check the role title or the bound",
                        )
        if explicit_only and people and res.allow and res.deny:
            _deny_effects(res, people, diags)
        if res.content is not None:
            for i, secret in enumerate(res.secrets):
                if secret and secret not in res.content:
                    diags.error(
                        "E032",
                        f"secret '{_clip(secret)}' does not occur in {res.name}'s content",
                        res.at("secrets"),
                        hint=f"secret #{i + 1} must be copied exactly from the content",
                    )


def _deny_effects(res, people, diags: Diagnostics) -> None:
    """A `deny` that removes nobody, or one that removes everybody `allow` grants,
    is almost always a mistake the spec would otherwise run with silently."""
    granted = [p for p in people if any(access.matches(a, p) for a in res.allow)]
    if granted and not access.entitled(res.allow, res.deny, people):
        diags.warning(
            "W003",
            f"{res.name}: nobody may read it: `deny` removes everyone `allow` grants",
            res.at("deny"),
            hint="narrow `deny`, or drop `allow` if nobody should read it",
        )
        return
    for sel in res.deny:
        if sel.kind == "user" and sel.user not in {p.id for p in people}:
            continue  # an unknown name is reported where it is resolved
        if not any(access.matches(sel, p) for p in granted):
            diags.warning(
                "W003",
                f"{res.name}: `deny` rule {sel.describe()} removes no one: nobody it matches "
                "is allowed",
                sel.span,
                hint="`deny` only takes away what `allow` grants; delete the rule",
            )


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _orders(sc: ScenarioDef, diags: Diagnostics) -> None:
    if not sc.orders:
        return
    refs = Counter(o.ref for o in sc.orders if o.ref)
    first: dict[str, OrderDef] = {}
    for o in sc.orders:
        if o.ref and refs[o.ref] > 1 and o.ref in first:
            # official records do this (sq_Peggy_Eve_Sybil_484c2bcd): they run as scored there
            diags.warning(
                "W007",
                f"reference id '{o.ref}' is used by two orders: an answer that names it by "
                "number means the one listed last in the ground truth (as the official "
                "mapping reads it), and only the order ids tell them apart",
                o.at("ref"),
                hint="give each order its own reference id",
                labels=[Label(first[o.ref].at("ref"), "also used here")],
            )
        if o.ref:
            first.setdefault(o.ref, o)
        if o.conflicts is not None and o.conflicts.name == o.name:
            diags.error("E033", f"order {o.name} conflicts with itself", o.at("conflicts"),
                        hint="point `conflicts:` at the other order it contradicts")  # fmt: skip
    items = []
    for o in sc.orders:
        by = o.by.entity if o.by is not None else None
        rank = by.rank if isinstance(by, UserDef) else None
        conflicts = (o.conflicts.name,) if o.conflicts is not None else ()
        items.append(
            queue.QueueOrder(
                o.name or "?",
                o.by.name if o.by else "?",
                float(rank or 0),
                conflicts,
                o.harmful,
                o.priority,
            )
        )
    _, ties = queue.decide(items)
    spans = {o.name: o for o in sc.orders}
    for a, b in ties:
        if a == b:
            continue  # an order that conflicts with itself is reported above, once
        diags.error(
            "E033",
            f"orders {a} and {b} conflict, and neither authority nor priority ranks them",
            spans[a].head,
            labels=[Label(spans[b].head, f"order {b}")],
            hint="give one of them a higher `priority`, or issue them from users of different "
            "authority",
        )


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
        if axis not in used_axes:
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
    if pop is not None and sw.users is None:
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
        if sc.family == "meeting":
            size = len(scenario_calendar(sc))
            if pop.preferred[1] + pop.secondary[1] > size:
                diags.error(
                    "E043",
                    f"users cannot hold {pop.preferred[1] + pop.secondary[1]} slots: "
                    f"the calendar has {size}",
                    pop.at("preferred"),
                )
            if pop.preferred[0] < 1:
                diags.error(
                    "E043", "every user needs at least one preferred slot", pop.at("preferred")
                )


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


def _constraints(sc: ScenarioDef, diags: Diagnostics) -> None:
    """Contradicting constraints that authority cannot settle leave no correct answer."""
    stated = []
    spans = {}
    for u in sc.users:
        for i, c in enumerate(u.constraints):
            if not isinstance(c, Instruction):
                continue
            s = instructions.Stated(
                u.name or "?", float(u.rank or 0), i, Rule.of(c.id, dict(c.kwargs))
            )
            stated.append(s)
            spans[s] = c.span
    per_user = sc.answer == "per_user"
    verdicts, unsettled = instructions.settle(stated, sc.binding, per_user=per_user)
    binding = [v.stated for v in verdicts if v.binds]
    clash = instructions.first_conflict(binding, per_user=per_user) if not unsettled else None
    if clash is not None:
        # `binding: all` keeps both sides of a contradiction: no answer can pass
        diags.warning(
            "W005",
            f"{clash[0].user}'s {clash[0].rule.id} and {clash[1].user}'s {clash[1].rule.id} "
            "both bind and contradict each other: no answer meets every binding constraint",
            spans[clash[1]],
            labels=[Label(spans[clash[0]], "contradicted here")],
            hint=f"`binding: {sc.binding}` makes both hold; `binding: authority` lets the "
            "higher authority win",
        )
    elif binding and not unsettled:
        groups = {s.user: [] for s in binding} if per_user else {"": []}
        for s in binding:
            groups[s.user if per_user else ""].append(s)
        stuck = next((g for g in groups.values() if compose([s.rule for s in g]) is None), None)
        if stuck is not None:
            whose = f"{stuck[0].user}'s part" if per_user else "an answer"
            diags.warning(
                "W005",
                f"museslang could not write {whose} that meets every binding constraint",
                spans[stuck[0]],
                hint="the reference oracle will answer with empty text; some combinations "
                "(e.g. JSON with bullet lists) may have no answer at all",
            )
    for a, b in unsettled:
        same = a.user == b.user
        diags.error(
            "E033",
            f"{a.rule.id} and {b.rule.id} contradict each other"
            + (
                f" in {a.user}'s constraints"
                if same
                else f", and {a.user} and {b.user} have the same authority"
            ),
            spans[b],
            labels=[Label(spans[a], "contradicted here")],
            hint="drop one of them" if same else "give one of the users a higher authority",
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
    if sc.family == "shared_queue" and not any(r.jobs for r in sc.resources):
        diags.error(
            "E043",
            "generated orders need a worker: no resource lists `jobs:`",
            pop.head,
            hint='add `jobs: ["bug fix", ...]` to a worker resource',
        )
    if pop.orders[0] > pop.orders[1]:
        diags.error("E043", "the order range is empty", pop.at("orders"))


def _prompt(sc: ScenarioDef, program: Program, diags: Diagnostics) -> None:
    if sc.protocol is not None and sc.protocol.system is not None:
        return  # the prompt is given word for word: no template to find
    name, span = prompt_of(sc)
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
    return f"prompts/{sc.family}.j2", sc.head
