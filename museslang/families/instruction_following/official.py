"""The official instruction-following score of one reply.

The runner reads the reply as one JSON object keyed by user id (`parse.instruction_json`;
unreadable JSON is an empty object, so every part is empty), takes each user's part (a
value that is not text is scored as its JSON), and checks each of that user's
constraints against their part alone, with IFEval's verifiers. Aligned records score
every user's constraints; conflict records only the highest-authority users'.
accuracy = constraints met / constraints scored; weighted_accuracy weighs each by its
user's authority; all_passed = every scored constraint met (and at least one scored).

A reply whose JSON is not an object is an error record, which the paper's aggregation
leaves out. For a museslang scenario with one shared answer, every user's part is that
answer. Where IFEval's own instruction would raise (a language code outside its 30, a
relation it does not know), the constraint fails, as the runner counts it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from museslang.instructions.languages import IFEVAL_CODES
from museslang.instructions.verifiers import RELATIONS, verify
from museslang.ir.models import EpisodeGraph, Instruction
from museslang.official.parse import OfficialError, hashable, instruction_json


@dataclass(frozen=True)
class InstructionScore:
    values: dict[str, float | None]
    error: str | None = None


def _ifeval_raises(c: Instruction) -> bool:
    """IFEval's `build_description` refuses these arguments (KeyError, ValueError)."""
    k = c.kwargs
    if c.id == "language:response_language":
        return k.get("language") not in IFEVAL_CODES
    for key in ("relation", "let_relation", "capital_relation"):
        if key in k and k[key] not in RELATIONS:
            return True
    return False


def _check(c: Instruction, text: str) -> bool:
    if _ifeval_raises(c):
        return False
    try:
        return verify(c.id, text, c.kwargs)
    except Exception:
        return False


def parts(episode: EpisodeGraph, raw: str | None) -> dict[str, str]:
    """Each user's text as the runner checks it."""
    ids = [p.id for p in episode.participants]
    if episode.protocol.answer != "per_user":
        return dict.fromkeys(ids, raw or "")
    answer = instruction_json(raw)
    if not isinstance(answer, dict):
        raise OfficialError(f"the reply's JSON is a {type(answer).__name__}")
    out = {}
    for uid in ids:
        value = answer.get(hashable(uid), "")
        out[uid] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return out


def score(episode: EpisodeGraph, raw: str | None) -> InstructionScore:
    try:
        texts = parts(episode, raw)
    except OfficialError as exc:
        return InstructionScore({"accuracy": 0.0}, str(exc))
    scored = {(c.user, c.index) for c in episode.truth.constraints or [] if c.binding}
    total = valid = 0
    weighted_total = weighted_valid = 0.0
    for p in episode.participants:
        weight = float(p.authority if p.authority is not None else 1.0)
        for i, c in enumerate(p.constraints):
            if (p.id, i) not in scored:
                continue
            total += 1
            weighted_total += weight
            if _check(c, texts[p.id]):
                valid += 1
                weighted_valid += weight
    return InstructionScore(
        {
            "accuracy": valid / total if total else 0.0,
            "weighted_accuracy": weighted_valid / weighted_total if weighted_total else 0.0,
            "num_instructions": float(total),
            "num_followed": float(valid),
            "all_passed": float(valid == total and total > 0),
        }
    )
