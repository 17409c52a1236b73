"""Chat completions against any OpenAI-compatible endpoint, with bounded retries.

The `openai` client's own retries are switched off so that this module decides:
429, 5xx, connection errors and timeouts are retried with exponential backoff
(honouring Retry-After), up to `retries` times; anything else (400, 401, 404)
fails at once, because repeating it cannot help. A request that still fails
raises `ChatError`, which the runner records on the episode.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museslang.runtime.cache import CachedReply, ResponseCache, request_key
from museslang.runtime.options import BackendOptions
from museslang.runtime.transcript import Usage


class ChatError(RuntimeError):
    """A request that failed for good; the message is safe to store (no keys)."""


@dataclass
class Completion:
    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        elif self.content is None:
            message["content"] = ""
        return message


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class ChatClient:
    """One AsyncOpenAI client per endpoint, shared by every episode of a run."""

    def __init__(self, model: str, base_url: str | None, options: BackendOptions) -> None:
        import openai  # imported here: reference runs never need it
        from openai.types.chat import ChatCompletion

        self.openai = openai
        self.completion_type = ChatCompletion
        self.model = model
        self.base_url = base_url
        self.options = options
        self.client = openai.AsyncOpenAI(
            api_key=options.api_key(),
            base_url=base_url,
            timeout=options.timeout,
            max_retries=0,
        )
        self.cache = ResponseCache(Path(options.cache_dir)) if options.cache_dir else None

    def _retryable(self, exc: Exception) -> bool:
        o = self.openai
        if isinstance(exc, o.APITimeoutError | o.APIConnectionError | o.RateLimitError):
            return True
        return isinstance(exc, o.APIStatusError) and exc.status_code >= 500

    def _describe(self, exc: Exception) -> str:
        o = self.openai
        where = self.base_url or "the default endpoint"
        if isinstance(exc, o.APITimeoutError):
            return f"request to {where} timed out after {self.options.timeout:g} s"
        if isinstance(exc, o.APIConnectionError):
            return f"cannot reach {where}"
        if isinstance(exc, o.APIStatusError):
            detail = str(getattr(exc, "message", "") or "").strip()
            return f"{where} answered HTTP {exc.status_code}" + (f": {detail}" if detail else "")
        return f"{type(exc).__name__}: {exc}"

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        seed: int | None = None,
        trial: int = 0,
    ) -> Completion:
        """One reply; from the cache when this exact request already ran in this trial."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.options.temperature,
            "max_tokens": self.options.max_tokens,
        }
        if tools:
            kwargs["tools"] = tools
        if seed is not None:
            kwargs["seed"] = seed % (2**31)
        key = request_key(self.base_url, kwargs, trial) if self.cache else ""
        if self.cache and (hit := self.cache.get(key)) is not None:
            usage = Usage(
                requests=1,
                cached=1,
                prompt_tokens=hit.prompt_tokens,
                completion_tokens=hit.completion_tokens,
            )
            return Completion(hit.content, hit.tool_calls, usage, 0.0)
        reply = await self._send(kwargs)
        if self.cache:
            self.cache.put(
                key,
                CachedReply(
                    content=reply.content,
                    tool_calls=reply.tool_calls,
                    prompt_tokens=reply.usage.prompt_tokens,
                    completion_tokens=reply.usage.completion_tokens,
                ),
            )
        return reply

    async def _send(self, kwargs: dict[str, Any]) -> Completion:
        attempt = 0
        while True:
            t0 = time.perf_counter()
            try:
                # `post` sends the body as it is: `chat.completions.create` first walks every
                # message through the client's TypedDict transform, which costs ~4 ms a request
                # on a long conversation and was most of eval's overhead.
                response = await self.client.post(
                    "/chat/completions", cast_to=self.completion_type, body=kwargs
                )
                break
            except Exception as exc:
                if not isinstance(exc, self.openai.OpenAIError):
                    raise
                if not self._retryable(exc) or attempt >= self.options.retries:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise ChatError(self._describe(exc) + tries) from None
                delay = _retry_after(exc) or self.options.backoff * 2**attempt
                await asyncio.sleep(min(delay, 60.0))
                attempt += 1
        latency = time.perf_counter() - t0
        if not response.choices:
            raise ChatError(f"{self.base_url or 'the endpoint'} returned no choices")
        msg = response.choices[0].message
        calls = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.function.name, "arguments": c.function.arguments or "{}"},
            }
            for c in (msg.tool_calls or [])
            if getattr(c, "function", None) is not None
        ]
        usage = Usage(requests=1)
        if response.usage is not None:
            usage.prompt_tokens = response.usage.prompt_tokens or 0
            usage.completion_tokens = response.usage.completion_tokens or 0
        return Completion(msg.content, calls, usage, latency)

    async def preflight(self) -> None:
        """Fail early, with one message, when the endpoint cannot be reached or refuses the key."""
        o = self.openai
        try:
            await self.client.models.list()
        except (o.APIConnectionError, o.AuthenticationError, o.PermissionDeniedError) as exc:
            raise ChatError(self._describe(exc)) from None
        except o.OpenAIError:
            return  # some servers have no /models; the first request will tell

    async def aclose(self) -> None:
        await self.client.close()
