"""A vLLM engine driven request by request, so that its batch stays full.

`vllm.LLM.chat` takes a list of conversations and returns when the last one is done: an
episode whose reply finished early waits, its slot empty, until the longest reply of the
batch ends, and only then do the next turns go in. Multi-turn episodes would run in
lockstep at the pace of the slowest. Here every agent turn goes into the engine the moment
its episode asks (`submit`), and every reply comes back the moment the engine finishes it:
the episode's users answer and its next turn joins the running batch at the next engine
step, exactly as vLLM's own server schedules requests.

One thread (`EngineDriver`) owns the engine: it adds what was submitted, runs
`LLMEngine.step()`, and hands finished outputs back to the event loop. vLLM's engine core
runs in its own process, so the thread mostly waits on it, not on the GIL.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from museslang.runtime.options import BackendError

_IDS = itertools.count()  # request ids, unique in the process whatever engine they go to


def driver_for(engine: Any) -> EngineDriver:
    """The one driver of this engine: two threads stepping one engine would take each
    other's outputs, so every agent on the engine shares it."""
    driver = getattr(engine, "_museslang_driver", None)
    if driver is None:
        driver = EngineDriver(engine)
        engine._museslang_driver = driver
    return driver


@dataclass
class Submitted:
    prompt: str
    params: Any  # vllm.SamplingParams
    lora: Any  # vllm LoRARequest or None
    done: Callable[[Any, BaseException | None], None]  # (RequestOutput, error), on the loop


@dataclass
class Occupancy:
    """How full the engine was: requests in it at each step (for reports and tests)."""

    steps: int = 0
    running: int = 0  # summed over steps: running / steps is the mean batch
    peak: int = 0
    samples: list[int] = field(default_factory=list)  # the first steps' counts, for tests

    def add(self, n: int) -> None:
        self.steps += 1
        self.running += n
        self.peak = max(self.peak, n)
        if len(self.samples) < 10_000:
            self.samples.append(n)

    @property
    def mean(self) -> float:
        return self.running / self.steps if self.steps else 0.0


class EngineDriver:
    """Feeds one `LLMEngine` from many episodes; started on first use, stopped by `close`."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.occupancy = Occupancy()
        self._inbox: queue.SimpleQueue[Submitted | None] = queue.SimpleQueue()
        self._waiting: dict[str, Submitted] = {}
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None
        self._lock = threading.Lock()  # a submit never slips past a failing engine

    async def submit(self, prompt: str, params: Any, lora: Any = None) -> Any:
        """The engine's `RequestOutput` for this prompt, once it has finished."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def done(output: Any, error: BaseException | None) -> None:
            def settle() -> None:
                if future.done():
                    return
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(output)

            loop.call_soon_threadsafe(settle)

        with self._lock:
            if self._failed is not None:
                raise BackendError(f"the vLLM engine stopped: {self._failed}")
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="vllm-driver", daemon=True)
                self._thread.start()
            self._inbox.put(Submitted(prompt, params, lora, done))
        return await future

    def close(self) -> None:
        """Stop the thread, unless turns of another agent on this engine are in it."""
        if self._waiting:
            return
        if self._thread is not None and self._thread.is_alive():
            self._inbox.put(None)
            self._thread.join(timeout=30)

    def _add(self, item: Submitted) -> None:
        request_id = f"museslang-{next(_IDS)}"
        try:
            self.engine.add_request(request_id, item.prompt, item.params, lora_request=item.lora)
        except Exception as exc:  # a prompt the engine refuses fails its episode alone
            item.done(None, BackendError(f"vllm refused the request: {exc}"))
            return
        self._waiting[request_id] = item

    def _run(self) -> None:
        engine = self.engine
        try:
            while True:
                if not self._waiting:
                    item = self._inbox.get()  # idle: wait for the next turn
                    if item is None:
                        return
                    self._add(item)
                while True:  # everything submitted since the last step joins this one
                    try:
                        item = self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:  # closed while turns are in flight: finish them
                        continue
                    self._add(item)
                if not self._waiting:
                    continue
                self.occupancy.add(len(self._waiting))
                for output in engine.step():
                    if output.finished and output.request_id in self._waiting:
                        self._waiting.pop(output.request_id).done(output, None)
        except Exception as exc:  # the engine itself failed: every waiting turn fails
            with self._lock:
                self._failed = exc
            error = BackendError(f"the vLLM engine failed: {type(exc).__name__}: {exc}")
            for item in self._waiting.values():
                item.done(None, error)
            self._waiting.clear()
            while True:
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item.done(None, error)
