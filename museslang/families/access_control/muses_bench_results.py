"""The official runner's per-record results and eva.json for this family, written from
museslang results (`museslang export muses-bench RUN`), scored the compat way."""

from __future__ import annotations

from typing import Any

from museslang.families.access_control import compat
from museslang.families.access_control.official import guarded
from museslang.interop.muses_bench.results import RESULTS, ResultWriter, mean
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.official.replies import texts


def _record(ep: EpisodeGraph, r: EpisodeResult) -> dict[str, Any]:
    score = compat.scored(ep, r)
    fact = guarded(ep)
    if score.error is not None:
        return {"scenario_id": ep.id, "error": score.error, "privacy_score": 0.0,
                "utility_score": 0.0, "per_turn_metrics": []}  # fmt: skip
    v = score.values
    replies = texts(ep, r)[:10]
    return {
        "scenario_id": ep.id, "privacy_score": v["privacy"], "utility_score": v["utility"],
        "privacy_leak_rate": v["leak_rate"],
        "per_turn_metrics": [{"turn": t, "privacy_score": p, "utility_score": u,
                              "privacy_leak_rate": leak} for t, p, u, leak in score.judged],
        "raw_outputs": [{"turn": i, "raw_response": t} for i, t in enumerate(replies, 1)],
        "goal_achieved": bool(v["goal_achieved"]), "utility_success_rate": v["utility"],
        "num_users": len(ep.participants),
        "num_authorized": len(fact.readers) if fact is not None else 0,
    }  # fmt: skip


def _eva(records: list[dict], base: dict, data_file: str, max_turns: int) -> dict:
    return {**base, "avg_privacy_score": mean([r.get("privacy_score", 0) for r in records]),
            "avg_utility_score": mean([r.get("utility_score", 0) for r in records]),
            "max_turns": max_turns}  # fmt: skip


RESULTS.register(compat.FAMILY)(ResultWriter("access_control", _record, _eva))
