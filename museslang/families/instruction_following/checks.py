"""Checks of instruction-following scenarios: constraints that contradict and that
authority cannot settle (museslang.semantics.rules)."""

from __future__ import annotations

from museslang.diagnostics import Diagnostics, Label
from museslang.families.instruction_following import truth as instructions
from museslang.instructions.compose import compose
from museslang.instructions.conflicts import Rule
from museslang.semantics.model import ScenarioDef
from museslang.semantics.types import Instruction


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


# what `Family.checks` hands the checker: (stage, check), run in this order at each stage
CHECKS = (("fields", _constraints),)
