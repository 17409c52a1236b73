"""Meeting scheduling: users with private calendars and preferences; the agent finds a
slot every required attendee can make, asking before it books, and finalises it."""

from museslang.families.meeting import actions, checks, ground, lower, players, users
from museslang.family import (
    CONVERSATION_PROTOCOL,
    SCENARIO_FIELDS,
    USER_FIELDS,
    Family,
    Parts,
    TruthPart,
    own_modules,
)

FAMILY = Family(
    hooks=own_modules(__name__, __path__),
    mutations=f"{__name__}.mutations:mutations",
    user_checks=f"{__name__}.user_checks:checks",
    corpus=f"{__name__}.corpus",
    explain=f"{__name__}.explain:explain",
    parts=Parts(truth={"meeting": TruthPart(ground.MeetingTruth, always=True)}),
    truth=lower.truth,
    population=lower.population,
    players=players.PLAYERS,
    checks=checks.CHECKS,
    own_actions=(actions.FINALIZE_MEETING,),
    users=users.make_person,
    name="meeting",
    summary="schedule one meeting: private calendars, required and optional attendees",
    reads={
        "scenario": (*SCENARIO_FIELDS[:3], "calendar", "expect", *SCENARIO_FIELDS[3:]),
        "user": (*USER_FIELDS, "attendance", "prefers", "secondary"),
        "goal": ("*",),
        "protocol": CONVERSATION_PROTOCOL,
        "population": (
            "pool",
            "required",
            "stubborn",
            "proactive",
            "preferred",
            "secondary",
            "roles",
        ),
        "sweep": ("*",),
    },
    metrics=("success", "attendance", "utility", "optimality", "turns", "turn_ratio"),
    conditions={
        "finalized": (
            (),
            ("within",),
            "a meeting slot is finalised that every required attendee accepts",
        ),
        "attends": (("user?",), (), "the user is invited to a finalised slot they can make"),
        "optimal": ((), (), "the finalised slot is among the best feasible slots"),
    },
    personal=("attends",),
    display="meeting scheduling",
    official=(
        ("success", "success"),
        ("attendance_rate", "attendance"),
        ("utility", "utility"),
        ("turns", "turns"),
    ),
    paper_columns=((5, "Meeting succ.", "success"),),
    rank=1,
    success=("success",),
    actions=("send_message", "finalize_meeting", "finish"),
    ending="finalize_meeting",
    axes=("difficulty", "disclosure"),
    min_generated_users=2,
)
