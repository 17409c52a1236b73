"""Replies no HTTP server should send end a request with a clear error, never an internal
one, and no Retry-After holds a run longer than its request deadline."""

from __future__ import annotations

import time

import pytest

from museslang.runtime.chat import MAX_RETRY_WAIT, ChatError, retry_wait
from museslang.testing.faulty_server import FaultyServer, completion, http_response, once
from museslang.testing.hostile import endpoint_cases
from tests.test_hostile_endpoint import ask

CASES = endpoint_cases()


@pytest.mark.parametrize(("name", "reply", "why"), CASES, ids=[c[0] for c in CASES])
def test_a_malformed_reply_is_a_clear_error(name: str, reply: bytes, why: str) -> None:
    with FaultyServer(lambda r: once(reply)) as server, pytest.raises(ChatError) as err:
        ask(server, timeout=2)
    assert why in str(err.value) and "internal" not in str(err.value)


def test_retry_after_is_capped_by_the_request_deadline() -> None:
    """`Retry-After: 1e308` with --timeout 0.5 --retries 2: two waits of 0.5 s, not 60."""
    reply = http_response(429, b"{}", {"retry-after": "1e308"})
    with FaultyServer(lambda r: once(reply)) as server:
        t0 = time.perf_counter()
        with pytest.raises(ChatError, match=r"HTTP 429.*after 3 attempts"):
            ask(server, timeout=0.5, retries=2)
        assert len(server.requests) == 3
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("value", ["nan", "inf", "-3", "Tue, 99 Zzz 2024 99:99:99 GMT", ""])
def test_a_retry_after_that_means_nothing_falls_back_to_backoff(value: str) -> None:
    reply = http_response(503, b"{}", {"retry-after": value})
    calls = {"n": 0}

    async def flaky(request):
        calls["n"] += 1
        yield reply if calls["n"] == 1 else http_response(200, completion("fine"))

    with FaultyServer(flaky) as server:
        assert ask(server, timeout=2).content == "fine"


def test_the_wait_between_attempts() -> None:
    assert retry_wait(None, 0.5, 0, 60) == 0.5 and retry_wait(None, 0.5, 3, 60) == 4.0
    assert retry_wait(1e308, 0.5, 0, 2) == 2  # the deadline
    assert retry_wait(1e308, 0.5, 0, 600) == MAX_RETRY_WAIT
    assert retry_wait(None, 0.5, 10_000, 600) == MAX_RETRY_WAIT  # no overflow
