"""Scripted users: deterministic people driven by their compiled behaviours.

They read the agent's messages with a few keyword rules (is it asking when I
am free, asking for backups, proposing a slot?) and answer from the
participant's compiled slots, attack moves or orders; a user with `says:`
sends those messages first, word for word. Wording varies between
several phrasings, chosen by a hash of the episode seed, the user and the
turn, so runs are reproducible and the text is not one sentence repeated.
"""

from __future__ import annotations

from museslang import family as families
from museslang.instructions.verifiers import request
from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import Message
from museslang.runtime.engine import UserBackend, UserSimulator
from museslang.runtime.options import BackendError, BackendOptions
from museslang.runtime.users.registry import USERS


class ScriptedOrdersUser:
    """Single-shot families: the user's orders (with their [ref: NNNN]) or their task."""

    def __init__(self, episode: EpisodeGraph, user: Participant) -> None:
        self.user = user
        self.orders = [o for o in episode.orders if o.by == user.id]

    def opening(self) -> str | None:
        if self.user.says:
            return "\n\n".join(self.user.says)
        if self.orders:
            return "\n".join(f"{o.text} [ref: {o.ref}]" if o.ref else o.text for o in self.orders)
        if self.user.constraints:
            rules = [(c.id, c.kwargs) for c in self.user.constraints]
            return request(self.user.task or self.user.goal, rules)
        return self.user.task or self.user.goal

    def reply(self, turn: int, incoming: list[Message]) -> str | None:
        return None


class ScriptedSimulator(UserSimulator):
    concurrent = False  # answers are computed here, at once

    def __init__(self, episode: EpisodeGraph) -> None:
        super().__init__()
        # the people come with the family (`Family.users`); the families' hooks still load
        # here, first, since the order the common metrics register in follows from it
        families.load()
        found = families.find(episode.family)
        # a family without people of its own: each user's opening, and no replies
        make = found.users if found is not None and found.users else ScriptedOrdersUser
        self.people = {p.id: make(episode, p) for p in episode.participants}

    async def opening(self, user: Participant) -> str | None:
        return self.people[user.id].opening()

    async def reply(self, user: Participant, turn: int, incoming: list[Message]) -> str | None:
        return self.people[user.id].reply(turn, incoming)


class ScriptedUsers(UserBackend):
    def for_episode(self, episode: EpisodeGraph, trial: int = 0) -> UserSimulator:
        return ScriptedSimulator(episode)


@USERS.register("scripted")
def _scripted(arg: str | None, options: BackendOptions) -> UserBackend:
    if arg:
        raise BackendError(f"'scripted' takes no argument (got 'scripted:{arg}')")
    return ScriptedUsers()
