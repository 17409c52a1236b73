"""Settings shared by every backend of a run, and backend specs like `openai:gpt-4o`."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from museslang.safetext import add_secret, add_url_secrets

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                   "all_proxy")  # fmt: skip


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
    max_requests: int = 64  # requests in flight per endpoint (= its connection pool)
    users_verify: int = 0  # a simulated user's flagged message is asked again this often
    max_reply_bytes: int = 4 * 1024 * 1024  # a bigger reply body is an error, not read
    max_reply_chars: int = 200_000  # reply text kept per turn; the rest is cut, with a note
    # an empty reply is an answer (compat: the official runner plays on), not a failure
    empty_ok: bool = False
    # sampling, for every model backend (repetition_penalty: in-process and vLLM servers)
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    stop: tuple[str, ...] = ()
    # in-process engines: CPU threads for hf: and vLLM's CPU build (None: hf: takes one
    # fewer than the cores, at least one; vLLM its own default), and vLLM's parallelism
    # and memory settings
    threads: int | None = None
    tensor_parallel: int = 1
    gpu_memory: float | None = None  # the share of GPU memory vLLM may take (its default)
    max_model_len: int | None = None
    kv_cache_space: float | None = None  # vLLM's KV cache in GiB (the CPU build's size)
    # where a server museslang starts (vllm-serve:) writes its log: the run folder
    log_dir: str | None = None

    def register_secrets(self) -> None:
        """Tell the redactor every secret this run was given: the key (when its variable is
        set here), the credentials in --base-url and --users-base-url, and a proxy's. Called
        where the options are made (the CLI) and by every client built from them (a Ray
        actor's too), so nothing written or printed on any machine can carry them."""
        if ENV_NAME.fullmatch(self.api_key_env or "") and (key := os.environ.get(self.api_key_env)):
            add_secret(key)
        for url in (self.base_url, self.users_base_url):
            add_url_secrets(url)
        for name in PROXY_VARIABLES:
            add_url_secrets(os.environ.get(name))

    def api_key(self, base_url: str | None = None) -> str:
        """The key from the named variable; local servers (vllm serve) accept any key, so
        an unset variable sends EMPTY there, and is an error for a remote endpoint."""
        if not ENV_NAME.fullmatch(self.api_key_env or ""):
            # never echo the value: it is often the key itself, pasted by mistake
            raise BackendError(
                "--api-key-env takes the NAME of an environment variable that holds the key "
                "(e.g. OPENAI_API_KEY), not the key itself"
            )
        key = os.environ.get(self.api_key_env)
        if key:
            add_secret(key)
            return key
        if not is_local(base_url):
            where = base_url or "the default OpenAI endpoint"
            raise BackendError(
                f"{self.api_key_env} is not set: {where} needs a key (set it, or name another "
                "variable with --api-key-env)"
            )
        return "EMPTY"


def is_local(base_url: str | None) -> bool:
    """An endpoint on this machine (loopback), where servers take any key."""
    if not base_url:
        return False
    try:
        host = urlsplit(base_url).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BackendError(ValueError):
    """A backend spec or setting that cannot work; the message says why."""


def split_spec(spec: str) -> tuple[str, str | None]:
    """`openai:gpt-4o-mini` -> ('openai', 'gpt-4o-mini'); `scripted` -> ('scripted', None)."""
    scheme, sep, arg = spec.partition(":")
    if sep and not arg:
        raise BackendError(f"{spec!r}: nothing after ':'")
    return scheme.strip(), (arg.strip() if sep else None)
