"""The official runner's per-record results and eva.json for this family, written from
museslang results (`museslang export muses-bench RUN`), scored the compat way."""

from __future__ import annotations

from typing import Any

from museslang.families.instruction_following import compat, official
from museslang.interop.muses_bench.results import RESULTS, ResultWriter, mean
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.official.replies import texts


def _record(ep: EpisodeGraph, r: EpisodeResult) -> dict[str, Any]:
    score = compat.scored(ep, r)
    if score.error is not None:
        return {"scenario_id": ep.id, "error": score.error, "metrics": {"accuracy": 0.0}}
    raw = texts(ep, r)[0] if r.turns else ""
    parts = official.parts(ep, raw)
    scored = {(c.user, c.index) for c in ep.truth.constraints or [] if c.binding}
    results = []
    for p in ep.participants:
        for i, c in enumerate(p.constraints):
            results.append({
                "user_id": p.id, "authority": float(p.authority if p.authority is not None else 1),
                "instruction_id": c.id, "kwargs": c.kwargs,
                "passed": official._check(c, parts[p.id]),
                "error": "", "scored": (p.id, i) in scored,
            })  # fmt: skip
    v = score.values
    metrics = {"accuracy": v["accuracy"], "weighted_accuracy": v["weighted_accuracy"],
               "num_instructions": int(v["num_instructions"] or 0),
               "num_followed": int(v["num_followed"] or 0),
               "all_passed": bool(v["all_passed"])}  # fmt: skip
    return {"scenario_id": ep.id, "model_output": raw, "instruction_results": results,
            "metrics": metrics}  # fmt: skip


def _eva(records: list[dict], base: dict, data_file: str, max_turns: int) -> dict:
    avg = mean([r.get("metrics", {}).get("accuracy", 0) for r in records])
    return {**base, "avg_accuracy": avg, "data_file": data_file}


RESULTS.register(compat.FAMILY)(ResultWriter("multiuser_instruction_following", _record, _eva))
