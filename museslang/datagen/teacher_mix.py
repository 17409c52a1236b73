"""Several teachers taking conversations in turn: each episode is played whole by one of
them, drawn from the seed and the episode id (`mixes.choose_teacher`), and the record
names the one that played it (the official pipeline draws a teacher per conversation but
records the wrong one on multi-turn records)."""

from __future__ import annotations

from museslang.datagen.mixes import choose_teacher
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView


class TeacherMix(Agent):
    def __init__(self, agents: list[Agent], seed: int) -> None:
        self.agents = agents
        self.seed = seed
        self.spec = ",".join(a.spec for a in agents)
        self.uses_tools = any(a.uses_tools for a in agents)
        self.played: dict[str, str] = {}  # episode id -> the teacher's spec

    def pick(self, episode_id: str) -> Agent:
        return self.agents[choose_teacher([a.spec for a in self.agents], self.seed, episode_id)]

    async def act(self, view: EpisodeView) -> AgentTurn:
        agent = self.pick(view.episode.id)
        self.played[view.episode.id] = agent.spec
        return await agent.act(view)

    def supports(self, family: str) -> bool:
        return all(a.supports(family) for a in self.agents)

    async def preflight(self) -> None:
        for a in self.agents:
            await a.preflight()

    async def aclose(self) -> None:
        for a in self.agents:
            await a.aclose()
