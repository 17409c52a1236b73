"""What the author is asked: the family, an example spec of it, the brief, the category
and the properties drawn for this attempt; then, each repair round, the diagnostics
`check` printed. The model writes content; museslang writes no part of the verdict."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from museslang.author.properties import Requested

SYSTEM = (
    "You write scenarios in museslang, a language for multi-user assistant benchmarks. "
    "Reply with one complete .muses file in a ```muses code block and nothing else."
)


@dataclass(frozen=True)
class Task:
    """One attempt's request."""

    family: str
    brief: str
    category: str
    requested: Requested
    example: str  # a spec of the family, as the model's pattern
    summary: str = ""  # the family's one line, when it is installed
    fields: str = ""  # what its declarations may hold, when it is installed

    def first(self) -> str:
        parts = [
            f"Write one new scenario of the `{self.family}` family"
            + (f" ({self.summary})." if self.summary else "."),
            f"Category: {self.category}.",
            f"Brief: {self.brief.strip()}" if self.brief.strip() else "",
            "It must have: " + self.requested.words() + ".",
            f"Fields it may use: {self.fields}." if self.fields else "",
            "Give the scenario a new name and a `title:` of its own, written for the category.",
            "An example of the family (follow its syntax exactly; change the content):",
            "```muses\n" + self.example.strip() + "\n```",
        ]
        return "\n\n".join(p for p in parts if p)


def repair(diagnostics: str) -> str:
    """The next round's request: `check`'s own text, file:line:col and hints."""
    return (
        "`museslang check` rejected it:\n\n"
        + diagnostics.strip()
        + "\n\nFix every error and reply with the whole corrected file in a ```muses block."
    )


def prompt_hash(chat: list[dict[str, str]]) -> str:
    """The first request's hash: what was asked, whatever the repairs said."""
    text = "\x1e".join(f"{m['role']}\x1f{m['content']}" for m in chat)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


_FENCE = re.compile(r"```[ \t]*([\w.+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


def extract(reply: str) -> str:
    """The spec in a reply: the first fenced block tagged muses (else the first fenced
    block, else the whole reply), with a final newline."""
    blocks = _FENCE.findall(reply or "")
    tagged = [body for tag, body in blocks if tag.lower() in ("muses", "museslang")]
    text = (tagged or [body for _, body in blocks] or [reply or ""])[0]
    return text.strip("\n") + "\n" if text.strip() else ""
