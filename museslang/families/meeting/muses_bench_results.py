"""The official runner's per-record results and eva.json for this family, written from
museslang results (`museslang export muses-bench RUN`), scored the compat way."""

from __future__ import annotations

from typing import Any

from museslang.families.meeting import compat
from museslang.families.meeting.official import _decide
from museslang.interop.muses_bench.results import RESULTS, ResultWriter, mean
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.official.parse import OfficialError
from museslang.official.replies import texts


def _record(ep: EpisodeGraph, r: EpisodeResult) -> dict[str, Any]:
    score = compat.scored(ep, r)
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
    try:
        return _decide(replies)[0]
    except OfficialError:
        return False


def _eva(records: list[dict], base: dict, data_file: str, max_turns: int) -> dict:
    n = len(records)
    wins = sum(r["metrics"].get("success_rate") == 1.0 for r in records)
    keys = sorted({k for r in records for k, v in r["metrics"].items()
                   if isinstance(v, int | float) and not isinstance(v, bool)})  # fmt: skip
    summary = {f"avg_{k}": mean([r["metrics"][k] for r in records if k in r["metrics"]])
               for k in keys}  # fmt: skip
    return {**base, "success_count": wins, "success_rate": wins / n if n else 0,
            "metrics_summary": summary, "max_turns": max_turns}  # fmt: skip


RESULTS.register(compat.FAMILY)(ResultWriter("meeting_scheduling", _record, _eva))
