"""Capture what a real vLLM server answers to museslang's tool requests, as test fixtures.

Starts the managed server (`vllm-serve:`) for SmolLM2-135M-Instruct, sends the first agent
request of one episode of each family with its tools, once with `tool_choice: auto`
(as museslang asks) and once forced to each tool by name, and writes each reply body as
the server sent it to `tests/fixtures/vllm_replies/` (with the request's family, tool and
tool_choice beside it; not the prompt). `tests/test_tool_call_checks.py` reads them back
through museslang's reply parser and agent.

    python benchmarks/real_model.py prepare
    python benchmarks/vllm_capture.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAMILIES = ("meeting", "access_control", "shared_queue", "instruction_following")
OUT = ROOT / "tests" / "fixtures" / "vllm_replies"


def post(url: str, body: dict) -> dict:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as reply:
        return json.loads(reply.read())


def first_request(family: str) -> tuple[list[dict], list[dict]]:
    """The agent's first messages and tools for the spec's first episode, as eval sends
    them (a scripted user's opening included)."""
    from museslang.compiler import compile_path
    from museslang.runtime.agents.reference import ReferenceAgent
    from museslang.runtime.engine import Engine
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    episode = compile_path(ROOT / "specs" / f"{family}.muses").compiled.episodes[0]
    seen: dict = {}

    class Spy(ReferenceAgent):
        async def act(self, view):  # type: ignore[no-untyped-def]
            seen.setdefault("messages", view.messages)
            seen.setdefault("tools", view.tools)
            return await super().act(view)

    asyncio.run(Engine(Spy("oracle"), make_users("scripted", BackendOptions())).run(episode))
    return seen["messages"], seen["tools"]


def main() -> None:
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.vllm_server import server_for

    folder = Path.home() / ".cache" / "museslang" / "models" / "smollm2-135m-instruct"
    if not (folder / "config.json").exists():
        sys.exit("run benchmarks/real_model.py prepare first")
    OUT.mkdir(parents=True, exist_ok=True)
    server = server_for(str(folder), BackendOptions(kv_cache_space=1, log_dir="/tmp"))
    asyncio.run(server.start())
    try:
        for family in FAMILIES:
            messages, tools = first_request(family)
            choices: list = ["auto"]
            choices += [
                {"type": "function", "function": {"name": t["function"]["name"]}} for t in tools
            ]
            for choice in choices:
                body = {
                    "model": str(folder),
                    "messages": messages,
                    "tools": tools,
                    "tool_choice": choice,
                    "max_tokens": 96,
                    "temperature": 0,
                    "seed": 7,
                }
                reply = post(f"{server.url}/chat/completions", body)
                tool = "auto" if choice == "auto" else choice["function"]["name"]
                name = f"{family}-{tool}.json"
                keep = {"family": family, "tool_choice": tool, "reply": reply}
                (OUT / name).write_text(
                    json.dumps(keep, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
                )
                calls = reply["choices"][0]["message"].get("tool_calls") or []
                print(name, [c["function"]["arguments"][:60] for c in calls] or "no tool call")
    finally:
        server.release()


if __name__ == "__main__":
    main()
