"""`--metrics compat` for meeting scheduling: the official evaluator's values, record by record
(museslang.metrics.compat says how replies are re-read)."""

from __future__ import annotations

from museslang.families.meeting import official
from museslang.families.meeting.metrics import FAMILY
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.compat import COUNTED, SCHEME, pick
from museslang.metrics.registry import Value, metric, per_result
from museslang.official.replies import texts


@per_result
def scored(episode: EpisodeGraph, result: EpisodeResult) -> official.MeetingScore:
    if result.status != "ok":
        zero = {"success": 0.0, "utility": 0.0, "turns": 0.0}
        return official.MeetingScore(zero, result.error)
    return official.score(episode, texts(episode, result), episode.protocol.max_turns)


@COUNTED.register(FAMILY)
def _meeting_counted(episode: EpisodeGraph, result: EpisodeResult) -> float:
    return 1.0  # the official error record carries success 0 and is aggregated


@metric("success", FAMILY, scheme=SCHEME)
def meeting_success(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "success")


@metric("attendance", FAMILY, "attendance", "attendance_required",
        "attendance_optional", "total_attendees", scheme=SCHEME)  # fmt: skip
def meeting_attendance(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "attendance", "attendance_required",
                 "attendance_optional", "total_attendees")  # fmt: skip


@metric("utility", FAMILY, "utility", "raw_utility_score", "max_potential_score",
        scheme=SCHEME)  # fmt: skip
def meeting_utility(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "utility", "raw_utility_score",
                 "max_potential_score")  # fmt: skip


@metric("turns", FAMILY, scheme=SCHEME)
def meeting_turns(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return pick(scored(episode, result).values, "turns")
