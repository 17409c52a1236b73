"""A local OpenAI-compatible chat server with scripted answers.

Tests use it to drive the `openai:` backends through the real `openai`
client over real HTTP; `benchmarks/eval_throughput.py` uses it with a fixed
latency to measure orchestration overhead. It is a plain asyncio HTTP/1.1
server (keep-alive, Content-Length bodies) on 127.0.0.1 in a background
thread, with no dependency beyond the standard library.

`python -m museslang.testing.openai_stub --port 8001 --latency 0.05` serves
the default facilitator, which is enough for dry runs of `museslang eval`.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import itertools
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StubReply:
    """What the server answers to one chat request."""

    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200  # anything else is sent as an OpenAI-style error
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # extra seconds before answering (e.g. to provoke timeouts)


Responder = Callable[[dict[str, Any]], StubReply | Awaitable[StubReply]]

# In a reply's content or tool-call arguments, stands for the request's Authorization
# header: a server that echoes what it was sent, for the tests that no key reaches disk.
ECHO_AUTHORIZATION = "<<authorization>>"


def _tool_names(request: dict[str, Any]) -> set[str]:
    return {t["function"]["name"] for t in request.get("tools") or []}


def facilitator(request: dict[str, Any]) -> StubReply:
    """A plausible agent: each family's corpus plays its own actions (one asks
    everyone twice, then finalises the first slot it heard; a queue decides nothing).

    As a simulated user (a request without tools whose system prompt is not an
    agent's) it answers with a slot.
    """
    from museslang.testing.corpus import StubTurn, corpora

    messages = request.get("messages", [])
    system = str(messages[0].get("content", "")) if messages else ""
    turn = StubTurn(
        tools=_tool_names(request),
        system=system,
        turn=sum(m.get("role") == "assistant" for m in messages) + 1,
        texts=" ".join(str(m.get("content") or "") for m in messages if m.get("role") == "user"),
    )
    for _, corpus in corpora():
        reply = corpus.stub(turn, StubReply) if corpus.stub is not None else None
        if reply is not None:
            return reply
    return StubReply(content="I could do Mon 9:00 or Tue 10:00.")


class StubServer:
    """Start with `with StubServer(responder) as server:`; `server.base_url` ends in /v1."""

    def __init__(
        self,
        responder: Responder = facilitator,
        *,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_requests: bool = True,
    ) -> None:
        self.responder = responder
        self.latency = latency
        self.host = host
        self.port = port
        self.keep_requests = keep_requests
        self.requests: list[dict[str, Any]] = []
        self.count = 0
        self.connections = 0  # TCP connections accepted (GET /stats reports both)
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def __enter__(self) -> StubServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the stub server did not start")

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _shutdown(self) -> None:
        """Close the listener and every open connection before the loop stops."""
        if self._server is not None:
            self._server.close()
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, self.host, self.port, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, payload, extra = await self._route(method, path, body)
                if ECHO_AUTHORIZATION in (data := json.dumps(payload)):
                    echoed = json.dumps(headers.get("authorization", ""))[1:-1]
                    payload = json.loads(data.replace(ECHO_AUTHORIZATION, echoed))
                data = json.dumps(payload).encode()
                head_out = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}"]
                head_out += [
                    "content-type: application/json",
                    f"content-length: {len(data)}",
                    "connection: keep-alive",
                ]
                head_out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head_out) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def _route(self, method: str, path: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        path = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and path.endswith("/stats"):
            return 200, {"requests": self.count, "connections": self.connections}, {}
        if method == "GET" and path.endswith("/models"):
            return 200, {"object": "list", "data": [{"id": "stub", "object": "model"}]}, {}
        if method != "POST" or not path.endswith("/chat/completions"):
            return 404, {"error": {"message": f"no route {method} {path}"}}, {}
        request = json.loads(body or b"{}")
        self.count += 1
        if self.keep_requests:
            self.requests.append(request)
        reply = self.responder(request)
        if inspect.isawaitable(reply):  # not isinstance: run as __main__, StubReply is twice
            reply = await reply
        if self.latency or reply.delay:
            await asyncio.sleep(self.latency + reply.delay)
        if reply.status != 200:
            error = {"message": f"stub error {reply.status}", "type": "stub", "code": None}
            return reply.status, {"error": error}, reply.headers
        return 200, self._completion(request, reply), reply.headers

    def _completion(self, request: dict[str, Any], reply: StubReply) -> dict[str, Any]:
        n = next(self._ids)
        # call ids come from the request, not the count: a rerun, or the same episodes run
        # in another order (on several processes), gets the same conversation back
        asked = json.dumps(request.get("messages"), sort_keys=True, default=str)
        key = hashlib.sha256(asked.encode()).hexdigest()[:12]
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{key}_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
                for i, (name, args) in enumerate(reply.tool_calls)
            ]
        prompt = sum(len(str(m.get("content") or "")) for m in request.get("messages", [])) // 4
        completion = len(json.dumps(message)) // 4
        return {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": 0,
            "model": request.get("model", "stub"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


def _main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    args = parser.parse_args()
    server = StubServer(latency=args.latency, port=args.port, keep_requests=False)
    server.start()
    print(f"serving {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    _main()
