"""`vllm-serve:MODEL` users: the `openai:` simulated users against the vLLM server that
museslang runs for MODEL, the same one as the agent's or the teacher's when they name the
same model (`runtime.vllm_server`)."""

from __future__ import annotations

from dataclasses import replace

from museslang.runtime.engine import UserBackend
from museslang.runtime.options import BackendError, BackendOptions
from museslang.runtime.users.llm import LLMUsers
from museslang.runtime.users.registry import USERS
from museslang.runtime.vllm_server import LOCAL_KEY, HoldsServer, ManagedServer, server_for


class ServedUsers(HoldsServer, LLMUsers):
    def __init__(self, server: ManagedServer, options: BackendOptions) -> None:
        served = replace(options, users_base_url=server.url, api_key_env=LOCAL_KEY)
        super().__init__(server.model, served)
        self.server = server


@USERS.register("vllm-serve")
def _vllm_serve_users(arg: str | None, options: BackendOptions) -> UserBackend:
    if not arg:
        raise BackendError("name the model: vllm-serve:MODEL (a Hugging Face id or a folder)")
    return ServedUsers(server_for(arg, options), options)
