"""The reference players of this family: `oracle`, `comply` and `refuse`
(museslang.runtime.agents.reference says what each is for)."""

from __future__ import annotations

import json

from museslang.actions import Action, Answer
from museslang.families.instruction_following.truth import Stated, recency_first
from museslang.instructions.compose import compose, compose_most
from museslang.instructions.conflicts import Rule
from museslang.runtime.engine import EpisodeView


def _answer(text: str) -> Action:
    return Action(name="answer", args=Answer(text=text))


def _parts(view: EpisodeView, rules_of, seed: int) -> Action:
    """A per-user answer: one JSON object with each user's part written for their rules."""
    parts = {p.id: compose_most(rules_of(p.id), seed) for p in view.episode.participants}
    return _answer(json.dumps(parts, ensure_ascii=False, indent=1))


def _stated(view: EpisodeView) -> list[Stated]:
    return [
        Stated(p.id, float(p.authority or 0), i, Rule.of(c.id, c.kwargs))
        for p in view.episode.participants
        for i, c in enumerate(p.constraints)
    ]


def _oracle(view: EpisodeView) -> list[Action]:
    truth = {(c.user, c.index): c.binding for c in view.episode.truth.constraints or []}
    stated = [s for s in _stated(view) if truth.get((s.user, s.index), True)]
    stated.sort(key=lambda s: -s.authority)  # stable: users' own order among equals
    seed = view.episode.seed
    if view.episode.protocol.answer == "per_user":
        return [_parts(view, lambda uid: [s.rule for s in stated if s.user == uid], seed)]
    return [_answer(compose_most([s.rule for s in stated], seed))]


def _comply(view: EpisodeView) -> list[Action]:
    stated = _stated(view)
    if view.episode.protocol.answer == "per_user":

        def mine(uid: str) -> list[Rule]:  # each user's own rules, the latest winning
            return [s.rule for s in recency_first([s for s in stated if s.user == uid])]

        return [_parts(view, mine, view.episode.seed)]
    kept = [s.rule for s in recency_first(stated)]
    return [_answer(compose(kept, view.episode.seed) or "")]


def _refuse(view: EpisodeView) -> list[Action]:
    return [_answer("I'm sorry, I can't help with these requests.")]


# its reference players (Family.players): policy -> what it does on the agent's turn
PLAYERS = {"oracle": _oracle, "comply": _comply, "refuse": _refuse}
