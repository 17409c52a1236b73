"""A small HTTP/1.1 client for OpenAI-compatible endpoints, on asyncio streams.

Why not the `openai` package's client: evaluation sends thousands of small JSON
requests to one endpoint, and a general-purpose client spent about half of
museslang's CPU on its own layers while still letting a server that drips one
byte every half second hold a request forever (its timeout is per read). This
client does one thing:

- keep-alive connections to one origin, at most `max_connections` of them, each
  carrying one request at a time, so in-flight requests never exceed the pool and no
  connection is opened that a waiting request could have reused;
- a deadline for the *whole* request (connect, send, headers, body), whatever the
  server does;
- a bound on the body it will read (`max_body` bytes), checked before reading;
- Content-Length, chunked and read-to-close bodies; TLS with the system's trust
  store (`SSL_CERT_FILE` honoured); HTTP proxies from `HTTPS_PROXY` / `HTTP_PROXY`
  (`NO_PROXY` honoured), with CONNECT for https.

Retries, backoff and error wording live in `chat`; here a request either returns a
`Response` (any status) or raises `HttpFailure` saying whether repeating could help.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import ssl
import weakref
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

MAX_HEADER_BYTES = 64 * 1024


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class HttpFailure(Exception):
    """No response. `retryable`: a repeat could succeed (timeout, refused, reset)."""

    def __init__(self, message: str, *, retryable: bool, timeout: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.timeout = timeout


class BodyTooLarge(HttpFailure):
    def __init__(self, size: int | None, limit: int) -> None:
        what = f"{size:,} bytes" if size is not None else "more"
        super().__init__(f"the reply is {what}, over the limit of {limit:,}", retryable=False)


@dataclass
class _Origin:
    scheme: str
    host: str
    port: int
    prefix: str  # the URL's path, e.g. /v1
    auth: str | None = None  # "user:password" from the URL, sent as basic auth


def parse_base_url(url: str) -> _Origin:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    auth = None
    if parts.username is not None:
        auth = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return _Origin(parts.scheme, parts.hostname, port, parts.path.rstrip("/"), auth)


def _no_proxy(host: str) -> bool:
    rules = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    for rule in (r.strip().lower() for r in rules.split(",")):
        if rule == "*" or (
            rule and (host == rule.lstrip(".") or host.endswith("." + rule.lstrip(".")))
        ):
            return True
    return host in ("localhost", "127.0.0.1", "::1")


def proxy_for(origin: _Origin) -> _Origin | None:
    if _no_proxy(origin.host.lower()):
        return None
    names = (
        ("HTTPS_PROXY", "https_proxy") if origin.scheme == "https" else ("HTTP_PROXY", "http_proxy")
    )
    for name in (*names, "ALL_PROXY", "all_proxy"):
        value = os.environ.get(name)
        if value:
            return parse_base_url(value if "://" in value else f"http://{value}")
    return None


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    used: int = 0  # requests it carried

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken transport
            self.writer.close()


@dataclass
class HttpClient:
    """Requests to one base URL; share one instance across every episode of a run."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    max_connections: int = 64
    opened: int = 0  # connections opened over the client's life (for benchmarks)
    requests: int = 0

    def __post_init__(self) -> None:
        self.origin = parse_base_url(self.base_url)
        self.proxy = proxy_for(self.origin)
        self._idle: deque[_Conn] = deque()
        self._slots = asyncio.Semaphore(max(1, self.max_connections))
        self._ssl: ssl.SSLContext | None = None
        host = self.origin.host if ":" not in self.origin.host else f"[{self.origin.host}]"
        default = 443 if self.origin.scheme == "https" else 80
        self._host = host if self.origin.port == default else f"{host}:{self.origin.port}"
        fixed = {"Host": self._host, "Accept": "application/json", "User-Agent": "museslang"}
        if self.origin.auth is not None:
            token = base64.b64encode(self.origin.auth.encode()).decode()
            fixed["Authorization"] = f"Basic {token}"
        fixed.update(self.headers)
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _open(self) -> _Conn:
        o = self.origin
        tls = self._context() if o.scheme == "https" else None
        try:
            if self.proxy is None:
                reader, writer = await asyncio.open_connection(
                    o.host, o.port, ssl=tls, server_hostname=o.host if tls else None
                )
            else:
                reader, writer = await self._through_proxy(tls)
        except (OSError, ssl.SSLError) as exc:
            raise HttpFailure(f"cannot connect: {exc.strerror or exc}", retryable=True) from None
        self.opened += 1
        return _Conn(reader, writer)

    async def _through_proxy(
        self, tls: ssl.SSLContext | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        p, o = self.proxy, self.origin
        assert p is not None
        reader, writer = await asyncio.open_connection(p.host, p.port)
        if tls is None:
            return reader, writer  # plain http: absolute URIs go to the proxy
        auth = ""
        if p.auth is not None:
            auth = f"Proxy-Authorization: Basic {base64.b64encode(p.auth.encode()).decode()}\r\n"
        writer.write(
            f"CONNECT {o.host}:{o.port} HTTP/1.1\r\nHost: {o.host}:{o.port}\r\n{auth}\r\n".encode()
        )
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.LimitOverrunError, asyncio.IncompleteReadError):
            writer.close()
            raise OSError("the proxy's reply to CONNECT is not HTTP") from None
        status = head.split(b" ", 2)[1:2]
        if status != [b"200"]:
            writer.close()
            raise OSError(
                f"the proxy refused CONNECT ({head.splitlines()[0].decode(errors='replace')})"
            )
        await writer.start_tls(tls, server_hostname=o.host)
        return reader, writer

    def _target(self, path: str) -> str:
        full = self.origin.prefix + path
        if self.proxy is not None and self.origin.scheme == "http":
            return f"http://{self._host}{full}"
        return full

    async def request(
        self, method: str, path: str, body: bytes | None, *, deadline: float, max_body: int
    ) -> Response:
        """One request, all of it within `deadline` seconds."""
        async with self._slots:
            try:
                async with asyncio.timeout(deadline):
                    return await self._exchange(method, path, body, max_body)
            except TimeoutError:
                raise HttpFailure(
                    f"timed out after {deadline:g} s", retryable=True, timeout=True
                ) from None

    async def _exchange(
        self, method: str, path: str, body: bytes | None, max_body: int
    ) -> Response:
        head = f"{method} {self._target(path)} HTTP/1.1\r\n{self._head}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        data = (head + "\r\n").encode("latin-1") + (body or b"")
        for attempt in (0, 1):
            conn = self._idle.pop() if self._idle else await self._open()
            reused = conn.used > 0
            try:
                conn.writer.write(data)
                await conn.writer.drain()
                response, keep = await self._read(conn, method, max_body)
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
                conn.close()
                if reused and attempt == 0:
                    continue  # the server closed an idle keep-alive connection: reconnect once
                raise HttpFailure(
                    f"connection failed: {exc or type(exc).__name__}", retryable=True
                ) from None
            except BaseException:
                conn.close()
                raise
            conn.used += 1
            self.requests += 1
            if keep:
                self._idle.append(conn)
            else:
                conn.close()
            return response
        raise HttpFailure("connection failed", retryable=True)  # pragma: no cover

    async def _read(self, conn: _Conn, method: str, max_body: int) -> tuple[Response, bool]:
        reader = conn.reader
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise HttpFailure("the reply's headers are too long", retryable=False) from None
        if len(raw) > MAX_HEADER_BYTES:
            raise HttpFailure("the reply's headers are too long", retryable=False)
        lines = raw.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        if (
            len(status_line) < 2
            or not status_line[0].startswith("HTTP/")
            or not status_line[1].isdigit()
        ):
            raise HttpFailure(f"not an HTTP reply: {lines[0][:80]!r}", retryable=True)
        status = int(status_line[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        keep = status_line[0] != "HTTP/1.0" and headers.get("connection", "").lower() != "close"
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return Response(status, headers, b""), keep
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._chunked(reader, max_body)
        elif "content-length" in headers:
            if not _DIGITS.fullmatch(headers["content-length"]):  # int() takes "-1", "+5", "1_0"
                raise HttpFailure("a malformed Content-Length", retryable=True)
            length = int(headers["content-length"])
            if length > max_body:
                raise BodyTooLarge(length, max_body)
            body = await reader.readexactly(length)
        else:
            body = await self._to_close(reader, max_body)
            keep = False
        return Response(status, headers, body), keep

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = await _line(reader, "chunk size")
            size_text = line.split(b";", 1)[0].strip() or b"0"
            if not _HEX.fullmatch(size_text):  # int(..., 16) takes "-5" and "0x10"
                raise HttpFailure("a malformed chunk size", retryable=True)
            n = int(size_text, 16)
            if n == 0:
                for _ in range(1000):
                    if await _line(reader, "trailer") == b"\r\n":
                        return b"".join(parts)
                raise HttpFailure("too many trailers after the last chunk", retryable=True)
            size += n
            if size > max_body:
                raise BodyTooLarge(None, max_body)
            parts.append(await reader.readexactly(n))
            await reader.readexactly(2)

    @staticmethod
    async def _to_close(reader: asyncio.StreamReader, max_body: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while chunk := await reader.read(65536):
            size += len(chunk)
            if size > max_body:
                raise BodyTooLarge(None, max_body)
            parts.append(chunk)
        return b"".join(parts)

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()


_DIGITS = re.compile(r"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9a-fA-F]{1,15}")


async def _line(reader: asyncio.StreamReader, what: str) -> bytes:
    """One CRLF-ended line of a chunked body, within the stream's limit (64 KiB)."""
    try:
        return await reader.readuntil(b"\r\n")
    except asyncio.LimitOverrunError:
        raise HttpFailure(f"a {what} line over 64 KiB", retryable=True) from None


_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, HttpClient]] = (
    weakref.WeakKeyDictionary()
)


def shared_client(base_url: str, headers: dict[str, str], max_connections: int) -> HttpClient:
    """The one client (one pool, one bound) for this endpoint and key in the running loop:
    the agent and the simulated users of a run share it when they share an endpoint."""
    loop = asyncio.get_running_loop()
    clients = _SHARED.setdefault(loop, {})
    key = (base_url, tuple(sorted(headers.items())), max_connections)
    if key not in clients:
        clients[key] = HttpClient(base_url, dict(headers), max_connections)
    return clients[key]
