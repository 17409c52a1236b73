"""Reference policies: agents that need no model and bound every metric.

`oracle` acts on the compiled ground truth (perfect privacy and utility, the
best slot in the fewest turns, the right accept/reject set); `comply` does
whatever the latest speaker asks and shares anything; `refuse` never shares
and never commits. They read the transcript like any agent would, so they
also run against LLM-simulated users.

The oracle knows the ground truth but acts only on what the conversation has revealed:
it books a slot only once a user has named it, invites only those who said they can
make it, and shares a document only with someone who asked for it. The truth chooses
among what was said; it never supplies a fact (`museslang generate` checks every example
for exactly this). It has several phrasings per act, chosen by the episode seed, turn
and person, so data generated from it is not one sentence repeated.

Each family registers its players in `PLAYERS` (its `players` hook).
"""

from __future__ import annotations

from collections.abc import Callable

from museslang import family as families
from museslang.actions import Action, SendMessage
from museslang.ir.results import AGENT
from museslang.registry import Registry
from museslang.runtime.agents.registry import AGENTS
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions

POLICIES = ("oracle", "comply", "refuse")

# "family:policy" -> what that policy does on that family's turn; each family's
# `players` hook registers its own (a family may leave a policy out)
Player = Callable[[EpisodeView], list[Action]]
PLAYERS: Registry[Player] = Registry("reference player")


def send(to: list[str], text: str) -> Action:
    return Action(name="send_message", args=SendMessage(to=to, text=text))


def speakers(view: EpisodeView) -> list[str]:
    """Users who have written so far, in the episode's order."""
    heard = {m.sender for m in view.heard_from()}
    return [p.id for p in view.episode.participants if p.id in heard]


def order_of(view: EpisodeView):
    rank = {p.id: i for i, p in enumerate(view.episode.participants)}
    return lambda u: rank.get(u, len(rank))


def asked_for(view: EpisodeView) -> set[str]:
    """Users who have written to the agent so far."""
    return {m.sender for m in view.transcript if m.sender != AGENT and m.turn < view.turn}


class ReferenceAgent(Agent):
    def __init__(self, policy: str) -> None:
        self.policy = policy
        families.load()  # each family's hooks register its players

    def supports(self, family: str) -> bool:
        return f"{family}:{self.policy}" in PLAYERS

    async def act(self, view: EpisodeView) -> AgentTurn:
        family = view.episode.family
        if not self.supports(family):
            raise BackendError(f"reference:{self.policy} does not support the {family} family")
        return AgentTurn(actions=PLAYERS.get(f"{family}:{self.policy}")(view))


@AGENTS.register("reference")
def _reference(arg: str | None, options: BackendOptions) -> Agent:
    if arg not in POLICIES:
        known = ", ".join(f"reference:{n}" for n in POLICIES)
        raise BackendError(f"unknown reference policy {arg!r} (known: {known})")
    return ReferenceAgent(arg)
