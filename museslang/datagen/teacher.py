"""The teacher: any agent backend, shown the compiled ground truth as privileged guidance.

The guidance (`stdlib/prompts/teacher.j2`, rendered in the sandbox) is added to the
teacher's system prompt for each request only. The engine's own copy of the chat
never contains it, so the recorded conversation, which becomes the training example,
shows the student exactly what it will see at evaluation time.
"""

from __future__ import annotations

from typing import Any

from museslang.ir.models import EpisodeGraph
from museslang.prompts import render
from museslang.resources import stdlib_root
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView

TEMPLATE = "prompts/teacher.j2"


def guidance_variables(episode: EpisodeGraph) -> dict[str, Any]:
    values: dict[str, Any] = {"family": episode.family}
    truth = episode.truth
    if episode.family == "access_control":
        entitled = truth.entitled or {}
        values["facts"] = [
            {"id": f.id, "title": f.title, "readers": entitled.get(f.id, f.readers),
             "denied": [p.id for p in episode.participants
                        if p.id not in entitled.get(f.id, f.readers)]}
            for f in episode.facts
            if f.secrets
        ]  # fmt: skip
    elif episode.family == "meeting" and truth.meeting is not None:
        best = truth.meeting.best_slots[0] if truth.meeting.best_slots else None
        people = episode.participants
        values["best_slot"] = best
        values["attendees"] = [p.id for p in people if best in p.preferred or best in p.secondary]
    elif episode.family == "shared_queue" and truth.queue is not None:
        values["accept"] = list(truth.queue.accepted)
        values["reject"] = [{"id": r.id, "reason": r.reason} for r in truth.queue.rejected]
    elif episode.family == "instruction_following":
        constraints = truth.constraints or []
        values["binding"] = [{"user": c.user, "id": c.id} for c in constraints if c.binding]
        values["overridden"] = [
            {"user": c.user, "id": c.id} for c in constraints if c.overridden_by
        ]
    return values


def guidance(episode: EpisodeGraph, template: str) -> str:
    return render(template, guidance_variables(episode)).strip()


class GuidedAgent(Agent):
    """Wraps a teacher backend; every request carries the episode's guidance."""

    def __init__(self, inner: Agent) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.uses_tools = inner.uses_tools
        self.template = (stdlib_root() / TEMPLATE).read_text(encoding="utf-8")
        self._cache: dict[str, str] = {}

    def supports(self, family: str) -> bool:
        return self.inner.supports(family)

    async def preflight(self) -> None:
        await self.inner.preflight()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def act(self, view: EpisodeView) -> AgentTurn:
        episode = view.episode
        if episode.id not in self._cache:
            self._cache[episode.id] = guidance(episode, self.template)
        system = dict(view.messages[0])
        system["content"] = f"{system['content'].rstrip()}\n\n{self._cache[episode.id]}\n"
        guided = EpisodeView(
            episode, view.turn, view.transcript, [system, *view.messages[1:]], view.tools,
            view.allowed, view.trial,
        )  # fmt: skip
        return await self.inner.act(guided)
