"""Scripted conversation users (offline): each sends their `says:` lines, then, when
written to, the next of them or a short acknowledgement; a user with a cue repeats their
first request. An LLM user (`--users openai:MODEL`) sees exactly the messages addressed
to them, as every museslang user does."""

from __future__ import annotations

from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import Message
from museslang.lower.seeds import pick


class ScriptedConversationUser:
    THANKS = ("Thanks, that helps.", "Great, thank you.", "Understood, thanks.")

    def __init__(self, user: Participant, seed: int) -> None:
        self.user, self.seed, self.said = user, seed, 0

    def opening(self) -> str | None:
        u = self.user
        if u.says:
            self.said = 1
            return u.says[0]
        return u.task or u.goal or (f"Hello, I am {u.id}." if u.opening == "proactive" else None)

    def reply(self, turn: int, incoming: list[Message]) -> str | None:
        u = self.user
        if self.said < len(u.says):
            self.said += 1
            return u.says[self.said - 1]
        if isinstance(u.extra.get("cue"), str) and u.says:
            return f"As I said: {u.says[0]}"
        return pick(self.THANKS, self.seed, u.id, turn)


def make_person(episode: EpisodeGraph, user: Participant) -> ScriptedConversationUser:
    """Its scripted users (Family.users)."""
    return ScriptedConversationUser(user, episode.seed)
