"""Multi-user instruction following: users of different authority give one task with
constraints that may conflict; the agent writes the answer(s) the binding ones allow."""

from museslang.families.instruction_following import checks, ground, lower, players
from museslang.family import (
    ONE_SHOT_PROTOCOL,
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
    corpus=f"{__name__}.corpus",
    explain=f"{__name__}.explain:explain",
    parts=Parts(truth={"constraints": TruthPart(ground.Constraints, always=True)}),
    truth=lower.truth,
    population=lower.population,
    players=players.PLAYERS,
    checks=checks.CHECKS,
    name="instruction_following",
    summary="one answer under users' constraints, conflicts resolved by authority",
    reads={
        "scenario": (*SCENARIO_FIELDS[:6], "binding", "answer", "extra"),
        "user": (*USER_FIELDS, "task", "constraints"),
        "goal": ("*",),
        "protocol": ONE_SHOT_PROTOCOL,
        "population": ("pool", "roles", "taskset", "constraints"),
        "sweep": ("*",),
    },
    metrics=("accuracy", "user_accuracy", "weighted_accuracy", "all_passed", "conflict_resolution"),
    conditions={
        "satisfied": (("user?",), (), "the user's format constraints all hold in the answer"),
    },
    personal=("satisfied",),
    display="instruction following",
    official=(
        ("accuracy", "accuracy"),
        ("weighted_accuracy", "weighted_accuracy"),
        ("all_passed", "all_passed"),
    ),
    paper_columns=((2, "Instr. acc.", "accuracy"),),
    rank=4,
    success=("all_passed",),
    actions=("answer",),
    turns="single_shot",
    ending="answer",
    max_turns=1,
    axes=("mode",),
    needs=("roles", "taskset"),
    verbatim_users=True,
    guards=(f"{__name__}.guard:GUARD",),
)
