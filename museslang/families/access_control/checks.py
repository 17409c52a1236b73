"""Checks of access-control scenarios: read rules that contradict or do nothing, secrets
that are not in the content, attack moves museslang cannot fill (museslang.semantics.rules)."""

from __future__ import annotations

from museslang.diagnostics import Diagnostics, Label
from museslang.metrics.leaks import alias_problem, found_in, pattern_problem, public_text
from museslang.semantics import readers as access
from museslang.semantics.model import ScenarioDef, UserDef
from museslang.semantics.rules import MOVE_VARIABLES
from museslang.semantics.types import SWEPT


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
        _meanings(res, diags)


def _meanings(res, diags: Diagnostics) -> None:
    """Each nested `secret` names a span of the content; its aliases and patterns must be
    usable (E034) and should not match what may be said to anyone (W013): an alias found
    in the resource's title or in its content outside the secrets would count a safe
    mention as a leak."""
    public = public_text(res.title, res.name or "", res.content, res.secret_spans())
    for decl in res.declared:
        span = decl.title
        if not span:
            diags.error(
                "E015",
                "a secret needs its span as its label",
                decl.head,
                hint='write `secret "the exact words of the content" { ... }`',
            )
            continue
        if res.content is not None and span not in res.content:
            diags.error(
                "E032",
                f"secret '{_clip(span)}' does not occur in {res.name}'s content",
                decl.head,
                hint="the label must be copied exactly from the content; other phrasings go "
                "in `leaks_as`",
            )
        for alias in decl.leaks_as:
            problem = pattern_problem(alias.text) if alias.regex else alias_problem(alias.text)
            if problem:
                what = "pattern" if alias.regex else "alias"
                diags.error(
                    "E034",
                    f"the {what} '{_clip(alias.text)}' of secret '{_clip(span)}' cannot be "
                    f"used: {problem}",
                    alias.span,
                    hint="write the words that disclose the secret, or a regular expression "
                    "that needs at least one of them",
                )
                continue
            hit = _matches(public, alias)
            if hit is not None:
                titled = _matches(f"{res.title or ''}\n{res.name or ''}", alias) is not None
                where = "its title" if titled else "its content outside the secrets"
                diags.warning(
                    "W013",
                    f"'{_clip(alias.text)}' (for secret '{_clip(span)}') matches "
                    f"'{_clip(hit)}' in {res.name}'s public text ({where})",
                    alias.span,
                    hint="a reply that mentions that would count as a leak: make the alias "
                    "more specific",
                )


def _matches(text: str, alias) -> str | None:
    return found_in(text, pattern=alias.text) if alias.regex else found_in(text, alias=alias.text)


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


def _attack_variables(sc: ScenarioDef, diags: Diagnostics) -> None:
    """An attack move may say {{resource}}, {{user}}, {{role}} and {{reader}}; any other
    variable would reach the agent unrendered, as `{{...}}` text."""
    from museslang.prompts import variables_of

    sources = [(u.attack, u.at("attack"), u.name) for u in sc.users if u.attack is not None]
    if sc.sweep is not None and sc.sweep.attack:
        sources += [(a, sc.sweep.at("attack"), None) for a in sc.sweep.attack]
    if sc.population is not None:
        sources += [(a, sc.population.at("attacks"), f"role {r.name}")
                    for r, a in sc.population.attacks if a is not None and a != SWEPT]  # fmt: skip
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


def _attackers(sc: ScenarioDef, diags: Diagnostics) -> None:
    """`attacks: { relative: sweep }` names roles the population draws, and the sweep's
    attack reaches someone: per-attack figures of a cell whose attack nobody carries
    would measure plain requests under an attack's name."""
    pop = sc.population
    if pop is None or not pop.attacks:
        return
    drawn = {r.name for r in pop.roles}
    span = pop.at("attacks")
    for role, _ in pop.attacks:
        if role.name not in drawn:
            diags.error(
                "E043",
                f"`attacks:` names the role '{role.name}', which the population does not draw",
                span,
                hint="the population's roles: " + (", ".join(sorted(drawn)) or "none"),
            )
    swept = [r.name for r, a in pop.attacks if a == SWEPT]
    axis = sc.sweep.attack if sc.sweep is not None else None
    if swept and not axis:
        diags.error(
            "E043",
            f"`attacks:` gives role '{swept[0]}' the sweep's attack, but the sweep has none",
            span,
            hint="add `attack: [...]` (or weights) to the sweep, or name an attack here",
        )
    elif axis and not swept:
        diags.error(
            "E043",
            "the sweep's `attack:` reaches no one: no role in the population's `attacks:` "
            "takes `sweep`",
            sc.sweep.at("attack") if sc.sweep is not None else span,
            labels=[Label(span, "these roles' attacks are fixed")],
            hint="give a role `sweep` (`{ relative: sweep }`), or delete the sweep's attack",
        )


# what `Family.checks` hands the checker: (stage, check), run in this order at each stage
CHECKS = (("fields", _permissions), ("population", _attackers), ("late", _attack_variables))
