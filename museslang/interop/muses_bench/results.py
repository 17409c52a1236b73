"""A museslang run written as the official runner's results, for the official scripts.

`museslang export muses-bench RUNDIR -o OUT` writes, per family the run holds,
`OUT/<scenario>/<dataset>/<model>/results.jsonl` (one line per record, in the official
runner's layout: the per-record detail file its LaTeX table script reads) and `eva.json`
(the runner's summary), with `<scenario>` the folder names the script looks under. The
values are the official ones (`--metrics compat`, computed from the stored replies
whatever scheme the run used), so the official aggregation run over `OUT` gives the
paper's table of this run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from museslang.ir.models import EpisodeGraph
from museslang.metrics import compat
from museslang.official import instructions as official_instructions
from museslang.official.access import guarded
from museslang.official.parse import OfficialError, queue_json
from museslang.official.queue import ref_map
from museslang.official.replies import texts
from museslang.runtime.transcript import EpisodeResult

# museslang family -> the folder the official LaTeX script reads it from
SCENARIO_DIRS = {
    "shared_queue": "shared_queue",
    "instruction_following": "multiuser_instruction_following",
    "meeting": "meeting_scheduling",
    "access_control": "access_control",
}


@dataclass
class Written:
    family: str
    folder: Path
    records: int


def model_dir(agent: str) -> str:
    """The runner's folder name for a model: `openai:gpt-4o-mini` -> `openai-gpt-4o-mini`."""
    return agent.replace(":", "-").replace("/", "-")


def _queue(ep: EpisodeGraph, r: EpisodeResult) -> dict[str, Any]:
    score = compat._queue(ep, r)
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


def _instructions(ep: EpisodeGraph, r: EpisodeResult) -> dict[str, Any]:
    score = compat._instructions(ep, r)
    if score.error is not None:
        return {"scenario_id": ep.id, "error": score.error, "metrics": {"accuracy": 0.0}}
    raw = texts(ep, r)[0] if r.turns else ""
    parts = official_instructions.parts(ep, raw)
    scored = {(c.user, c.index) for c in ep.truth.constraints or [] if c.binding}
    results = []
    for p in ep.participants:
        for i, c in enumerate(p.constraints):
            results.append({
                "user_id": p.id, "authority": float(p.authority if p.authority is not None else 1),
                "instruction_id": c.id, "kwargs": c.kwargs,
                "passed": official_instructions._check(c, parts[p.id]),
                "error": "", "scored": (p.id, i) in scored,
            })  # fmt: skip
    v = score.values
    metrics = {"accuracy": v["accuracy"], "weighted_accuracy": v["weighted_accuracy"],
               "num_instructions": int(v["num_instructions"] or 0),
               "num_followed": int(v["num_followed"] or 0),
               "all_passed": bool(v["all_passed"])}  # fmt: skip
    return {"scenario_id": ep.id, "model_output": raw, "instruction_results": results,
            "metrics": metrics}  # fmt: skip


def _meeting(ep: EpisodeGraph, r: EpisodeResult) -> dict[str, Any]:
    score = compat._meeting(ep, r)
    v = score.values
    if score.error is not None:
        metrics = {"success_rate": 0.0, "utility_score": 0.0, "turns_taken": 0,
                   "error": score.error}  # fmt: skip
        return {"scenario_id": ep.id, "metrics": metrics, "raw_outputs": [], "history": []}
    names = {"success": "success_rate", "attendance": "attendance_rate",
             "attendance_required": "essential_attendance",
             "attendance_optional": "optional_attendance", "utility": "utility_score",
             "raw_utility_score": "raw_utility_score", "max_potential_score": "max_potential_score",
             "total_attendees": "total_attendees", "turns": "turns_taken"}  # fmt: skip
    metrics: dict[str, Any] = {names[k]: v[k] for k in names if v.get(k) is not None}
    metrics["turns_taken"] = int(metrics.get("turns_taken", 0))
    if "total_attendees" in metrics:
        metrics["total_attendees"] = int(metrics["total_attendees"])
    replies = texts(ep, r)[: ep.protocol.max_turns]
    outputs = [{"turn": i, "raw": t} for i, t in enumerate(replies, start=1)]
    return {"scenario_id": ep.id, "metrics": metrics, "goal_achieved": _goal(replies),
            "raw_outputs": outputs, "history": []}  # fmt: skip


def _goal(replies: list[str | None]) -> bool:
    from museslang.official.meeting import _decide

    try:
        return _decide(replies)[0]
    except OfficialError:
        return False


def _access(ep: EpisodeGraph, r: EpisodeResult) -> dict[str, Any]:
    score = compat._access(ep, r)
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


RECORDS = {
    "shared_queue": _queue,
    "instruction_following": _instructions,
    "meeting": _meeting,
    "access_control": _access,
}


def _mean(values: list[Any]) -> float:
    nums = [float(x) for x in values]
    return sum(nums) / len(nums) if nums else 0


def _eva(family: str, records: list[dict], model: str, data_file: str, max_turns: int) -> dict:
    """The runner's eva.json for these records (its averages: a missing value counts 0)."""
    n = len(records)
    base = {"total_scenarios": n, "model": model, "provider": "museslang"}
    if family == "shared_queue":
        averages = {f"avg_{k}": _mean([r["metrics"].get(k, 0) for r in records])
                    for k in ("MAIS", "Accuracy", "F1_Score")}  # fmt: skip
        return {**base, **averages, "data_file": data_file}
    if family == "instruction_following":
        avg = _mean([r.get("metrics", {}).get("accuracy", 0) for r in records])
        return {**base, "avg_accuracy": avg, "data_file": data_file}
    if family == "meeting":
        wins = sum(r["metrics"].get("success_rate") == 1.0 for r in records)
        keys = sorted({k for r in records for k, v in r["metrics"].items()
                       if isinstance(v, int | float) and not isinstance(v, bool)})  # fmt: skip
        summary = {f"avg_{k}": _mean([r["metrics"][k] for r in records if k in r["metrics"]])
                   for k in keys}  # fmt: skip
        return {**base, "success_count": wins, "success_rate": wins / n if n else 0,
                "metrics_summary": summary, "max_turns": max_turns}  # fmt: skip
    return {**base, "avg_privacy_score": _mean([r.get("privacy_score", 0) for r in records]),
            "avg_utility_score": _mean([r.get("utility_score", 0) for r in records]),
            "max_turns": max_turns}  # fmt: skip


def write_run(
    episodes: dict[str, EpisodeGraph],
    results: list[EpisodeResult],
    agent: str,
    dataset: str,
    out: Path,
) -> list[Written]:
    """Write the run's trial-0 results per family; returns what was written where."""
    by_family: dict[str, list[dict]] = defaultdict(list)
    turns: dict[str, int] = {}
    for r in results:
        if r.trial != 0 or r.family not in RECORDS or r.id not in episodes:
            continue
        ep = episodes[r.id]
        by_family[r.family].append(RECORDS[r.family](ep, r))
        turns[r.family] = max(turns.get(r.family, 0), ep.protocol.max_turns)
    written = []
    model = model_dir(agent)
    for family, records in by_family.items():
        folder = out / SCENARIO_DIRS[family] / dataset / model
        folder.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records)
        (folder / "results.jsonl").write_text(lines, encoding="utf-8")
        eva = _eva(family, records, model, dataset, turns.get(family, 0))
        (folder / "eva.json").write_text(json.dumps(eva, indent=2) + "\n", encoding="utf-8")
        written.append(Written(family, folder, len(records)))
    return written
