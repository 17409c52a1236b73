"""Meeting-scheduling metrics, scored from the compiled ground truth.

The finalised slot is read from the agent's `finalize_meeting` action (slot
text normalised, attendee names matched case-insensitively). Weights and the
utility normaliser are the official benchmark's (see `truth.meeting`).
"""

from __future__ import annotations

from dataclasses import dataclass

from museslang.families.meeting.truth import WEIGHTS, parse_slot
from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import Value, metric
from museslang.metrics.stability import DECISIONS
from museslang.runtime.engine import resolve_users

FAMILY = "meeting"


@dataclass(frozen=True)
class Finalised:
    slot: str | None  # None when the slot text could not be read
    invited: list[str]


def finalised(episode: EpisodeGraph, result: EpisodeResult) -> Finalised | None:
    for action in result.actions:
        if action.name == "finalize_meeting" and action.ok:
            slot = parse_slot(str(action.args.get("slot", "")))
            names = action.args.get("attendees") or []
            invited, _ = resolve_users(episode, [str(n) for n in names])  # type: ignore[union-attr]
            return Finalised(slot, invited)
    return None


def _can_make(p: Participant, slot: str | None) -> bool:
    return slot is not None and (slot in p.preferred or slot in p.secondary)


def weight_of(p: Participant, slot: str) -> int:
    required = p.attendance == "required"
    if slot in p.preferred:
        return WEIGHTS[(required, "preferred")]
    if slot in p.secondary:
        return WEIGHTS[(required, "secondary")]
    return 0


def _truth(episode: EpisodeGraph):
    truth = episode.truth.meeting
    if truth is None:
        raise ValueError(f"episode {episode.id} has no meeting ground truth")
    return truth


@metric("success", FAMILY)
def success(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """A readable slot was finalised and every required attendee can make it and is invited.

    For a meeting the compiler proved infeasible, success is declining to finalise.
    """
    truth = _truth(episode)
    fin = finalised(episode, result)
    if not truth.feasible_slots:
        return {"success": 1.0 if fin is None else 0.0}
    if fin is None or fin.slot is None:
        return {"success": 0.0}
    required = [p for p in episode.participants if p.attendance == "required"]
    ok = all(p.id in fin.invited and _can_make(p, fin.slot) for p in required)
    return {"success": 1.0 if ok else 0.0}


@metric(
    "attendance", FAMILY, "attendance", "attendance_required", "attendance_optional",
    "total_attendees",
)  # fmt: skip
def attendance(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """The paper's attendance rate (E + 0.5 O) / (nE + 0.5 nO) over required (E) and
    optional (O) attendees invited to a finalised slot they can make; the plain shares of
    required and optional attendees; and how many attend."""
    fin = finalised(episode, result)
    people = episode.participants
    required = [p for p in people if p.attendance == "required"]
    optional = [p for p in people if p.attendance == "optional"]

    def attends(p: Participant) -> bool:
        return fin is not None and p.id in fin.invited and _can_make(p, fin.slot)

    def share(group: list[Participant]) -> Value:
        return sum(map(attends, group)) / len(group) if group else None

    weight = len(required) + 0.5 * len(optional)
    came = sum(map(attends, required)) + 0.5 * sum(map(attends, optional))
    return {
        "attendance": came / weight if weight else None,
        "attendance_required": share(required),
        "attendance_optional": share(optional),
        "total_attendees": float(sum(map(attends, people))),
    }


@metric("utility", FAMILY, "utility", "raw_utility_score", "max_potential_score")
def utility(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Slot weights over the invited attendees, divided by the best score over all slots."""
    truth = _truth(episode)
    fin = finalised(episode, result)
    best = float(truth.max_score)
    if fin is None or fin.slot is None or truth.max_score == 0:
        got = 0.0 if truth.max_score else None
        return {"utility": got, "raw_utility_score": 0.0, "max_potential_score": best}
    slot = fin.slot
    raw = float(sum(weight_of(p, slot) for p in episode.participants if p.id in fin.invited))
    return {"utility": raw / best, "raw_utility_score": raw, "max_potential_score": best}


@metric("optimality", FAMILY)
def optimality(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """The meeting succeeded at one of the best feasible slots."""
    truth = _truth(episode)
    if not truth.best_slots:
        return {"optimality": None}
    fin = finalised(episode, result)
    ok = success(episode, result)["success"] == 1.0 and fin is not None
    return {"optimality": 1.0 if ok and fin.slot in truth.best_slots else 0.0}


@metric("turns", FAMILY)
def turns(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    return {"turns": float(result.turns)}


@metric("turn_ratio", FAMILY)
def turn_ratio(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """Turns taken over the compiled lower bound; only for meetings that were finalised."""
    truth = _truth(episode)
    if truth.lower_bound_turns == 0 or finalised(episode, result) is None:
        return {"turn_ratio": None}
    return {"turn_ratio": result.turns / truth.lower_bound_turns}


# what priority stability compares between an episode and its variants
@DECISIONS.register(FAMILY)
def _decision(episode: EpisodeGraph, result: EpisodeResult, original) -> object:
    done = finalised(episode, result)
    if done is None:
        return None
    return {"slot": done.slot, "attendees": sorted(original(a) for a in done.invited)}
