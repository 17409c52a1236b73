"""The agent backends' registry, alone: a backend module registers its factory here, and
`runtime.agents.registered()` imports the backend modules, so the registry sits under
both and importing it loads no backend."""

from __future__ import annotations

from collections.abc import Callable

from museslang.registry import Registry
from museslang.runtime.engine import Agent
from museslang.runtime.options import BackendOptions

AgentFactory = Callable[[str | None, BackendOptions], Agent]
AGENTS: Registry[AgentFactory] = Registry("agent backend")
