"""The teacher: any agent backend, shown the compiled ground truth as privileged guidance.

The guidance (`stdlib/prompts/teacher.j2`, rendered in the sandbox) is added to the
teacher's system prompt for each request only. The engine's own copy of the chat
never contains it, so the recorded conversation, which becomes the training example,
shows the student exactly what it will see at evaluation time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from museslang import family as families
from museslang.ir.models import EpisodeGraph
from museslang.prompts import render
from museslang.registry import Registry
from museslang.resources import stdlib_root
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView, WrappingAgent

TEMPLATE = "prompts/teacher.j2"


# family -> the ground truth its teacher is told, as template variables; each family's
# `teacher` hook registers one (a family without one is taught by its prompt alone)
Guide = Callable[[EpisodeGraph], dict[str, Any]]
GUIDES: Registry[Guide] = Registry("teacher guidance")


def guidance_variables(episode: EpisodeGraph) -> dict[str, Any]:
    families.load()
    values: dict[str, Any] = {"family": episode.family}
    if episode.family in GUIDES:
        values.update(GUIDES.get(episode.family)(episode))
    return values


def guidance(episode: EpisodeGraph, template: str) -> str:
    return render(template, guidance_variables(episode)).strip()


class GuidedAgent(WrappingAgent):
    """Wraps a teacher backend; every request carries the episode's guidance."""

    def __init__(self, inner: Agent) -> None:
        super().__init__(inner)
        self.uses_tools = inner.uses_tools
        self.template = (stdlib_root() / TEMPLATE).read_text(encoding="utf-8")
        self._cache: dict[str, str] = {}

    async def act(self, view: EpisodeView) -> AgentTurn:
        episode = view.episode
        if episode.id not in self._cache:
            self._cache[episode.id] = guidance(episode, self.template)
        system = dict(view.messages[0])
        system["content"] = f"{system['content'].rstrip()}\n\n{self._cache[episode.id]}\n"
        guided = EpisodeView(
            episode, view.turn, view.transcript, [system, *view.messages[1:]], view.tools,
            view.kinds, view.trial,
        )  # fmt: skip
        return await self.inner.act(guided)
