"""The user simulators' registry, alone: a simulator module registers its factory here,
and `runtime.users.registered()` imports the simulator modules, so the registry sits
under both and importing it loads no simulator."""

from __future__ import annotations

from collections.abc import Callable

from museslang.registry import Registry
from museslang.runtime.engine import UserBackend
from museslang.runtime.options import BackendOptions

UserFactory = Callable[[str | None, BackendOptions], UserBackend]
USERS: Registry[UserFactory] = Registry("user simulator")
