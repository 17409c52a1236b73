"""`vllm-serve:MODEL`: the `openai:` agent against a vLLM server that museslang starts for
MODEL, shares with the run's other roles and stops at the end (`runtime.vllm_server`).

With `--lora PATH` the server serves the adapter as an extra model and the agent talks
to it; simulated users naming the same base model talk to the base on the same server.
"""

from __future__ import annotations

from dataclasses import replace

from museslang.runtime.agents.openai_agent import OpenAIAgent
from museslang.runtime.agents.registry import AGENTS
from museslang.runtime.engine import Agent
from museslang.runtime.options import BackendError, BackendOptions
from museslang.runtime.vllm_server import LOCAL_KEY, HoldsServer, ManagedServer, server_for


class ServedAgent(HoldsServer, OpenAIAgent):
    def __init__(self, server: ManagedServer, options: BackendOptions) -> None:
        name = server.adapter(options.lora) if options.lora else server.model
        # the server takes any key: the user's own key never goes to it
        super().__init__(name, replace(options, base_url=server.url, api_key_env=LOCAL_KEY))
        self.server = server


@AGENTS.register("vllm-serve")
def _vllm_serve(arg: str | None, options: BackendOptions) -> Agent:
    if not arg:
        raise BackendError("name the model: vllm-serve:MODEL (a Hugging Face id or a folder)")
    if options.tool_mode not in {"tools", "text"}:
        raise BackendError(f"--tool-mode must be tools or text, not {options.tool_mode!r}")
    return ServedAgent(server_for(arg, options), options)
