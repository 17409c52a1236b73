"""A scenario family from outside museslang, for the plug-in test: every user says hello
and the agent must answer greeting each of them by name, in one reply."""

from pathlib import Path

from museslang.family import (
    ONE_SHOT_PROTOCOL,
    SCENARIO_FIELDS,
    USER_FIELDS,
    Family,
    Parts,
    TruthPart,
)
from museslang_greeting import hooks
from museslang_greeting.ground import Greeting

FAMILY = Family(
    name="greeting",
    summary="answer once, greeting every user by name",
    reads={
        "scenario": SCENARIO_FIELDS,
        "user": (*USER_FIELDS, "task"),
        "goal": ("*",),
        "protocol": ONE_SHOT_PROTOCOL,
    },
    metrics=("greeted",),
    success=("greeted",),
    actions=("answer",),
    turns="single_shot",
    ending="answer",
    max_turns=1,
    templates=str(Path(__file__).parent),
    hooks=("museslang_greeting.hooks",),
    parts=Parts(truth={"greeting": TruthPart(Greeting)}),
    truth=hooks.truth,
    players=hooks.PLAYERS,
)
