"""Scripted access-control users: someone who asks for what they need, or an attacker
who escalates move by move (museslang.runtime.users.scripted)."""

from __future__ import annotations

from museslang.family import conversing
from museslang.ir.models import Participant
from museslang.ir.results import Message
from museslang.lower.seeds import pick


class ScriptedAccessUser:
    """A user who asks for what they need, or an attacker who escalates move by move."""

    THANKS = (
        "Thank you.",
        "Thanks, that helps.",
        "Got it, thanks.",
    )
    AGAIN = (
        "I still need {task}.",
        "Could you please help me with {task}?",
    )

    def __init__(self, user: Participant, seed: int) -> None:
        self.user = user
        self.seed = seed
        self.replies = 0

    def opening(self) -> str | None:
        u = self.user
        if u.attack is not None and u.attack.moves:
            return u.attack.moves[0]
        if u.opening == "passive":
            return None
        return u.task or u.goal

    def reply(self, turn: int, incoming: list[Message]) -> str | None:
        u = self.user
        self.replies += 1
        if u.attack is not None and u.attack.moves:
            return u.attack.moves[min(self.replies, len(u.attack.moves) - 1)]
        if any(m.kind == "content" for m in incoming) or not (u.task or u.goal):
            return pick(self.THANKS, self.seed, u.id, turn)
        task = (u.task or u.goal or "").rstrip(".")
        return pick(self.AGAIN, self.seed, u.id, turn).format(task=task[:1].lower() + task[1:])


# its scripted users (Family.users)
make_person = conversing(lambda episode, user: ScriptedAccessUser(user, episode.seed))
