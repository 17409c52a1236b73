"""Choosing episodes by their scenarios' tags (`tags: [...]`, `eval --tag T`).

A tag is a word a scenario carries into each of its compiled episodes, so a compiled
file selects as its spec does. A tag that selects nothing is an error, not an empty run:
`--tag smok` beside `--tag ward` would otherwise quietly run the ward episodes only.
"""

from __future__ import annotations

from collections.abc import Sequence

from museslang.diagnostics import did_you_mean
from museslang.ir.models import EpisodeGraph


class UnknownTag(ValueError):
    """A tag no episode carries; the message says which tags there are."""


def with_tags(episodes: Sequence[EpisodeGraph], tags: Sequence[str]) -> list[EpisodeGraph]:
    """The episodes that carry any of `tags`, in their order; all of them when no tag is
    given."""
    if not tags:
        return list(episodes)
    known = sorted({t for e in episodes for t in e.tags})
    for tag in tags:
        if tag not in known:
            listed = ", ".join(known[:20]) if known else "none: no scenario declares `tags:`"
            hint = did_you_mean(tag, known)
            raise UnknownTag(
                f"--tag {tag}: no episode is tagged '{tag}'"
                + (f"; {hint}" if hint else "")
                + f" (tags here: {listed})"
            )
    wanted = set(tags)
    return [e for e in episodes if wanted.intersection(e.tags)]
