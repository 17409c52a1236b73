"""`openai:MODEL`: an agent behind any OpenAI-compatible endpoint (hosted APIs, `vllm serve`).

Actions go out as tools; tool calls come back as typed actions. In text mode
(`--tool-mode text`, for models or servers without tool support) the reply
format is explained in the system prompt and the text is parsed instead.
Content written next to tool calls is the model's own note and reaches no
user; content without tool calls is parsed as text, so nothing the model says
to users escapes scoring.
"""

from __future__ import annotations

from museslang.actions import ActionError
from museslang.lower.seeds import derive_seed
from museslang.runtime.action_text import parse_text, parse_tool_call
from museslang.runtime.agents.registry import AGENTS
from museslang.runtime.chat import ChatClient, Completion
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions


class OpenAIAgent(Agent):
    def __init__(self, model: str, options: BackendOptions) -> None:
        self.client = ChatClient(model, options.base_url, options)
        self.options = options
        self.uses_tools = options.tool_mode == "tools"

    async def preflight(self) -> None:
        await self.client.preflight()

    async def act(self, view: EpisodeView) -> AgentTurn:
        seed = derive_seed(view.episode.seed, "agent", view.turn)
        reply = await self.client.complete(
            view.messages, tools=view.tools, seed=seed, trial=view.trial
        )
        return turn_from(reply, view)

    async def aclose(self) -> None:
        await self.client.aclose()


def turn_from(reply: Completion, view: EpisodeView) -> AgentTurn:
    """The agent's turn from a server's reply: each tool call checked against the tool's
    schema, whatever the server claims it parsed (an unreadable one is recorded with
    the reason); content without tool calls read as text."""
    turn = AgentTurn(actions=[], message=reply.as_message(), usage=reply.usage)
    turn.notes = list(reply.notes)
    if reply.tool_calls:
        for call in reply.tool_calls:
            fn = call["function"]
            try:
                turn.actions.append(parse_tool_call(fn["name"], fn["arguments"], view.kinds))
                turn.call_ids.append(call["id"])
            except ActionError as exc:
                turn.errors.append(str(exc))
                turn.failed[call["id"]] = f"error: {exc}"
        return turn
    parsed = parse_text(reply.content or "", view.kinds)
    turn.actions, turn.errors = parsed.actions, parsed.errors
    return turn


@AGENTS.register("openai")
def _openai(arg: str | None, options: BackendOptions) -> Agent:
    if not arg:
        raise BackendError("name the model: openai:MODEL (e.g. openai:gpt-4o-mini)")
    if options.tool_mode not in {"tools", "text"}:
        raise BackendError(f"--tool-mode must be tools or text, not {options.tool_mode!r}")
    return OpenAIAgent(arg, options)
