"""Near-duplicates: two scenarios whose source is the same once comments, blank space
and the scenario's own names are set aside, or whose titles are the same words. A model
asked many times for "a new scenario" writes the same one often; the official seeds are
deduplicated by title alone, which lets a renamed copy through."""

from __future__ import annotations

import hashlib
import re

_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\s+')


def normalised_source(text: str) -> str:
    """The source with comments dropped and every run of blank space one space (strings
    kept as they are), and the names after `scenario` replaced by one placeholder."""

    def keep(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("#"):
            return " "
        return " " if token.isspace() else token

    flat = _TOKENS.sub(keep, text)
    flat = re.sub(r"\bscenario\s+[A-Za-z_][\w]*", "scenario _", flat)
    return re.sub(r" +", " ", flat).strip()


def source_hash(text: str) -> str:
    return hashlib.sha256(normalised_source(text).encode("utf-8")).hexdigest()


def title_key(title: str) -> str:
    """A title's words, lower case, punctuation dropped."""
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


class Seen:
    """The kept scenarios' hashes and titles."""

    def __init__(self) -> None:
        self.hashes: dict[str, str] = {}
        self.titles: dict[str, str] = {}

    def duplicate(self, text: str, titles: list[str]) -> str | None:
        """The kept file this one repeats, or None."""
        if (h := source_hash(text)) in self.hashes:
            return self.hashes[h]
        for t in titles:
            if (k := title_key(t)) and k in self.titles:
                return self.titles[k]
        return None

    def add(self, text: str, titles: list[str], name: str) -> None:
        self.hashes[source_hash(text)] = name
        for t in titles:
            if k := title_key(t):
                self.titles[k] = name
