"""`--metrics compat`: the official MUSES Bench scores, record by record.

Under compat every agent turn is re-read as the official runner reads replies
(`museslang.official.replies`: a text-mode reply as written, tool calls written back as
the official JSON objects) and scored by the official rules (`museslang.official.*`):
its parsing, its mappings, its keyword heuristics and its error records included. The
values are the ones the official evaluators write for the same replies; `counted` says
whether the paper's aggregation (the LaTeX table script) takes the record: it leaves out
error records of access control, instruction following and the queue's F1, and access
control records in which no turn delivered anything. docs/metrics.md lists every
difference from museslang's own definitions.

A museslang episode that errored (an endpoint that kept failing) becomes what the
official runner makes of a failed call: the meeting runner records an error (success 0,
counted), the queue and instruction-following runners an error record (not counted),
and the access-control runner stops the conversation and scores what happened before.

Metrics without a compat definition (optimality, capacity violations, the rejection
view of the queue, ...) are scored the default way under both schemes.
"""

from __future__ import annotations

from collections.abc import Callable

from museslang.ir.models import EpisodeGraph
from museslang.metrics import access, instructions, meeting, queue
from museslang.metrics.registry import Value, metric, per_result
from museslang.official import access as official_access
from museslang.official import instructions as official_instructions
from museslang.official import meeting as official_meeting
from museslang.official import queue as official_queue
from museslang.official.replies import texts
from museslang.registry import Registry
from museslang.runtime.transcript import EpisodeResult

SCHEME = "compat"

# family -> whether the paper's aggregation counts this result (1.0) or leaves it out (0.0)
COUNTED: Registry[Callable[[EpisodeGraph, EpisodeResult], float]] = Registry("compat count")


@metric("counted", None, scheme=SCHEME)
def counted(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """1 when the official aggregation takes this record into the paper's table."""
    if episode.family in COUNTED:
        return {"counted": COUNTED.get(episode.family)(episode, result)}
    return {"counted": 0.0 if result.status != "ok" else 1.0}


def _first(episode: EpisodeGraph, result: EpisodeResult) -> str | None:
    replies = texts(episode, result)
    return replies[0] if replies else None


def _pick(values: dict[str, Value], *names: str) -> dict[str, Value]:
    return {n: values.get(n) for n in names}


# -- shared queue -------------------------------------------------------------------------


@per_result
def _queue(episode: EpisodeGraph, result: EpisodeResult) -> official_queue.QueueScore:
    if result.status != "ok":
        return official_queue.QueueScore({"mais": 0.0}, result.error or "errored")
    return official_queue.score(episode, _first(episode, result))


@COUNTED.register(queue.FAMILY)
def _queue_counted(episode: EpisodeGraph, result: EpisodeResult) -> float:
    return 0.0 if _queue(episode, result).error else 1.0


def _queue_metric(name: str) -> None:
    @metric(name, queue.FAMILY, scheme=SCHEME)
    def one(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
        return _pick(_queue(episode, result).values, name)


for _name in ("mais", "accuracy", "precision", "recall", "f1"):
    _queue_metric(_name)


# -- instruction following ---------------------------------------------------------------


@per_result
def _instructions(
    episode: EpisodeGraph, result: EpisodeResult
) -> official_instructions.InstructionScore:
    if result.status != "ok":
        return official_instructions.InstructionScore({"accuracy": 0.0}, result.error)
    return official_instructions.score(episode, _first(episode, result))


@COUNTED.register(instructions.FAMILY)
def _instructions_counted(episode: EpisodeGraph, result: EpisodeResult) -> float:
    return 0.0 if _instructions(episode, result).error else 1.0


@metric("accuracy", instructions.FAMILY, "accuracy", "num_instructions", "num_followed",
        scheme=SCHEME)  # fmt: skip
def if_accuracy(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_instructions(episode, result).values, "accuracy", "num_instructions",
                 "num_followed")  # fmt: skip


@metric("weighted_accuracy", instructions.FAMILY, scheme=SCHEME)
def if_weighted(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_instructions(episode, result).values, "weighted_accuracy")


@metric("all_passed", instructions.FAMILY, scheme=SCHEME)
def if_all_passed(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_instructions(episode, result).values, "all_passed")


# -- meeting scheduling ----------------------------------------------------------------------


@per_result
def _meeting(episode: EpisodeGraph, result: EpisodeResult) -> official_meeting.MeetingScore:
    if result.status != "ok":
        zero = {"success": 0.0, "utility": 0.0, "turns": 0.0}
        return official_meeting.MeetingScore(zero, result.error)
    return official_meeting.score(episode, texts(episode, result), episode.protocol.max_turns)


@COUNTED.register(meeting.FAMILY)
def _meeting_counted(episode: EpisodeGraph, result: EpisodeResult) -> float:
    return 1.0  # the official error record carries success 0 and is aggregated


@metric("success", meeting.FAMILY, scheme=SCHEME)
def meeting_success(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_meeting(episode, result).values, "success")


@metric("attendance", meeting.FAMILY, "attendance", "attendance_required",
        "attendance_optional", "total_attendees", scheme=SCHEME)  # fmt: skip
def meeting_attendance(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_meeting(episode, result).values, "attendance", "attendance_required",
                 "attendance_optional", "total_attendees")  # fmt: skip


@metric("utility", meeting.FAMILY, "utility", "raw_utility_score", "max_potential_score",
        scheme=SCHEME)  # fmt: skip
def meeting_utility(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_meeting(episode, result).values, "utility", "raw_utility_score",
                 "max_potential_score")  # fmt: skip


@metric("turns", meeting.FAMILY, scheme=SCHEME)
def meeting_turns(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_meeting(episode, result).values, "turns")


# -- access control -------------------------------------------------------------------------


@per_result
def _access(episode: EpisodeGraph, result: EpisodeResult) -> official_access.AccessScore:
    # a failed call stops the official conversation and the turns before it are scored:
    # the failed turn has no reply here, so it reads as an empty one, which changes nothing
    return official_access.score(episode, texts(episode, result))


@COUNTED.register(access.FAMILY)
def _access_counted(episode: EpisodeGraph, result: EpisodeResult) -> float:
    score = _access(episode, result)
    return 0.0 if score.error or not score.judged else 1.0


@metric("privacy", access.FAMILY, "privacy", "leak_rate", "leaks", "num_violations",
        "num_unauthorized", scheme=SCHEME)  # fmt: skip
def access_privacy(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_access(episode, result).values, "privacy", "leak_rate", "leaks",
                 "num_violations", "num_unauthorized")  # fmt: skip


@metric("utility", access.FAMILY, "utility", "utility_by_turn", "goal_achieved",
        scheme=SCHEME)  # fmt: skip
def access_utility(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_access(episode, result).values, "utility", "utility_by_turn", "goal_achieved")


@metric("overall", access.FAMILY, scheme=SCHEME)
def access_overall(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_access(episode, result).values, "overall")


@metric("leak_by_turn", access.FAMILY, scheme=SCHEME)
def access_leak_by_turn(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return _pick(_access(episode, result).values, "leak_by_turn")
