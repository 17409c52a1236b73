"""The `vllm:` engine driver on a stand-in engine (no vLLM needed): every turn joins the
running batch as it comes, a finished turn's slot is refilled at the next step, and two
agents on one engine share one driver (two threads stepping one engine would take each
other's outputs)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from museslang.runtime.agents.vllm_engine import driver_for
from museslang.runtime.options import BackendError


@dataclass
class FakeEngine:
    """Finishes a request after as many steps as its prompt asks (`"steps:N"`)."""

    left: dict[str, int] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)

    def add_request(self, request_id, prompt, params, lora_request=None):  # type: ignore[no-untyped-def]
        if prompt == "refuse":
            raise ValueError("prompt too long")
        self.left[request_id] = int(prompt.split(":")[1])
        self.prompts[request_id] = prompt

    def step(self):  # type: ignore[no-untyped-def]
        time.sleep(0.2)  # a step takes time: the event loop refills meanwhile
        done = []
        for rid in list(self.left):
            self.left[rid] -= 1
            if self.left[rid] == 0:
                del self.left[rid]
                done.append(SimpleNamespace(request_id=rid, finished=True, text=self.prompts[rid]))
        return done


def test_turns_join_the_running_batch_and_finished_slots_are_refilled() -> None:
    engine = FakeEngine()
    driver = driver_for(engine)
    assert driver_for(engine) is driver  # one per engine

    async def episode(turns: int, length: int) -> list[str]:
        # each turn waits for the previous one, as an episode's turns do
        return [(await driver.submit(f"steps:{length}", None)).text for _ in range(turns)]

    async def run() -> list[list[str]]:
        return await asyncio.gather(episode(3, 1), episode(1, 3), episode(1, 3))

    out = asyncio.run(run())
    driver.close()
    assert out == [["steps:1"] * 3, ["steps:3"], ["steps:3"]]
    occ = driver.occupancy
    # the short episode's three turns ran beside the long ones (3 steps, 3 running in
    # each); lockstep rounds would take 3 + 1 + 1 steps, the last two with one request
    assert occ.peak == 3 and occ.steps < 5, occ.samples


def test_a_refused_prompt_fails_its_own_turn_only() -> None:
    driver = driver_for(FakeEngine())

    async def run() -> tuple:
        return await asyncio.gather(
            driver.submit("refuse", None), driver.submit("steps:2", None), return_exceptions=True
        )

    refused, fine = asyncio.run(run())
    driver.close()
    assert isinstance(refused, BackendError) and "prompt too long" in str(refused)
    assert fine.text == "steps:2"


def test_an_engine_that_fails_fails_every_waiting_turn() -> None:
    class Broken(FakeEngine):
        def step(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("engine core died")

    driver = driver_for(Broken())
    with pytest.raises(BackendError, match="engine core died"):
        asyncio.run(driver.submit("steps:1", None))
    with pytest.raises(BackendError, match="stopped"):
        asyncio.run(driver.submit("steps:1", None))
