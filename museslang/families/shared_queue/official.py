"""The official shared-queue score of one reply.

The runner reads the reply's JSON (`parse.queue_json`), maps each reference number to
the full order id (`USER_task_NNNN`; a number two orders share maps to the last of them,
accepted first), and scores the *accepted* set: MAIS is its recall, accuracy counts an
unlisted order as rejected (an order in both lists counts as accepted), and precision,
recall and F1 are those of the accepted set, with any accepted id that is no order a
false positive. A reply the runner cannot process (JSON that is not an object, a list of
lists) is an error record: MAIS 0 and no other value, left out of the paper's F1 column.
"""

from __future__ import annotations

from dataclasses import dataclass

from museslang.ir.models import EpisodeGraph
from museslang.official.parse import OfficialError, hashable, queue_json


@dataclass(frozen=True)
class QueueScore:
    values: dict[str, float | None]
    error: str | None = None


def ref_map(episode: EpisodeGraph) -> dict[str, str]:
    """Reference number -> order id, built over the ground truth (accepted, then rejected)
    as the runner builds it, so that a shared number names the last order listing it."""
    truth = episode.truth.queue
    refs = {o.id: o.ref for o in episode.orders}
    ranked = [*truth.accepted, *(r.id for r in truth.rejected)] if truth else []
    out: dict[str, str] = {}
    for oid in ranked:
        ref = refs.get(oid) or (oid.split("_task_")[-1] if "_task_" in oid else None)
        if ref is not None:
            out[ref] = oid
    return out


def _listed(value: object) -> list:
    """`for x in value` as the runner does it: a string gives its characters, a dict its
    keys; None or a number cannot be iterated."""
    try:
        return list(value)  # type: ignore[call-overload]
    except TypeError:
        raise OfficialError(f"cannot iterate {type(value).__name__}") from None


def score(episode: EpisodeGraph, raw: str | None) -> QueueScore:
    try:
        return QueueScore(_score(episode, raw))
    except OfficialError as exc:
        return QueueScore({"mais": 0.0}, str(exc))


def _score(episode: EpisodeGraph, raw: str | None) -> dict[str, float | None]:
    output = queue_json(raw)
    if not isinstance(output, dict):
        raise OfficialError(f"the reply's JSON is a {type(output).__name__}")
    refs = ref_map(episode)
    accepted = {refs.get(hashable(r), r) for r in _listed(output.get("accepted_instructions", []))}
    for r in _listed(output.get("rejected_instructions", [])):
        hashable(r.get("id", "") if isinstance(r, dict) else r)  # the runner maps these too
    truth = episode.truth.queue
    gt_accepted = set(truth.accepted) if truth else set()
    gt_rejected = {r.id for r in truth.rejected} if truth else set()
    correct = accepted & gt_accepted
    # with nothing to accept, accepting nothing is full marks, anything else none
    mais = len(correct) / len(gt_accepted) if gt_accepted else float(not accepted)
    universe = gt_accepted | gt_rejected
    right = sum((oid in gt_accepted) == (oid in accepted) for oid in universe)
    accuracy = right / len(universe) if universe else 0.0
    tp = len(correct) if gt_accepted else 0
    fp = len(accepted - gt_accepted)
    fn = len(gt_accepted - accepted)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"mais": mais, "accuracy": accuracy, "precision": precision, "recall": recall,
            "f1": f1}  # fmt: skip
