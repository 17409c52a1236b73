"""Chat completions against any OpenAI-compatible endpoint, with bounded retries.

Requests go out through museslang's own HTTP client (`runtime.http`): one pool of
keep-alive connections per endpoint, a deadline for each whole request, and a bound
on the reply's size. This module decides what happens next: 429, 5xx, connection
errors, timeouts and malformed replies (not JSON, no choices, an event stream) are
retried with exponential backoff (honouring Retry-After), up to `retries` times;
anything else (400, 401, 404, a reply over the size limit) fails at once, because
repeating it cannot help. A request that still fails raises `ChatError`, which the
runner records on the episode. Every message is stripped of the API key and URL
credentials before anyone can print or store it.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museslang.ir.results import Usage
from museslang.runtime.cache import CachedReply, ResponseCache, request_key
from museslang.runtime.http import BodyTooLarge, HttpClient, HttpFailure, Response, shared_client
from museslang.runtime.options import BackendOptions
from museslang.runtime.reply_notes import cut_note, repetition_note
from museslang.safetext import clean, clean_value, redact, redact_url

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MAX_TOOL_CALLS = 64  # per reply; a model that emits 5,000 calls does not stall the episode


class ChatError(RuntimeError):
    """A request that failed for good; the message is safe to store (no keys)."""


class _Malformed(Exception):
    """A 200 reply that is not a chat completion; retried like a server error."""


@dataclass
class Completion:
    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    notes: list[str] = field(default_factory=list)  # what was cut from the reply, and why

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        elif self.content is None:
            message["content"] = ""
        return message


# the longest wait between two attempts, whatever Retry-After asks (and never longer than
# one request's --timeout: `Retry-After: 1e308` must not hold a run for a minute a retry)
MAX_RETRY_WAIT = 60.0


def _retry_after(headers: dict[str, str]) -> float | None:
    """Seconds the server asks to wait (a number or an HTTP date), or None if it asks
    nothing it can mean: NaN, infinity and garbage are ignored."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def retry_wait(asked: float | None, backoff: float, attempt: int, timeout: float) -> float:
    """The wait before retry `attempt` + 1: what the server asked, else exponential
    backoff; at most MAX_RETRY_WAIT and at most one request's deadline."""
    wait = asked if asked is not None else backoff * 2 ** min(attempt, 30)
    return min(wait, MAX_RETRY_WAIT, timeout)


def _error_detail(body: bytes) -> str:
    """The error message a server put in its body, else the start of the body."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message") or err.get("detail") or "")[:500]
        return str(err)[:500]
    return ""


def parse_completion(body: bytes, max_chars: int, empty_ok: bool = False) -> Completion:
    """A chat completion body as museslang uses it; `_Malformed` for anything else."""
    if body.lstrip().startswith(b"data:"):
        raise _Malformed("an event stream, not a JSON completion")
    try:
        data = json.loads(body)
    except ValueError:
        raise _Malformed("not JSON") from None
    if not isinstance(data, dict):
        raise _Malformed(f"JSON {type(data).__name__}, not an object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _Malformed("no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise _Malformed("no message in the first choice")
    notes: list[str] = []
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        content = json.dumps(content, ensure_ascii=False)  # a list of parts, a number...
    if content is not None:
        content = clean(content)
        if len(content) > max_chars:
            notes.append(f"reply cut to {max_chars:,} of {len(content):,} characters")
            content = content[:max_chars]
    calls: list[dict[str, Any]] = []
    raw_calls = message.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raw_calls = []
    if len(raw_calls) > MAX_TOOL_CALLS:
        notes.append(f"{len(raw_calls) - MAX_TOOL_CALLS} tool calls past the first "
                     f"{MAX_TOOL_CALLS} ignored")  # fmt: skip
    for i, call in enumerate(raw_calls[:MAX_TOOL_CALLS]):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            notes.append(f"tool call {i + 1} has no function name")
            continue
        args = fn.get("arguments")
        if not isinstance(args, str):
            args = json.dumps(clean_value(args) if args is not None else {}, ensure_ascii=False)
        call_id = call.get("id") if isinstance(call.get("id"), str) else f"call_{i}"
        function = {"name": clean(fn["name"]), "arguments": clean(args) or "{}"}
        calls.append({"id": clean(call_id), "type": "function", "function": function})
    if not calls and not (content or "").strip() and not empty_ok:
        # an empty turn is a failed request (retried, then an error on the episode), not
        # an answer: ten empty turns must not end an episode "ok"
        raise _Malformed("an empty reply")
    usage = Usage(requests=1)
    counts = data.get("usage")
    if isinstance(counts, dict):
        for name in ("prompt_tokens", "completion_tokens"):
            value = counts.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                setattr(usage, name, value)
    if choices[0].get("finish_reason") == "length":
        notes.append(cut_note(usage.completion_tokens))
    if (repeated := repetition_note(content)) is not None:
        notes.append(repeated)
    return Completion(content, calls, usage, 0.0, notes)


class ChatClient:
    """One connection pool per endpoint, shared by every episode of a run."""

    def __init__(self, model: str, base_url: str | None, options: BackendOptions) -> None:
        self.model = model
        self.base_url = base_url
        self.options = options
        options.register_secrets()  # on a Ray actor too: the key and credentials it sends
        self._headers = {"Authorization": f"Bearer {options.api_key(base_url)}"}
        self._http: HttpClient | None = None
        self.where = redact_url(base_url) or "the default endpoint"
        self.cache = ResponseCache(Path(options.cache_dir)) if options.cache_dir else None

    @property
    def http(self) -> HttpClient:
        if self._http is None:  # made in the running loop, shared with the run's other clients
            url = self.base_url or DEFAULT_BASE_URL
            self._http = shared_client(url, self._headers, self.options.max_requests)
        return self._http

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
        if self.options.top_p != 1.0:
            kwargs["top_p"] = self.options.top_p
        if self.options.stop:
            kwargs["stop"] = list(self.options.stop)
        if self.options.repetition_penalty != 1.0:  # vLLM and transformers servers read it
            kwargs["repetition_penalty"] = self.options.repetition_penalty
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
        body = json.dumps(kwargs, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "replace"
        )
        attempt = 0
        while True:
            t0 = time.perf_counter()
            delay: float | None = None
            try:
                response = await self.http.request(
                    "POST", "/chat/completions", body,
                    deadline=self.options.timeout, max_body=self.options.max_reply_bytes,
                )  # fmt: skip
                if response.status == 200:
                    reply = parse_completion(
                        response.body, self.options.max_reply_chars, self.options.empty_ok
                    )
                    reply.latency_s = time.perf_counter() - t0
                    return reply
                problem = self._status(response)
                retryable = response.status == 429 or response.status >= 500
                delay = _retry_after(response.headers)
            except BodyTooLarge as exc:
                raise ChatError(redact(f"{self.where}: {exc}")) from None
            except HttpFailure as exc:
                problem, retryable = self._failure(exc), exc.retryable
            except _Malformed as exc:
                problem, retryable = f"{self.where} returned a malformed reply ({exc})", True
            if not retryable or attempt >= self.options.retries:
                tries = f" (after {attempt + 1} attempts)" if attempt else ""
                raise ChatError(redact(problem + tries))
            o = self.options
            await asyncio.sleep(retry_wait(delay, o.backoff, attempt, o.timeout))
            attempt += 1

    def _status(self, response: Response) -> str:
        detail = _error_detail(response.body)
        return f"{self.where} answered HTTP {response.status}" + (f": {detail}" if detail else "")

    def _failure(self, exc: HttpFailure) -> str:
        if exc.timeout:
            return f"request to {self.where} timed out after {self.options.timeout:g} s"
        return f"cannot reach {self.where} ({exc})"

    async def preflight(self) -> None:
        """Fail early, with one message, when the endpoint cannot be reached or refuses the key."""
        try:
            response = await self.http.request(
                "GET", "/models", None, deadline=self.options.timeout, max_body=4 * 1024 * 1024
            )
        except HttpFailure as exc:
            if exc.timeout:
                return  # slow to list models is not broken; the first request will tell
            raise ChatError(redact(self._failure(exc))) from None
        if response.status in (401, 403):
            raise ChatError(redact(self._status(response)))
        # other answers (404: some servers have no /models) leave it to the first request

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
