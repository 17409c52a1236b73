"""What a simulated user of a family written in museslang is checked against (the
simulated-user audit, museslang.runtime.user_audit): another user's private fact that
never reached them, and a figure in the range of their own numeric facts that is none of
their facts (an amount they do not have)."""

from __future__ import annotations

import re

from museslang.expr import nodes as E
from museslang.expr.evaluate import mentions, show
from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import Message
from museslang.semantics.written.bounds import Bounds

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d]|\.\d)")


def checks(
    episode: EpisodeGraph, user: Participant, text: str, heard: list[Message]
) -> list[tuple[str, str]]:
    from museslang.authored.install import INSTALLED

    fam = INSTALLED.get(episode.family)
    if fam is None:
        return []
    told = "\n".join(m.text for m in heard)
    truth = episode.truth.authored
    known = [*user.facts.values(), *(truth.facts.values() if truth else [])]
    known += [v for o in (truth.options if truth else []) for v in o.facts.values()]

    def knows(value: object) -> bool:
        return any(_same(value, k) for k in known) or mentions(told, value)

    found = []
    private = [f for f in fam.facts if f.of == "user" and f.private]
    for other in episode.participants:
        if other.id == user.id:
            continue
        for f in private:
            value = other.facts.get(f.name)
            if value is None or isinstance(value, bool | list) or knows(value):
                continue
            if isinstance(value, int | float) and abs(value) < 10:
                continue  # small numbers say too little to be anyone's figure
            if mentions(text, value):
                found.append(
                    (
                        "private_fact",
                        f"states {other.id}'s {f.name} ({show(value)}), which never reached them",
                    )
                )
                break
    ranges = [
        (f.name, r)
        for f in fam.facts
        if f.of == "user"
        and f.type == "number"
        and f.draw
        and (r := Bounds(fam, {"u": "user"}).of(E.parse(f.draw))) is not None
    ]
    for raw in _NUMBER.findall(text):
        number = float(raw)
        if number < 10 or knows(number):
            continue
        fits = [name for name, (low, high) in ranges if low <= number <= high]
        if fits:
            mine = ", ".join(f"{n} {show(user.facts[n])}" for n in fits if n in user.facts)
            found.append(
                (
                    "invented_fact",
                    f"states {raw}, in the range of their {fits[0]} but "
                    f"none of their figures ({mine})",
                )
            )
            break
    return found


def _same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(b, bool):
        return float(a) == float(b)
    return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()
