"""Open-domain multi-user conversation: the seed scenarios of MUSES Bench's training-data
pipeline as museslang declarations (participants with role, background and an optional
behaviour cue; conflicts; private-message needs), played with the `@Name:` /
`@Name(private):` / `@all:` protocol, for SFT data. Each simulated user sees only what was
addressed to them; the teacher is guided by the scenario; a conversation is kept only
when no turn is empty, no message goes to someone who is not there and no private detail
reaches anyone but its owner (each counted, `generate.json`)."""

from pathlib import Path

from museslang.families.conversation import ground, lower, players, users
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
    parts=Parts(truth={"conversation": TruthPart(ground.Conversation)}),
    truth=lower.truth,
    players=players.PLAYERS,
    users=users.make_person,
    name="conversation",
    summary="open-domain multi-user conversation for SFT data: address each user, keep "
    "private details private",
    reads={
        "scenario": SCENARIO_FIELDS,
        "user": USER_FIELDS,
        "protocol": CONVERSATION_PROTOCOL,
        "sweep": ("*",),
    },
    metrics=("clean", "answered", "empty_turns", "unknown_targets", "private_public"),
    success=("clean",),
    actions=("send_message", "finish"),
    turns="addressed",
    ending="max_turns",
    max_turns=10,
    display="conversation",
    rank=50,
    templates=str(Path(__file__).parent),  # prompts/conversation.j2, its agent prompt
)
