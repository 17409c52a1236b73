"""Installing a family written in museslang: the same registries a Python family's hooks
fill, filled from its checked declaration.

`install` is called when a spec that declares the family is compiled (a check installs
nothing: it binds `family_value` to the scenarios, museslang.family.written), and when a
compiled file that carries it is loaded, so `eval`, `rescore` and `report` of a compiled
spec need no source. Installing again (another spec, an edited family) replaces what was
there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, create_model

from museslang import family as families
from museslang.authored import outcome, plays
from museslang.expr.evaluate import Budget, EvalError, OutOfSteps, UserV, World, evaluate, show
from museslang.expr.types import EARLIER
from museslang.ir import models as ir
from museslang.source import Span

if TYPE_CHECKING:
    from museslang.family import Family

ORIGIN = families.WRITTEN
INSTALLED: dict[str, ir.AuthoredFamily] = {}

SCENARIO_READS = ("family", "title", "objective", "metrics", "template", "id", "facts")
USER_READS = (
    "role",
    "authority",
    "persona",
    "attendance",
    "template",
    "goal",
    "says",
    "facts",
)


class InstallError(ValueError):
    """A family written in museslang that would replace an installed one."""


def install(fam: ir.AuthoredFamily) -> None:
    """Register the family and its behaviour (idempotent for an unchanged family). It
    never replaces an installed family: a compiled file naming its family `meeting`
    must not change what a meeting is."""
    if INSTALLED.get(fam.name) == fam:
        return
    if fam.name in families.installed():
        raise InstallError(f"family '{fam.name}' is installed; a file cannot redefine it")
    families.declared()
    INSTALLED[fam.name] = fam
    _register_family(fam)
    _register_metrics(fam)
    _register_leaks(fam)
    _register_blame(fam)
    _register_teacher(fam)


def install_all(compiled: ir.CompiledSpec) -> None:
    """Install a compiled file's families, once they check as a spec's would (verify); one
    name defined twice, differently, is refused (which one would a metric score?)."""
    from museslang.semantics.written.verify import problems

    found = problems(compiled)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InstallError(f"{found[0]}{more}")
    seen: dict[str, ir.AuthoredFamily] = {}
    for fam in compiled.families:
        if seen.setdefault(fam.name, fam) != fam:
            raise InstallError(f"family '{fam.name}' is defined twice, differently")
    for fam in seen.values():
        install(fam)


# ---- the family --------------------------------------------------------------------------
def _register_family(fam: ir.AuthoredFamily) -> None:
    families.FAMILIES.replace(fam.name, family_value(fam))


def family_value(fam: ir.AuthoredFamily) -> Family:
    """The family's `Family` value, built from its declaration alone and registered
    nowhere (`museslang.family.written`, which a check binds to its scenarios); equal
    declarations give the same object."""
    return _family_value(fam.model_dump_json())


@lru_cache(maxsize=64)
def _family_value(decl: str) -> Family:
    from museslang.family import CONVERSATION_PROTOCOL, ONE_SHOT_PROTOCOL, Family

    fam = ir.AuthoredFamily.model_validate_json(decl)
    single = fam.turns == "single_shot"
    enders = [a.name for a in fam.actions if a.ends]
    return Family(
        name=fam.name,
        summary=fam.summary,
        reads={
            "scenario": SCENARIO_READS,
            "user": USER_READS,
            "option": ("*",),
            "protocol": (*(ONE_SHOT_PROTOCOL if single else CONVERSATION_PROTOCOL), "judge"),
            "population": ("pool", "roles", "required"),
            "sweep": ("users", "template", "guards", "samples", "seed", "same_seed"),
        },
        metrics=tuple(outcome.metric_names(fam)),
        success=(outcome.SUCCESS,),
        actions=tuple(a.name for a in fam.actions)
        if single
        else ("send_message", *(a.name for a in fam.actions)),
        turns=fam.turns,
        ending=enders[0] if enders else "max_turns",
        max_turns=fam.max_turns,
        prompt="prompts/authored.j2",
        variables=lambda episode: _prompt_variables(fam, episode),
        explain="museslang.authored.explain:explain",
        origin=ORIGIN,
        mutations="museslang.authored.mutations:mutations",
        user_checks="museslang.authored.user_checks:checks",
        # its declared guards, made from the installed declaration when guards are read
        guards=("museslang.guards.declared:written",) if fam.guards else (),
        players=_players(fam),
        users=_users(fam),
        own_actions=_own_actions(fam),
        checks=(("fields", lambda sc, diags: _check_facts(fam, sc, diags)),),
        truth=lambda lowered: _truth(fam, lowered),
        population=lambda drawn: _population(fam, drawn),
    )


def _check_facts(fam: ir.AuthoredFamily, sc: Any, diags: Any) -> None:
    """Its scenarios' check (`Family.checks`): the facts they give, against what it
    declares."""
    from museslang.semantics.written.scenario import check_facts

    check_facts(fam, sc, diags)


def _prompt_variables(fam: ir.AuthoredFamily, episode: ir.EpisodeGraph) -> dict[str, Any]:
    """What the agent is told: every fact that is not `private` (the scenario's, each
    user's, each option's); a private one it learns only from the user who has it."""
    w = outcome.world(fam, episode)

    def public(of: str, facts: dict[str, Any]) -> dict[str, Any]:
        hidden = {f.name for f in fam.facts if f.of == of and f.private}
        return {k: plays.as_json(v) for k, v in facts.items() if k not in hidden}

    return {
        "brief": fam.brief or fam.summary,
        "facts": public("scenario", w.facts),
        "known": {u.id: public("user", u.facts) for u in w.users},
        "options": [
            {"id": o.id, "title": o.title or o.id} | public("option", o.facts) for o in w.options
        ],
        "actions": [
            {"name": a.name, "description": a.description, "ends": a.ends} for a in fam.actions
        ],
    }


# ---- actions -----------------------------------------------------------------------------
_PY = {"user": str, "option": str, "number": float, "text": str, "flag": bool}


def _own_actions(fam: ir.AuthoredFamily) -> tuple[Any, ...]:
    """Its action kinds (`Family.own_actions`): one per declared action, its arguments a
    model made from the declared parameters."""
    from museslang.actions import ActionArgs, ActionKind, as_list

    out = []
    for spec in fam.actions:
        fields: dict[str, Any] = {}
        for p in spec.params:
            if p.type == "users":
                kind: Any = Annotated[list[str], BeforeValidator(as_list)]
            else:
                kind = _PY[p.type]
            fields[p.name] = (kind, Field(description=_param_doc(p)))
        args = create_model(f"{fam.name}_{spec.name}", __base__=ActionArgs, **fields)
        kind_ = ActionKind(
            spec.name,
            args,
            spec.description + (" This ends the episode." if spec.ends else ""),
            spec.ends,
            _syntax(spec),
            apply=_applier(fam, spec),
            line=re.compile(rf"^\s*{re.escape(spec.name)}\s*\((.*)\)\s*$", re.IGNORECASE),
            line_args=_line_args,
        )
        out.append(kind_)
    return tuple(out)


def _param_doc(p: ir.ParamSpec) -> str:
    words = {
        "user": "a user's id",
        "users": "user ids",
        "option": "an option's id",
        "number": "a number",
        "text": "text",
        "flag": "true or false",
    }[p.type]
    if p.low is not None and p.high is not None:
        words += f" from {show(p.low)} to {show(p.high)}"
    return words


def _syntax(spec: ir.ActionSpec) -> str:
    inner = ", ".join(f"{p.name}=..." for p in spec.params)
    return f"{spec.name}({inner})"


_PAIR = re.compile(r"(\w+)\s*[=:]\s*(\"[^\"]*\"|'[^']*'|\[[^\]]*\]|[^,]+)")


def _line_args(match: re.Match[str]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key, raw in _PAIR.findall(match[1]):
        value = raw.strip()
        if value[:1] in "\"'":
            value = value[1:-1]
        elif value.startswith("["):
            value = [v.strip().strip("\"'") for v in value[1:-1].split(",") if v.strip()]
        args[key] = value
    return args


def _applier(fam: ir.AuthoredFamily, spec: ir.ActionSpec):
    """The engine's check of a call: users and options must exist, numbers be in range;
    an accepted call is recorded and read by the goals when the episode is scored."""

    def apply(episode, turn, args, transcript, public) -> tuple[str, bool]:
        from museslang.runtime.engine import resolve_users

        truth = episode.truth.authored
        options = {o.id.lower(): o.id for o in (truth.options if truth else [])}
        parts = []
        for p in spec.params:
            value = getattr(args, p.name)
            if p.type in ("user", "users"):
                names = [value] if p.type == "user" else list(value)
                known, unknown = resolve_users(episode, names)
                if unknown or (p.type == "user" and len(known) != 1):
                    return f"error: {p.name}: no user {', '.join(unknown) or value!r}", False
                setattr(args, p.name, known[0] if p.type == "user" else known)
            elif p.type == "option":
                if str(value).lower() not in options:
                    listed = ", ".join(options.values())
                    return f"error: {p.name}: no option {value!r} (options: {listed})", False
                setattr(args, p.name, options[str(value).lower()])
            elif p.type == "number":
                low, high = p.low, p.high
                if (low is not None and value < low) or (high is not None and value > high):
                    return f"error: {p.name} must be from {show(low)} to {show(high)}", False
            parts.append(f"{p.name}={show(getattr(args, p.name))}")
        return f"{spec.name}({', '.join(parts)}) recorded", True

    return apply


# ---- scoring -----------------------------------------------------------------------------
def _register_metrics(fam: ir.AuthoredFamily) -> None:
    from museslang.metrics.registry import METRICS, Metric, Values, per_result

    @per_result
    def scored(episode: ir.EpisodeGraph, result) -> tuple[dict[str, float | None], dict]:
        return outcome.scored(fam, outcome.played(fam, episode, result))

    for name in outcome.metric_names(fam):

        def fn(episode, result, name=name) -> Values:
            values, unevaluated = scored(episode, result)
            why = {name: unevaluated[name]} if name in unevaluated else {}
            return Values({name: values[name]}, why)

        METRICS.replace(f"{fam.name}:{name}", Metric(name, fam.name, (name,), fn))


def _register_leaks(fam: ir.AuthoredFamily) -> None:
    """What the family protects: each user's private facts, from every other user (the
    leak records read `told`'s rule, museslang.expr.told)."""
    from museslang.metrics.leak_record import PROTECTED

    PROTECTED.replace(fam.name, lambda episode, result: _protected(fam, episode, result))


def _protected(fam: ir.AuthoredFamily, episode: ir.EpisodeGraph, result) -> list:
    from museslang.expr.evaluate import told_in
    from museslang.expr.told import Fact
    from museslang.metrics.leak_record import Protected

    w = outcome.played(fam, episode, result)
    private = [f for f in fam.facts if f.of == "user" and f.private]
    out = []
    for user in w.users:
        for f in private:
            value = user.facts.get(f.name)
            if value is None or value == []:
                continue
            fact = Fact("user", f.name, user.id)

            def find(scanned, delivery, value=value, fact=fact):
                return told_in(w, delivery.recipient, scanned.text, value, fact)

            about = f"{user.id}'s {f.name.replace('_', ' ')}"
            about += f" ({f.doc})" if f.doc else ""
            out.append(Protected(f"{user.id}.{f.name}", show(value), frozenset({user.id}),
                                 find, about=f"{about}: {show(value)}"))  # fmt: skip
    return out


def _register_teacher(fam: ir.AuthoredFamily) -> None:
    """What `generate`'s teacher is told: the oracle's calls (stdlib/prompts/teacher.j2)."""
    from museslang.datagen.teacher import GUIDES

    def guide(episode: ir.EpisodeGraph) -> dict[str, Any]:
        truth = episode.truth.authored
        return {"ideal": [c.model_dump() for c in truth.ideal] if truth else []}

    GUIDES.replace(fam.name, guide)


def _register_blame(fam: ir.AuthoredFamily) -> None:
    from museslang.gate import BLAME

    BLAME.replace(fam.name, lambda episode, result: _blame(fam, episode, result))


def _blame(fam: ir.AuthoredFamily, episode: ir.EpisodeGraph, result):
    """The oracle gate's blame: the first success goal the oracle's outcome misses, and
    for a per-user goal the first user it fails for (their declaration)."""
    w = outcome.played(fam, episode, result)
    for name in fam.success:
        goal = next(m for m in fam.measures if m.name == name)
        value, unevaluable = outcome.measured(goal, w)
        if value in (None, 1.0):
            continue
        if unevaluable is not None:
            why = f"goal '{name}' cannot be evaluated after the oracle's calls: {unevaluable}"
            return episode.source, why, "facts"
        if goal.per == "user":
            for user, p in zip(w.users, episode.participants, strict=True):
                if _fails_for(goal, w, user):
                    why = f"goal '{name}' does not hold for {user.id} after the oracle's calls"
                    return p.source or episode.source, why, "facts"
        return episode.source, f"goal '{name}' does not hold after the oracle's calls", "facts"
    return episode.source, "the oracle's episode does not succeed", None


def _fails_for(goal: ir.MeasureSpec, w: World, user: UserV) -> bool:
    """Whether a per-user goal is about this user and does not hold (or cannot be told)."""
    try:
        chosen = goal.where is None or evaluate(goal.where, w, {"u": user})
        return bool(chosen) and not outcome.value_of(goal, w, {"u": user})
    except EvalError:
        return True


# ---- players and users -------------------------------------------------------------------
def _players(fam: ir.AuthoredFamily) -> dict[str, Any]:
    """Its reference players (`Family.players`): one per `play`, by the play's name."""
    return {play.name: _player(fam, play) for play in fam.plays}


def _player(fam: ir.AuthoredFamily, play: ir.PlaySpec):
    def player(view) -> list:
        from museslang.actions import Action, SendMessage, make_action
        from museslang.prompts import PromptError

        acts_on = 2 if play.on == "reply" else 1  # it asks on turn 1, then acts on 2
        if view.turn > acts_on:
            return []  # a reference player acts once
        episode = view.episode
        w = outcome.world(fam, episode)
        if view.turn < acts_on:
            return [
                Action(name="send_message", args=SendMessage(to=[uid], text=text))
                for uid, text in _asked(fam, play, w).items()
            ]
        truth = episode.truth.authored
        if play.name == "oracle" and truth is not None and truth.ideal:
            calls = [(c.action, dict(c.args)) for c in truth.ideal]
        else:
            try:
                calls = plays.calls_of(fam, play, w)
            except (plays.PlayError, EvalError) as exc:  # the spec's expression, not museslang
                where = fam.at.get(f"play:{play.name}") or fam.source
                at = f"{where.file}:{where.line}:{where.column}: " if where else ""
                raise PromptError(f"{at}play {play.name} of family {fam.name}: {exc}") from None
        out = []
        if play.tell:
            for user in w.users:
                context = plays.context(fam, w, user, calls)
                text = render_located(fam, f"tell:{play.name}", play.tell, context).strip()
                if text:
                    out.append(
                        Action(name="send_message", args=SendMessage(to=[user.id], text=text))
                    )
        out += [make_action(name, args, view.kinds) for name, args in calls]
        return out

    return player


def _users(fam: ir.AuthoredFamily) -> Any:
    """Its scripted users (`Family.users`): `opening:` and `reply:`, after any `says:`."""
    from museslang.family import conversing

    return conversing(lambda episode, user: _Person(fam, episode, user))


class _Person:
    """A scripted user of the family: `opening:` first, `reply:` whenever written to."""

    def __init__(self, fam: ir.AuthoredFamily, episode: ir.EpisodeGraph, user) -> None:
        self.fam = fam
        w = outcome.world(fam, episode)
        me = next(u for u in w.users if u.id == user.id)
        self.values = plays.context(fam, w, me)

    def _say(self, name: str, **more: Any) -> str | None:
        template = getattr(self.fam, name)
        if not template:
            return None
        return render_located(self.fam, name, template, self.values | more).strip() or None

    def opening(self) -> str | None:
        return self._say("opening")

    def reply(self, turn: int, incoming) -> str | None:
        return self._say("reply", message="\n".join(m.text for m in incoming), turn=turn)


def render_located(fam: ir.AuthoredFamily, key: str, template: str, values: dict) -> str:
    """A family's template rendered for one user; an error names where it is written
    (`stdlib/x.muses:40:5: template error in opening: ...`), not only what failed."""
    from museslang.prompts import PromptError, render

    try:
        return render(template, values)
    except PromptError as exc:
        where = fam.at.get(key) or fam.source
        if where is None:
            raise
        line = where.line + (exc.line or 1) - 1
        column = where.column if (exc.line or 1) == 1 else 1
        raise PromptError(f"{where.file}:{line}:{column}: template error in "
                          f"`{key.partition(':')[0]}` of family {fam.name}: {exc}",
                          exc.line) from None  # fmt: skip


# ---- lowering ----------------------------------------------------------------------------
def _truth(fam: ir.AuthoredFamily, lowered) -> dict[str, Any]:
    """Its ground truth (`Family.truth`): the scenario's facts with their draws, and the
    oracle's calls and scores (a draw the oracle cannot pass is drawn again)."""
    from museslang.lower.episodes import LoweringError, RedrawEpisode

    sc = lowered.scenario
    options = [
        ir.OptionSpec(id=o.name or "?", title=o.title, facts=dict(o.facts), source=None)
        for o in sc.options
    ]
    truth = ir.AuthoredTruth(facts=dict(sc.facts), options=options)
    w = outcome.world_of(fam, lowered.participants, truth)
    w.rng, w.budget = lowered.rng, _budget(lowered.work)
    lowered.work["draws"] = lowered.work.get("draws", 0) + 1
    where = sc.population.head if sc.population is not None else sc.head
    with _spent(lowered.work, where):
        for f in fam.facts:
            if f.of == "scenario" and f.name not in w.facts and f.draw:
                what = f"drawing '{f.name}'"
                w.facts[f.name] = _drawn(fam, f, w, {}, w.options, sc.head, what)
        w.rng = None
        truth.facts = {k: plays.as_json(v) for k, v in w.facts.items()}
        oracle = next(p for p in fam.plays if p.name == "oracle")
        try:
            calls = plays.calls_of(fam, oracle, w)
        except (plays.PlayError, EvalError) as exc:
            raise LoweringError(f"the oracle: {exc}", sc.head) from None
        truth.ideal = [ir.IdealCall(action=a, args=args) for a, args in calls]
        made = [(action, outcome.call_value(w, fam, action, args)) for action, args in calls
                if any(a.name == action for a in fam.actions)]  # fmt: skip
        for action, call in made:
            w.calls.setdefault(action, []).append(call)
        asked = _asked(fam, oracle, w)
        w.told = _told_by(fam, oracle, w, calls, sc.head)
        if outcome.reads_the_conversation(fam):
            turn = 2 if oracle.on == "reply" else 1
            w.moments = outcome.moments_of_play(fam, w, w.told, made, asked, turn)
        for uid, text in asked.items():  # what it asked was sent too
            w.told[uid] = text + "\n" + w.told.get(uid, "")
        truth.ideal_scores, unevaluated = outcome.scored(fam, w)
        failing = [(name, unevaluated[name]) for name in fam.success if name in unevaluated]
        if failing:  # not a draw to try again: the spec's goal cannot be evaluated
            name, why = failing[0]
            raise LoweringError(
                f"goal '{name}' cannot be evaluated after the oracle's calls: {why}",
                sc.head,
                code="E071",
            )
    refused = refused_call(fam, calls, w)
    if sc.population is not None and refused is not None:
        # the engine would refuse the oracle's call: the draw fell outside what the action
        # takes (a bid above `price: 0..100`); counted as a redraw of its own kind
        raise RedrawEpisode(f"the oracle's call is refused: {refused[1]}", goal=refused[0])
    if truth.ideal_scores[outcome.SUCCESS] != 1.0 and sc.population is not None:
        missed = next(
            (g for g in fam.success if truth.ideal_scores.get(g) not in (None, 1.0)), "success"
        )
        raise RedrawEpisode("the oracle cannot pass this draw", goal=missed)
    return {"authored": truth}


def _asked(fam: ir.AuthoredFamily, play: ir.PlaySpec, w: World) -> dict[str, str]:
    """What an `on: reply` play asks each user on its first turn (user id -> text)."""
    out = {}
    for user in w.users if play.ask else []:
        context = plays.context(fam, w, user)
        text = render_located(fam, f"ask:{play.name}", play.ask or "", context).strip()
        if text:
            out[user.id] = text
    return out


def _told_by(fam: ir.AuthoredFamily, play: ir.PlaySpec, w: World, calls, where) -> dict:
    """What the play's `tell:` sends each user, as the scores read it (user id -> text):
    an oracle that tells each nurse her shift is scored with what it told."""
    from museslang.lower.episodes import LoweringError
    from museslang.prompts import PromptError

    told = {}
    for user in w.users if play.tell else []:
        try:
            context = plays.context(fam, w, user, calls)
            text = render_located(fam, f"tell:{play.name}", play.tell or "", context).strip()
        except PromptError as exc:
            raise LoweringError(f"the oracle's tell: {exc}", where, code="E050") from None
        if text:
            told[user.id] = text
    return told


def refused_call(
    fam: ir.AuthoredFamily, calls: list[plays.Call], w: World
) -> tuple[str, str] | None:
    """The first of the oracle's calls the engine would refuse (a number outside its
    range, a user or option the episode lacks), as (what, why), or None."""
    users = {u.id.lower() for u in w.users}
    options = {o.id.lower() for o in w.options}
    for name, args in calls:
        spec = next((a for a in fam.actions if a.name == name), None)
        for p in spec.params if spec is not None else []:
            value = args.get(p.name)
            if p.type == "number" and isinstance(value, int | float):
                low, high = p.low, p.high
                if (low is not None and value < low) or (high is not None and value > high):
                    why = f"{name}({p.name}={show(value)}) is outside {show(low)}..{show(high)}"
                    return f"{name}.{p.name} out of range", why
            elif p.type in ("user", "option") and value is not None:
                known = users if p.type == "user" else options
                if str(value).lower() not in known:
                    return f"{name}.{p.name} unknown", f"{name}({p.name}={value}) names no {p.type}"
    return None


def _typed(fam: ir.AuthoredFamily, f: ir.FactSpec, value: Any, options: list, where) -> Any:
    """A drawn value as the fact's type holds it: an `option` fact's draw must name one of
    the scenario's options (a catalogue renamed under a draw is an error, not a user on a
    shift that does not exist)."""
    from museslang.lower.episodes import LoweringError

    if f.type == "user" and value is not None and not isinstance(value, UserV):
        raise LoweringError(
            f"the draw of '{f.name}' gave {plays.as_json(value)!r}, which is no user; draw "
            "one from users (a scenario's fact) or earlier (a user's)",
            where,
            code="E073",
        )
    if f.type != "option" or value is None:
        return value
    found = outcome.as_option(value, options)
    if found is None:
        from museslang.diagnostics import did_you_mean

        ids = [o.id for o in options]
        raise LoweringError(
            f"the draw of '{f.name}' gave {plays.as_json(value)!r}, which is no option of "
            f"this scenario ({', '.join(ids) or 'it has none'})"
            + (f"; {hint}" if (hint := did_you_mean(str(plays.as_json(value)), ids)) else ""),
            where,
            code="E073",
        )
    return found


def _population(fam: ir.AuthoredFamily, drawn) -> tuple[list[ir.Participant], list]:
    """Its generated users (`Family.population`): roles, who is required, and each user's
    drawn facts."""
    from museslang.lower.episodes import participant, ranked
    from museslang.lower.population import assign_roles

    sc, rng, pop = drawn.scenario, drawn.rng, drawn.scenario.population
    src = drawn.lc.source_of(pop.head)
    roles = [r.entity for r in pop.roles if r.entity is not None]
    if roles:
        assign_roles(rng, drawn.people, roles)
    n = len(drawn.people)
    share = rng.uniform(*pop.required) if "required" in pop.field_spans else 1.0
    n_required = max(1, round(n * share))
    flags = [True] * n_required + [False] * (n - n_required)
    rng.shuffle(flags)
    people = []
    for p, flag in zip(drawn.people, flags, strict=True):
        p.required = flag
        made = (
            ranked(p, pop, drawn.disclosure, src, drawn.lc)
            if roles
            else participant(p, drawn.disclosure, src)
        )
        made.attendance = "required" if p.required else "optional"
        people.append(made)
    # a user's draw sees the catalogue and the scenario's given facts, its own facts drawn
    # before it (as values: `u.shift.hours` reads the option a draw picked), and the users
    # drawn before it with all their facts (`earlier`: distinct draws, ties on purpose)
    written = [ir.OptionSpec(id=o.name or "?", title=o.title, facts=dict(o.facts))
               for o in sc.options]  # fmt: skip
    options = outcome.catalogue(fam, written)
    facts = outcome.resolved(fam, "scenario", sc.facts, options)
    w = World([], options, facts, rng=rng, budget=_budget(drawn.lc.work),
              defs=outcome.defs_of(fam))  # fmt: skip
    earlier: list[UserV] = []
    with _spent(drawn.lc.work, pop.head):
        for person in people:
            required = person.attendance == "required"
            me = UserV(person.id, person.role, person.authority, required, {})
            scope = {"u": me, EARLIER: list(earlier)}
            for f in fam.facts:
                if f.of == "user" and f.draw:
                    what = f"drawing '{f.name}' for {person.id}"
                    me.facts[f.name] = _drawn(fam, f, w, scope, options, pop.head, what)
            person.facts = {k: plays.as_json(v) for k, v in me.facts.items()}
            earlier.append(me)
    return people, []


def _budget(work: dict[str, Any]) -> Budget:
    """The one budget of an episode's draws, oracle and scoring, over all its redraws."""
    return work.setdefault("budget", Budget())


@contextmanager
def _spent(work: dict[str, Any], where: Span) -> Iterator[None]:
    """A budget that runs out is the episode's error at the scenario: the draw and its
    redraws cost too much, whatever the cause."""
    from museslang.lower.episodes import LoweringError

    try:
        yield
    except OutOfSteps as exc:
        draws = work.get("draws", 1)
        tried = f" over {draws} draws (the oracle failed the earlier ones)" if draws > 1 else ""
        raise LoweringError(f"drawing and playing it: {exc}{tried}", where) from None


def _drawn(fam: ir.AuthoredFamily, f: ir.FactSpec, w: World, scope: dict[str, Any],
           options: list, where: Span, what: str) -> Any:  # fmt: skip
    """A fact's drawn value, as the fact's type holds it (`_typed`): a failed draw, or a
    number that is not finite (it would be written as null) or too large, is the
    episode's error."""
    from museslang.lower.episodes import LoweringError

    try:
        value = evaluate(f.draw or "", w, scope)
    except EvalError as exc:
        raise LoweringError(f"{what}: {exc}", where) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise LoweringError(f"{what}: {show(value)} is not a finite number", where)
    if isinstance(value, int) and abs(value) > 2**1023:
        raise LoweringError(f"{what}: {show(value)} is too large a number", where)
    return _typed(fam, f, value, options, where)
