"""What a family's scripted users are made of (`Family.users`): a `Person` answers with an
opening and a reply per turn, and `MakePerson` builds one for an episode's participant.
At the bottom of the house (floor 1) with the `Family` value, so a family, a plug-in or a
family written in museslang builds its people without importing the runtime that plays
them (museslang.runtime.users.scripted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from museslang.ir.models import EpisodeGraph, Participant
    from museslang.ir.results import Message


class Person(Protocol):
    """One scripted user: an opening (None: waits to be addressed) and a reply per turn."""

    def opening(self) -> str | None: ...

    def reply(self, turn: int, incoming: list[Message]) -> str | None: ...


MakePerson = Callable[["EpisodeGraph", "Participant"], Person]


class Verbatim:
    """A user with `says:` sends those messages word for word, one per turn, before
    their scripted self takes over (imported records open with the official text)."""

    def __init__(self, user: Participant, inner: Person) -> None:
        self.says = list(user.says)
        self.inner = inner
        self.sent = 0

    def opening(self) -> str | None:
        self.sent = 1
        return self.says[0]

    def reply(self, turn: int, incoming: list[Message]) -> str | None:
        if self.sent < len(self.says):
            self.sent += 1
            return self.says[self.sent - 1]
        return self.inner.reply(turn, incoming)


def conversing(make: MakePerson) -> MakePerson:
    """A conversing family's scripted user, who first sends their `says:` word for word."""

    def build(episode: EpisodeGraph, user: Participant) -> Person:
        inner = make(episode, user)
        return Verbatim(user, inner) if user.says else inner

    return build
