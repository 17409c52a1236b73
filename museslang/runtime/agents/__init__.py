"""Agent backends, one registry: `reference:oracle|comply|refuse`, `openai:MODEL`, the
in-process `vllm:MODEL` and `hf:PATH`, and `vllm-serve:MODEL`, a vLLM server museslang
runs itself (optional extras, imported only when used)."""

from __future__ import annotations

from museslang.registry import Registry
from museslang.runtime.agents.registry import AGENTS, AgentFactory
from museslang.runtime.engine import Agent
from museslang.runtime.options import BackendError, BackendOptions, split_spec

DEFAULT_AGENT = "reference:oracle"


def registered() -> Registry[AgentFactory]:
    """Every agent backend, registered (their heavy imports stay lazy)."""
    from museslang.runtime.agents import (  # noqa: F401  (registration)
        hf,
        openai_agent,
        reference,
        vllm_agent,
        vllm_serve,
    )

    return AGENTS


def make_agent(spec: str, options: BackendOptions) -> Agent:
    registered()
    scheme, arg = split_spec(spec)
    agent = AGENTS.get(scheme)(arg, options)
    agent.spec = spec
    return agent


def known_agent(spec: str) -> None:
    """Fail as `make_agent` would on a name no backend has, without building the agent
    (on a Ray cluster each actor builds its own)."""
    registered().get(split_spec(spec)[0])


__all__ = ["AGENTS", "DEFAULT_AGENT", "BackendError", "known_agent", "make_agent"]
