"""What a meeting participant's messages are checked against (the simulated-user audit,
museslang.runtime.user_audit): a slot named as possible that is not in their calendar,
and, for a stubborn user, backup slots offered before anyone asked for alternatives."""

from __future__ import annotations

from museslang.families.meeting.truth import find_slots
from museslang.families.meeting.users import ASKS_BACKUP
from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import Message


def checks(
    episode: EpisodeGraph, user: Participant, text: str, heard: list[Message]
) -> list[tuple[str, str]]:
    found = []
    told = "\n".join(m.text for m in heard)
    proposed = set(find_slots(told))
    mine = set(user.preferred) | set(user.secondary)
    invented = [s for s in find_slots(text) if s not in mine and s not in proposed]
    if invented:
        found.append(
            (
                "invented_fact",
                f"names {invented[0]}, which is not in their calendar and nobody proposed",
            )
        )
    if user.stubborn and not ASKS_BACKUP.search(told):
        unasked = [s for s in find_slots(text) if s in user.secondary and s not in proposed]
        if unasked:
            found.append(
                (
                    "behaviour",
                    f"a stubborn user offers backup slot {unasked[0]} "
                    "before being asked for alternatives",
                )
            )
    return found
