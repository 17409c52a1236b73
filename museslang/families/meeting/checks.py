"""Checks of meeting scenarios: slots on the calendar, a slot every required attendee
can make, enough slots for generated users (museslang.semantics.rules)."""

from __future__ import annotations

from museslang.diagnostics import Diagnostics, Label
from museslang.families.meeting import truth as meeting
from museslang.semantics.calendar import describe_calendar, scenario_calendar
from museslang.semantics.model import ScenarioDef, UserDef
from museslang.semantics.types import Located, SlotTime
from museslang.source import Span


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
    if sc.population is not None or not sc.users:
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


def _sweep_slots(sc: ScenarioDef, diags: Diagnostics) -> None:
    """Generated users must fit their slots on the calendar."""
    pop, sw = sc.population, sc.sweep
    if pop is None or sw is None or not sw.users:
        return
    size = len(scenario_calendar(sc))
    if pop.preferred[1] + pop.secondary[1] > size:
        diags.error(
            "E043",
            f"users cannot hold {pop.preferred[1] + pop.secondary[1]} slots: "
            f"the calendar has {size}",
            pop.at("preferred"),
        )
    if pop.preferred[0] < 1:
        diags.error("E043", "every user needs at least one preferred slot", pop.at("preferred"))


# what `Family.checks` hands the checker: (stage, check), run in this order at each stage
CHECKS = (("fields", _slots), ("population", _feasibility), ("sweep", _sweep_slots))
