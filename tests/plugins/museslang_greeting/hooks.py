"""The greeting family's behaviour: its ground truth, its metric and its reference players."""

from __future__ import annotations

from typing import TYPE_CHECKING

from museslang.actions import Action, Answer
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import Value, metric
from museslang.runtime.engine import EpisodeView

if TYPE_CHECKING:
    from museslang.lower.episodes import Lowered

FAMILY = "greeting"


def _answer(result: EpisodeResult) -> str:
    return next((str(a.args.get("text", "")) for a in result.actions
                 if a.name == "answer" and a.ok), "")  # fmt: skip


def truth(lowered: Lowered) -> dict[str, object]:
    """Its ground truth (`Family.truth`): every user, in the order they spoke."""
    from museslang_greeting.ground import Greeting

    return {"greeting": Greeting(names=[p.id for p in lowered.participants])}


@metric("greeted", FAMILY)
def greeted(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """The share of the users the ground truth names that the answer names."""
    text = _answer(result)
    people = episode.truth.greeting.names
    return {"greeted": sum(p in text for p in people) / len(people) if people else None}


def _say(text: str) -> list[Action]:
    return [Action(name="answer", args=Answer(text=text))]


def _oracle(view: EpisodeView) -> list[Action]:
    return _say("Hello " + ", ".join(p.id for p in view.episode.participants) + "!")


def _comply(view: EpisodeView) -> list[Action]:
    return _say(f"Hello {view.episode.participants[0].id}!")  # only the first who spoke


def _refuse(view: EpisodeView) -> list[Action]:
    return _say("Hello.")


# its reference players (Family.players): policy -> what it does on the agent's turn
PLAYERS = {"oracle": _oracle, "comply": _comply, "refuse": _refuse}
