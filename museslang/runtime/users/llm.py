"""`openai:MODEL` users: an LLM plays each person from `stdlib/prompts/user.j2`.

Each user has a private chat with the model: the rendered persona prompt,
then the agent's messages to them as `user` turns and their own replies as
`assistant` turns. Passive users stay silent until addressed, as scripted
ones do. The template renders in the sandboxed environment like every prompt.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from museslang import family as families
from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import Message
from museslang.lower.seeds import derive_seed
from museslang.prompts import render
from museslang.resources import stdlib_root
from museslang.runtime.chat import ChatClient
from museslang.runtime.engine import UserBackend, UserSimulator
from museslang.runtime.options import BackendError, BackendOptions
from museslang.runtime.users.registry import USERS
from museslang.runtime.users.scripted import ScriptedOrdersUser

TEMPLATE = "prompts/user.j2"
START = "(The conversation starts. Write your first message to the assistant.)"


class LLMSimulator(UserSimulator):
    def __init__(self, backend: LLMUsers, episode: EpisodeGraph, trial: int) -> None:
        super().__init__()
        self.backend = backend
        self.episode = episode
        self.trial = trial
        self.chats: dict[str, list[dict[str, Any]]] = {}
        self.tries: dict[tuple[str, int], int] = {}  # (user, turn) -> times asked again
        self.fixed: set[tuple[str, int]] = set()  # messages sent word for word

    def _chat(self, user: Participant) -> list[dict[str, Any]]:
        if user.id not in self.chats:
            prompt = render(
                self.backend.template,
                {
                    "user": user.model_dump(),
                    "family": self.episode.family,
                    "objective": self.episode.objective,
                    "title": self.episode.title,
                },
            )
            self.chats[user.id] = [{"role": "system", "content": prompt}]
        return self.chats[user.id]

    async def _say(self, user: Participant, turn: int, prompt: str, attempt: int = 0) -> str:
        chat = self._chat(user)
        chat.append({"role": "user", "content": prompt})
        seed = derive_seed(self.episode.seed, "user", user.id, turn)
        if attempt:  # asked again: another seed, so another request (and cache entry)
            seed = derive_seed(seed, "again", attempt)
        reply = await self.backend.client.complete(chat, seed=seed, trial=self.trial)
        self.usage.add(reply.usage)
        text = (reply.content or "").strip()
        chat.append({"role": "assistant", "content": text})
        return text

    async def again(self, user: Participant, turn: int) -> str | None:
        """Ask the model for this turn's message again, in place of the flagged one."""
        chat = self.chats.get(user.id)
        if (user.id, turn) in self.fixed or not chat or chat[-1]["role"] != "assistant":
            return None
        chat.pop()
        prompt = chat.pop()["content"]
        attempt = self.tries[user.id, turn] = self.tries.get((user.id, turn), 0) + 1
        return await self._say(user, turn, prompt, attempt) or None

    async def opening(self, user: Participant) -> str | None:
        if families.get(self.episode.family).verbatim_users:
            self.fixed.add((user.id, 0))
            # orders carry reference tags and constraints are checked word for word: a
            # paraphrase would change the task, so these openings are sent as compiled
            return ScriptedOrdersUser(self.episode, user).opening()
        if user.says:
            # the record's own opening, word for word; the model plays on from there
            self.fixed.add((user.id, 0))
            self._chat(user).extend(
                [{"role": "user", "content": START}, {"role": "assistant", "content": user.says[0]}]
            )
            return user.says[0]
        if user.opening == "passive" and user.attack is None:
            return None
        return await self._say(user, 0, START) or None

    async def reply(self, user: Participant, turn: int, incoming: list[Message]) -> str | None:
        text = "\n\n".join(m.text for m in incoming)
        return await self._say(user, turn, text) or None


class LLMUsers(UserBackend):
    def __init__(self, model: str, options: BackendOptions) -> None:
        self.options = options
        # a simulated user who writes nothing says nothing this turn: not a failed request
        quiet_ok = replace(options, empty_ok=True)
        self.client = ChatClient(model, options.users_base_url or options.base_url, quiet_ok)
        self.template = (stdlib_root() / TEMPLATE).read_text(encoding="utf-8")

    def for_episode(self, episode: EpisodeGraph, trial: int = 0) -> UserSimulator:
        return LLMSimulator(self, episode, trial)

    async def preflight(self) -> None:
        await self.client.preflight()

    async def aclose(self) -> None:
        await self.client.aclose()


@USERS.register("openai")
def _openai_users(arg: str | None, options: BackendOptions) -> UserBackend:
    if not arg:
        raise BackendError("name the model: openai:MODEL (e.g. openai:gpt-4o-mini)")
    return LLMUsers(arg, options)
