"""The author: the model that writes scenarios. Any agent backend (`openai:`, `vllm:`,
`vllm-serve:`, `hf:`) asked as a plain chat, or a scripted author that replays prepared
replies, so that the repair loop is tested offline exactly as a model would drive it."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from museslang.registry import UnknownName
from museslang.runtime.options import BackendError, BackendOptions

Chat = list[dict[str, str]]


class AuthorError(RuntimeError):
    """An author that cannot be built or asked; the message is safe to print."""


class Author(ABC):
    """Answers a chat with text; `attempt` and `round` make every request's seed its own."""

    spec: str = ""

    @abstractmethod
    async def write(self, chat: Chat, *, attempt: int, round: int) -> str: ...

    async def preflight(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class ScriptedAuthor(Author):
    """Prepared replies: `replies[attempt][round]` (the first draft, then each repair).
    An attempt asked for more rounds than it holds repeats its last reply, as a model
    that cannot fix its mistake would; an attempt beyond the list replies ""."""

    def __init__(self, replies: list[list[str]]) -> None:
        self.replies = replies
        self.asked: list[Chat] = []  # every chat it was sent, for tests to read

    async def write(self, chat: Chat, *, attempt: int, round: int) -> str:
        self.asked.append([dict(m) for m in chat])
        if attempt >= len(self.replies) or not self.replies[attempt]:
            return ""
        drafts = self.replies[attempt]
        return drafts[min(round, len(drafts) - 1)]

    @classmethod
    def from_file(cls, path: Path) -> ScriptedAuthor:
        """A JSON file: a list (one entry per attempt) of lists of replies."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AuthorError(f"scripted author {path}: cannot read it ({exc})") from None
        ok = isinstance(data, list) and all(
            isinstance(a, list) and all(isinstance(r, str) for r in a) for a in data
        )
        if not ok:
            raise AuthorError(
                f"scripted author {path}: expected a JSON list of lists of strings "
                "(each attempt's replies, first draft then repairs)"
            )
        return cls(data)


@dataclass(frozen=True)
class _Asked:
    """What an agent backend reads of the episode it plays: an id and a seed (the
    author writes outside any episode, so each request gets its own)."""

    id: str
    seed: int


class BackendAuthor(Author):
    """An agent backend asked for plain text: the text protocol, no tools, no adapter
    unless given (the reply is a spec, not an action)."""

    def __init__(self, spec: str, options: BackendOptions, seed: int = 0) -> None:
        from museslang.runtime.agents import make_agent

        self.agent = make_agent(spec, replace(options, tool_mode="text", empty_ok=True))
        self.seed = seed

    async def write(self, chat: Chat, *, attempt: int, round: int) -> str:
        from museslang.lower.seeds import derive_seed
        from museslang.runtime.engine import EpisodeView

        asked: Any = _Asked(f"author-{attempt}", derive_seed(self.seed, "author", attempt))
        view = EpisodeView(asked, round + 1, [], list(chat), None, {}, 0)
        turn = await self.agent.act(view)
        content = (turn.message or {}).get("content")
        return content if isinstance(content, str) else ""

    async def preflight(self) -> None:
        await self.agent.preflight()

    async def aclose(self) -> None:
        await self.agent.aclose()


def make_author(spec: str, options: BackendOptions, seed: int = 0) -> Author:
    """`scripted:FILE.json` or any agent backend but the reference players (which act on
    an episode's ground truth and cannot write text)."""
    scheme, _, arg = spec.partition(":")
    if scheme == "scripted":
        author: Author = ScriptedAuthor.from_file(Path(arg))
    elif scheme == "reference" or not arg:
        raise AuthorError(
            f"--model {spec}: an author is a model (openai:MODEL, vllm:MODEL, "
            "vllm-serve:MODEL, hf:PATH) or scripted:FILE.json"
        )
    else:
        try:
            author = BackendAuthor(spec, options, seed)
        except (BackendError, UnknownName) as exc:  # an unknown scheme, an unusable option
            raise AuthorError(f"--model {spec}: {exc}") from None
    author.spec = spec
    return author
