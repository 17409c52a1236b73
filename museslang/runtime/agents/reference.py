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

Each family brings its players as values, in `Family.players` (policy -> player).
"""

from __future__ import annotations

from collections.abc import Callable

from museslang import family as families
from museslang.actions import Action, SendMessage
from museslang.ir.results import AGENT
from museslang.runtime.agents.registry import AGENTS
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions

POLICIES = ("oracle", "comply", "refuse")

# what one policy does on a family's turn: the values of `Family.players` (a family may
# leave a policy out)
Player = Callable[[EpisodeView], list[Action]]


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
        # the players come with the families; their hooks still load here, first, since the
        # order the common metrics register in (a result's metric order) follows from it
        families.load()

    def player(self, family: str) -> Player | None:
        """This policy's player for the family (None: it lends none, or is not installed)."""
        found = families.find(family)
        return found.players.get(self.policy) if found is not None else None

    def supports(self, family: str) -> bool:
        return self.player(family) is not None

    async def act(self, view: EpisodeView) -> AgentTurn:
        family = view.episode.family
        player = self.player(family)
        if player is None:
            raise BackendError(f"reference:{self.policy} does not support the {family} family")
        return AgentTurn(actions=player(view))


@AGENTS.register("reference")
def _reference(arg: str | None, options: BackendOptions) -> Agent:
    if arg not in POLICIES:
        known = ", ".join(f"reference:{n}" for n in POLICIES)
        raise BackendError(f"unknown reference policy {arg!r} (known: {known})")
    return ReferenceAgent(arg)
