"""What a reply looked like, noted per turn: cut at the token limit, or repeating itself.

Weak models fill their token budget with one line written over and over. Such a reply
is still read (whatever action it holds counts), but a reader of the results, and the
`parse_failures` metric's companions, should see at once that it happened.
"""

from __future__ import annotations

from collections import Counter

CUT = "stopped at the token limit"
REPEATS = "repeats itself"
MIN_LINE = 8  # shorter lines ("---", "Hi,") repeat in ordinary text
MIN_TIMES = 3


def cut_note(limit: int) -> str:
    return f"{CUT} ({limit} tokens): the reply may be unfinished"


def repetition_note(text: str | None) -> str | None:
    """`repeats itself: one line written N times` when a line of some length recurs."""
    if not text:
        return None
    written = [s for line in text.splitlines() if (s := line.strip())]
    if not written:
        return None
    line, times = Counter(written).most_common(1)[0]
    long_line = len(line) >= MIN_LINE and times >= MIN_TIMES
    # a short line ("<Mike>", "Chen:") counts when it is most of the reply
    most_of_it = times >= 5 and times * 2 >= len(written)
    if not (long_line or most_of_it):
        return None
    shown = line if len(line) <= 60 else line[:57] + "..."
    return f"{REPEATS}: one line written {times} times ({shown!r})"


def notes_for(text: str | None, *, cut_at: int | None) -> list[str]:
    notes = [cut_note(cut_at)] if cut_at is not None else []
    repeated = repetition_note(text)
    return notes + ([repeated] if repeated else [])
