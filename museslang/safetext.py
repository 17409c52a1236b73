"""Text from outside made safe to store: valid Unicode, bounded, with secrets removed.

Models, servers, spec files and official records can all hand museslang strings that
UTF-8 cannot encode (a lone surrogate from a `\\ud800` JSON escape is legal JSON and
kills every JSON writer downstream), and error bodies can echo the API key. Every such
boundary passes its text through here once, so nothing later has to care.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (valid pairs are joined)."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_value(value: Any) -> Any:
    """A JSON-like value with every string in it cleaned (keys too)."""
    return map_strings(value, clean)


def map_strings(value: Any, fn: Callable[[str], str], depth: int = 0) -> Any:
    """A JSON-like value with `fn` applied to every string in it, keys too (lists for
    tuples; nesting past 200 levels is left as it is)."""
    if isinstance(value, str):
        return fn(value)
    if depth > 200:
        return value
    if isinstance(value, dict):
        return {fn(str(k)): map_strings(v, fn, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [map_strings(v, fn, depth + 1) for v in value]
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
MIN_SECRET = 4  # a shorter value is not redacted: it would cut every word it occurs in


def add_secret(secret: str) -> None:
    """A value (an API key) that must never be printed or stored; `redact` removes it."""
    if secret and len(secret) >= MIN_SECRET:
        _SECRETS.add(secret)


def add_url_secrets(url: str | None) -> None:
    """The credentials in a URL (`https://user:password@host/v1`), in every form they may
    come back in: the password as written and decoded, `user:password`, and the basic-auth
    token made of them. The user name alone is not a secret (and is often a common word)."""
    import base64
    from urllib.parse import unquote, urlsplit

    for one in (url or "").split(","):  # --base-url a,b: one endpoint per actor
        try:
            parts = urlsplit(one.strip())
            user, password = parts.username, parts.password
        except ValueError:
            continue
        if password is None:
            continue
        for pair in {(user or "", password), (unquote(user or ""), unquote(password))}:
            joined = f"{pair[0]}:{pair[1]}"
            for secret in (pair[1], joined, base64.b64encode(joined.encode()).decode()):
                add_secret(secret)


def known_secrets() -> bool:
    """Whether museslang was given any secret in this process (redaction costs nothing
    when it was not)."""
    return bool(_SECRETS)


def redact_known(text: str) -> str:
    """`text` without any secret museslang was given (the API key, URL credentials), as
    every record and output line is written. Unlike `redact`, it leaves text that merely
    looks like a token alone: a transcript may legitimately discuss one."""
    for secret in _ordered():
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


def _ordered() -> list[str]:
    return sorted(_SECRETS, key=len, reverse=True)  # a secret inside another goes second


def redact_value(value: Any) -> Any:
    """A JSON-like value with every known secret removed from each string in it (keys
    too). Redacting the strings, not the serialised text, keeps the JSON valid whatever
    the secret looks like."""
    return map_strings(value, redact_known)


M = TypeVar("M", bound="BaseModel")


def redact_model(model: M) -> M:
    """A record (a result, a cached reply) with no known secret in any of its strings; the
    same object when none occurs (the common case costs one serialisation)."""
    if not _SECRETS:
        return model
    try:
        text = model.model_dump_json()
    except ValueError:  # a lone surrogate (its writer replaces it): look at every string
        return type(model).model_validate(redact_value(model.model_dump(mode="python")))
    forms = {
        form
        for secret in _SECRETS
        for form in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1])
    }
    if not any(f in text for f in forms):
        return model
    data = redact_value(model.model_dump(mode="json"))
    return type(model).model_validate(data)


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


class RedactingStream:
    """stdout or stderr with every known secret removed from what is written: the one
    place every printed line passes (tables, progress, warnings, errors, libraries' own
    messages), whatever path a secret took to get there."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    @property
    def wrapped(self) -> Any:
        return self._stream

    def write(self, text: Any) -> int:
        if isinstance(text, str) and _SECRETS:
            self._stream.write(redact_known(text))
            return len(text)
        return self._stream.write(text)

    def writelines(self, lines: Iterable[Any]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
