"""Settings shared by every backend of a run, and backend specs like `openai:gpt-4o`."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class BackendOptions:
    base_url: str | None = None
    users_base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.5  # first retry delay in seconds; doubles each time
    temperature: float = 0.0
    max_tokens: int = 1024
    tool_mode: str = "tools"  # tools | text
    cache_dir: str | None = None  # response cache shared by every model backend of the run
    lora: str | None = None  # a LoRA adapter folder for in-process backends (vllm:, hf:)

    def api_key(self) -> str:
        """The key from the named variable. Local servers (vllm serve) accept any key."""
        return os.environ.get(self.api_key_env) or "EMPTY"


class BackendError(ValueError):
    """A backend spec or setting that cannot work; the message says why."""


def split_spec(spec: str) -> tuple[str, str | None]:
    """`openai:gpt-4o-mini` -> ('openai', 'gpt-4o-mini'); `scripted` -> ('scripted', None)."""
    scheme, sep, arg = spec.partition(":")
    if sep and not arg:
        raise BackendError(f"{spec!r}: nothing after ':'")
    return scheme.strip(), (arg.strip() if sep else None)
