"""The response cache (`--cache DIR`): a finished request is never paid for twice.

The key is the SHA-256 of the whole request as sent (endpoint, model, messages,
tools, sampling settings, seed) *and the trial number*. A rerun of the same
trial finds its own replies; another trial never does, even where the request
is byte-identical (a model without a seed, a greedy decoder): trials must be
real repeats, or pass^k measures the cache instead of the model.

One file per entry, written via a temporary file and a rename, so concurrent
episodes and an interrupted run never leave a half-written entry behind; an
entry that cannot be read is treated as missing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from museslang.files import write_atomic
from museslang.safetext import redact_model


class CachedReply(BaseModel):
    content: str | None
    tool_calls: list[dict[str, Any]]
    prompt_tokens: int
    completion_tokens: int


def request_key(endpoint: str | None, request: dict[str, Any], trial: int) -> str:
    body = {"endpoint": endpoint or "", "request": request, "trial": trial}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedReply | None:
        try:
            return CachedReply.model_validate_json(self._path(key).read_bytes())
        except (OSError, ValidationError):
            return None

    def put(self, key: str, reply: CachedReply) -> None:
        """Keep a reply, without any secret museslang was given (an endpoint that echoes
        the Authorization header must not leave the key in every entry)."""
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, redact_model(reply).model_dump_json())
