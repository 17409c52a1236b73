"""Instruction-following metrics: which constraints the answer satisfies.

The answer is the text of the last accepted `answer` action. With `answer: shared` every
binding constraint is checked against that one text; with `answer: per_user` the text is
a JSON object keyed by user id and each user's constraints are checked against that
user's part only (as MUSES Bench's official runner scores). Without an answer, or without
a user's part, none of those constraints hold (an empty answer would otherwise satisfy
"no commas").

`accuracy` is the paper's: the share of scored (binding) constraints met. The share of
users whose binding constraints all hold is `user_accuracy`. An overridden constraint
(it lost a conflict to a higher authority) is not scored; `conflict_resolution` scores
the constraint that beat it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from museslang.instructions.verifiers import verify
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import Value, metric, per_result
from museslang.metrics.stability import DECISIONS

FAMILY = "instruction_following"
_FENCE = re.compile(r"```[A-Za-z]*\s*(.*?)```", re.S)


@dataclass(frozen=True)
class _Checked:
    passed: dict[tuple[str, int], bool]  # (user, index) -> the constraint holds
    binding: list[tuple[str, int]]
    overridden: list[tuple[str, int]]  # winner of each conflict, by (user, index)


def answer_text(result: EpisodeResult) -> str | None:
    last = next((a for a in reversed(result.actions) if a.name == "answer" and a.ok), None)
    text = last.args.get("text") if last is not None else None
    return text if isinstance(text, str) else None


def _as_part(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def per_user_parts(episode: EpisodeGraph, text: str | None) -> dict[str, str]:
    """Each user's part of a per-user answer, read leniently: the first JSON object in the
    text (fenced or not) whose keys name users, keys matched without regard to case;
    a value that is not text is scored as its JSON."""
    if not text:
        return {}
    candidates = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch == "{":
            candidates.append(text[i:])
    names = {p.id.lower(): p.id for p in episode.participants}
    for candidate in candidates:
        try:
            value, _ = decoder.raw_decode(candidate)
        except ValueError:
            continue
        if isinstance(value, dict) and any(str(k).lower() in names for k in value):
            return {
                names[str(k).lower()]: _as_part(v) for k, v in value.items()
                if str(k).lower() in names
            }  # fmt: skip
    return {}


@per_result
def check_answer(episode: EpisodeGraph, result: EpisodeResult) -> _Checked:
    """Every constraint run against its text once, shared by the metrics."""
    text = answer_text(result)
    if episode.protocol.answer == "per_user":
        parts = per_user_parts(episode, text)
        texts: dict[str, str | None] = {p.id: parts.get(p.id) for p in episode.participants}
    else:
        texts = {p.id: text for p in episode.participants}
    passed = {
        (p.id, i): texts[p.id] is not None and verify(c.id, texts[p.id] or "", c.kwargs)
        for p in episode.participants
        for i, c in enumerate(p.constraints)
    }
    truth = episode.truth.constraints or []
    binding = [(c.user, c.index) for c in truth if c.binding]
    winners = []
    for c in truth:
        if c.overridden_by:
            user, _, index = c.overridden_by.rpartition("#")
            winners.append((user, int(index)))
    return _Checked(passed, binding, winners)


def _users(checked: _Checked) -> dict[str, bool]:
    """Per user with binding constraints: do all of them hold."""
    per: dict[str, bool] = {}
    for user, index in checked.binding:
        per[user] = per.get(user, True) and checked.passed[(user, index)]
    return per


@metric("accuracy", FAMILY, "accuracy", "num_instructions", "num_followed")
def accuracy(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Share of binding constraints that hold (the paper's accuracy), and the counts."""
    checked = check_answer(episode, result)
    held = [checked.passed[k] for k in checked.binding]
    return {
        "accuracy": sum(held) / len(held) if held else None,
        "num_instructions": float(len(held)),
        "num_followed": float(sum(held)),
    }


@metric("user_accuracy", FAMILY)
def user_accuracy(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Share of users (with binding constraints) whose binding constraints all hold."""
    per_user = _users(check_answer(episode, result))
    return {"user_accuracy": sum(per_user.values()) / len(per_user) if per_user else None}


@metric("weighted_accuracy", FAMILY)
def weighted_accuracy(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Binding constraints that hold, each weighted by its user's authority (a user
    without a rank weighs 1)."""
    checked = check_answer(episode, result)
    weight = {
        p.id: float(p.authority if p.authority is not None else 1) for p in episode.participants
    }
    total = sum(weight[u] for u, _ in checked.binding)
    if not total:
        return {"weighted_accuracy": None}
    held = sum(weight[u] for u, i in checked.binding if checked.passed[(u, i)])
    return {"weighted_accuracy": held / total}


@metric("all_passed", FAMILY)
def all_passed(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    checked = check_answer(episode, result)
    if not checked.binding:
        return {"all_passed": None}
    return {"all_passed": float(all(checked.passed[k] for k in checked.binding))}


@metric("conflict_resolution", FAMILY)
def conflict_resolution(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Share of conflicts where the higher authority's constraint holds (None: no conflict)."""
    checked = check_answer(episode, result)
    if not checked.overridden:
        return {"conflict_resolution": None}
    won = [checked.passed[k] for k in checked.overridden]
    return {"conflict_resolution": sum(won) / len(won)}


# what priority stability compares between an episode and its variants
@DECISIONS.register(FAMILY)
def _decision(episode: EpisodeGraph, result: EpisodeResult, original) -> object:
    passed = check_answer(episode, result).passed
    return sorted([original(user), i] for (user, i), ok in passed.items() if ok)
