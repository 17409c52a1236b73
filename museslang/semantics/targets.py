"""Checking a sweep's distribution targets (`target NAME { holds: "..."  share: 25%..35% }`).

A target is judged on each episode as it was drawn, before anything is played, so its
expression reads the episode's users, options and facts and never an action or `told`.
It is typed like a goal of the scenario's family: a family written in museslang brings
its facts; a Python family's episodes offer what every user has (`u.role`,
`u.authority`, `u.required`). A share that no whole number of the scenario's episodes
can fall in (30%..35% of 4 episodes) is refused here, before anything is drawn.
"""

from __future__ import annotations

import math

from museslang.diagnostics import Diagnostics
from museslang.expr import nodes as E
from museslang.expr.types import BOOL, Checker, ExprTypeError, Reads, describe, fits
from museslang.ir.models import AuthoredFamily
from museslang.semantics.loader import Program
from museslang.semantics.model import ScenarioDef, TargetDef
from museslang.semantics.sweep_size import planned

CODE = "E045"


def family_for(sc: ScenarioDef) -> AuthoredFamily:
    """What a target's expression may read: the written family, or no facts at all."""
    if sc.authored is not None:
        return sc.authored
    name = getattr(sc.family, "name", None) or str(sc.family)
    return AuthoredFamily(name=name, summary="", success=[])


def counts(share: tuple[float, float], n: int) -> range:
    """The numbers of episodes out of `n` whose share lies in `share` (both ends in)."""
    low, high = share
    eps = 1e-9  # 30% of 10 is 3, not 3.0000000000000004
    return range(math.ceil(low * n - eps), math.floor(high * n + eps) + 1)


def episodes_of(sc: ScenarioDef) -> int:
    """The episodes a target counts: each draw once (a variant is a copy of its draw)."""
    total, _ = planned(sc)
    variants = len(sc.sweep.variants) if sc.sweep is not None else 0
    return total // (1 + variants)


def check(sc: ScenarioDef, diags: Diagnostics, program: Program | None = None) -> None:
    sw = sc.sweep
    if sw is None or not sw.targets:
        return
    seen: dict[str, TargetDef] = {}
    n = episodes_of(sc)
    for t in sw.targets:
        if t.name in seen:
            diags.error("E012", f"the sweep has two targets named '{t.name}'", t.head,
                        hint="give each target its own name")  # fmt: skip
            continue
        seen[t.name or ""] = t
        _expression(sc, t, diags, program)
        if t.share is not None and not counts(t.share, n):
            low, high = t.share
            diags.error(
                CODE,
                f"target {t.name}: no whole number of the scenario's {n} episodes is "
                f"{low:.0%}..{high:.0%} of them",
                t.at("share"),
                hint="widen the share or draw more samples (each count k of n is k/n: "
                + ", ".join(f"{k}/{n} = {k / n:.0%}" for k in _near(t.share, n))
                + ")",
            )


def _near(share: tuple[float, float], n: int) -> list[int]:
    """The two counts on either side of an empty share, for the hint."""
    k = math.floor(share[0] * n)
    return [c for c in (k, k + 1) if 0 <= c <= n]


def _located(t: TargetDef, program: Program | None) -> E.Located:
    """`holds` with where its text starts: a text block starts on the line after its
    quotes, dedented (as a family's expressions are located)."""
    span = t.at("holds")
    module = program.modules.get(span.file) if program is not None else None
    several = module is not None and span.end_line != span.line  # a text block
    lines = module.source.text.splitlines() if several else []
    return E.Located.written(t.holds or "", span, lines)


def _expression(sc: ScenarioDef, t: TargetDef, diags: Diagnostics, program) -> None:
    if t.holds is None:
        return
    span = t.at("holds")
    where = _located(t, program)
    what = f"target {t.name}"
    try:
        node = E.parse(t.holds)
    except E.ExprError as exc:
        diags.error("E070", f"{what}: {exc}", where.span(exc.offset), hint=exc.hint)
        return
    reads = Reads()
    try:
        got = Checker(family_for(sc), reads=reads).infer(node, {})
        if not fits(got, BOOL):
            raise ExprTypeError(
                f"{what}: holds must be {describe(BOOL)}, not {describe(got)}", node
            )
    except ExprTypeError as exc:
        diags.error("E071", str(exc), where.span(exc.node.start, exc.node.end), hint=exc.hint)
        return
    if reads.actions or reads.told:
        read = sorted(reads.actions)[0] if reads.actions else "told"
        diags.error(
            "E071",
            f"{what} reads '{read}', which an episode has only once it is played",
            span,
            hint="a target counts episodes as they are drawn: read their users, options and facts",
        )
