"""Simulated users, one registry: `scripted`, `openai:MODEL` and `vllm-serve:MODEL` (a vLLM
server museslang runs itself)."""

from __future__ import annotations

from museslang.registry import Registry
from museslang.runtime.engine import UserBackend
from museslang.runtime.options import BackendError, BackendOptions, split_spec
from museslang.runtime.users.registry import USERS, UserFactory


def registered() -> Registry[UserFactory]:
    """Every user simulator, registered (their heavy imports stay lazy)."""
    from museslang.runtime.users import llm, scripted, vllm_serve  # noqa: F401  (registration)

    return USERS


def make_users(spec: str, options: BackendOptions) -> UserBackend:
    registered()
    scheme, arg = split_spec(spec)
    factory = USERS.get(scheme)
    backend = factory(arg, options)
    backend.spec = spec
    backend.verify = options.users_verify
    return backend


def known_users(spec: str) -> None:
    """Fail as `make_users` would on a name no simulator has, without building one."""
    registered().get(split_spec(spec)[0])


__all__ = ["USERS", "BackendError", "known_users", "make_users"]
