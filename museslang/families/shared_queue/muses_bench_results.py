"""The official runner's per-record results and eva.json for this family, written from
museslang results (`museslang export muses-bench RUN`), scored the compat way."""

from __future__ import annotations

from typing import Any

from museslang.families.shared_queue import compat
from museslang.families.shared_queue.official import ref_map
from museslang.interop.muses_bench.results import RESULTS, ResultWriter, mean
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.official.parse import OfficialError, queue_json
from museslang.official.replies import texts


def _record(ep: EpisodeGraph, r: EpisodeResult) -> dict[str, Any]:
    score = compat.scored(ep, r)
    truth = ep.truth.queue
    ground = {
        "accepted_instructions": list(truth.accepted) if truth else [],
        "rejected_instructions": [{"id": d.id, "reason": d.reason} for d in truth.rejected]
        if truth else [],
    }  # fmt: skip
    raw = texts(ep, r)[0] if r.turns else ""
    if score.error is not None:
        metrics = {"MAIS": 0.0, "gt_accepted_count": 0, "model_accepted_count": 0,
                   "correct_accepted_count": 0, "error": score.error}  # fmt: skip
        return {"scenario_id": ep.id, "metrics": metrics, "model_output": {},
                "ground_truth": {}, "raw_output": ""}  # fmt: skip
    try:
        output = queue_json(raw)
    except OfficialError:
        output = {}
    refs = ref_map(ep)
    accepted = {refs.get(a, a) for a in output.get("accepted_instructions", [])}
    gt = set(ground["accepted_instructions"])
    universe = gt | {d["id"] for d in ground["rejected_instructions"]}
    v = score.values
    metrics = {
        "MAIS": v["mais"], "Accuracy": v["accuracy"], "F1_Score": v["f1"],
        "Precision": v["precision"], "Recall": v["recall"],
        "gt_accepted_count": len(gt), "model_accepted_count": len(accepted),
        "correct_accepted_count": len(accepted & gt), "total_instructions": len(universe),
        "correct_decisions": round((v["accuracy"] or 0.0) * len(universe)),
    }  # fmt: skip
    return {"scenario_id": ep.id, "model_output": output, "ground_truth": ground,
            "metrics": metrics, "raw_output": raw}  # fmt: skip


def _eva(records: list[dict], base: dict, data_file: str, max_turns: int) -> dict:
    averages = {f"avg_{k}": mean([r["metrics"].get(k, 0) for r in records])
                for k in ("MAIS", "Accuracy", "F1_Score")}  # fmt: skip
    return {**base, **averages, "data_file": data_file}


RESULTS.register(compat.FAMILY)(ResultWriter("shared_queue", _record, _eva))
