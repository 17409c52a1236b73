"""How many errored results a run may hold before it counts as failed.

`eval --fail-on-error` and the loop's `[eval] fail_on_error` read the same words, so a
researcher writes one rule in either place: any error (`any`, the default), none
(`never`), at least N errored (a whole number), or at least a share of the results
(0.1 or 10%). A malformed rule is a `ValueError` whose text names the accepted forms;
the caller says where it came from.
"""

from __future__ import annotations

from collections.abc import Callable

TooMany = Callable[[int, int], bool]  # (errored, results) -> the run failed


def error_limit(text: str) -> TooMany:
    word = text.strip().lower()
    if word in ("any", "true"):
        return lambda errored, total: errored > 0
    if word in ("never", "none", "false"):
        return lambda errored, total: False
    try:
        value = float(word[:-1]) / 100 if word.endswith("%") else float(word)
    except ValueError:
        raise ValueError(f"takes any, never, a count or a share, not {text!r}") from None
    if value <= 0:
        raise ValueError("must be above 0 (or never)")
    if value < 1 or word.endswith("%"):
        return lambda errored, total: total > 0 and errored / total >= value
    if not value.is_integer():
        raise ValueError("takes a whole count or a share below 1")
    return lambda errored, total: errored >= value
