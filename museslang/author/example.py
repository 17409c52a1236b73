"""What the author is shown of a family: an example spec (given, or the first spec under
`specs/` that declares the family) and, for an installed family, its summary and fields."""

from __future__ import annotations

import re
from pathlib import Path

from museslang import family as families
from museslang.author.models import AuthorError

_DECLARES = re.compile(r"^\s*family:\s*([\w.-]+)", re.M)


def _roots() -> list[Path]:
    here = Path(__file__).resolve().parents[2]  # a source checkout: its specs/ folder
    return [Path.cwd() / "specs", here / "specs"]


def example(family: str, given: Path | None) -> str:
    if given is not None:
        try:
            return given.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuthorError(f"--example {given}: cannot read it ({exc})") from None
    for root in _roots():
        for spec in sorted(root.glob("*.muses")) if root.is_dir() else []:
            text = spec.read_text(encoding="utf-8")
            if family in _DECLARES.findall(text):
                return text
    raise AuthorError(
        f"no example spec of family '{family}' under specs/: give one with --example FILE"
    )


def described(family: str) -> tuple[str, str]:
    """An installed family's summary and the fields its users and scenario may hold."""
    found = families.find(family)
    if found is None:
        return "", ""
    fields = "; ".join(
        f"{kind}: {', '.join(names)}" for kind, names in found.reads.items() if "*" not in names
    )
    return found.summary, fields
