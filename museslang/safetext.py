"""Text from outside made safe to store: valid Unicode, bounded, with secrets removed.

Models, servers, spec files and official records can all hand museslang strings that
UTF-8 cannot encode (a lone surrogate from a `\\ud800` JSON escape is legal JSON and
kills every JSON writer downstream), and error bodies can echo the API key. Every such
boundary passes its text through here once, so nothing later has to care.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (valid pairs are joined)."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_value(value: Any, depth: int = 0) -> Any:
    """A JSON-like value with every string in it cleaned (keys too)."""
    if isinstance(value, str):
        return clean(value)
    if depth > 200:
        return value
    if isinstance(value, dict):
        return {clean(str(k)): clean_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(v, depth + 1) for v in value]
    return value


def clip(text: str, limit: int, what: str = "text") -> str:
    """At most `limit` characters, with a note of how much was cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[… {what} cut: {len(text) - limit:,} more characters]"


# what an Authorization header, a bearer token or an OpenAI-style key looks like when a
# server echoes a request back in an error body
_TOKEN_PATTERNS = (
    re.compile(r"(?i)(authorization\s*[:=]\s*[\"']?\s*(?:bearer|basic)\s+)[^\s\"',}]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"()\bsk-[A-Za-z0-9_-]{8,}"),
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


_SECRETS: set[str] = set()


def add_secret(secret: str) -> None:
    """A value (an API key) that must never be printed or stored; `redact` removes it."""
    if secret and len(secret) >= 4:
        _SECRETS.add(secret)


def redact(text: str) -> str:
    """`text` without any registered secret, bearer token or URL credentials."""
    return Redactor(_SECRETS)(text)


class Redactor:
    """Removes known secrets (an API key, URL credentials) from any text before it is
    written or printed."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "[redacted]")
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
        return _URL_USERINFO.sub(lambda m: m.group(1) + "[redacted]@", text)


def redact_url(url: str | None) -> str | None:
    """A URL as it may be shown or stored: user and password replaced."""
    if url is None:
        return None
    return _URL_USERINFO.sub(lambda m: m.group(1) + "[redacted]@", url)
