"""Why a meeting episode failed, and its ground truth beside the transcript: the best
slot, who must come, what each attendee can make (museslang.report.explain)."""

from __future__ import annotations

from museslang.families.meeting import metrics
from museslang.families.meeting.users import slot_list
from museslang.ir.explanation import Explanation, Failure, rank
from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import AGENT, EpisodeResult
from museslang.report.explain import number

SHOWN = 8  # slots listed before "and N more"


def _slots(slots: list[str]) -> str:
    if not slots:
        return "none"
    more = f" and {len(slots) - SHOWN} more" if len(slots) > SHOWN else ""
    return ", ".join(slots[:SHOWN]) + more


def _person(p: Participant) -> list[str]:
    said = [*rank(p), p.attendance, f"prefers {_slots(p.preferred)}"]
    if p.secondary:
        said.append(
            f"backups {_slots(p.secondary)}" + (" (hidden until asked)" if p.stubborn else "")
        )
    if p.opening == "passive":
        said.append("passive: speaks only when written to")
    if p.disclosure == "partial":
        said.append("states only some preferred slots up front")
    return said


def _silence(p: Participant, result: EpisodeResult) -> str:
    """'; Ana never spoke and was never written to' when that is why."""
    if any(m.sender == p.id for m in result.transcript):
        return ""
    asked = any(m.sender == AGENT and p.id in m.to for m in result.transcript)
    return f"; {p.id} never spoke" + ("" if asked else " and was never written to")


def explain(episode: EpisodeGraph, result: EpisodeResult) -> Explanation:
    truth = metrics._truth(episode)
    best = slot_list(truth.best_slots[:3]) or "none"
    lines = [
        (
            "best slot",
            f"{best} (score {truth.best_score} of {truth.max_score})"
            if truth.best_slots
            else "none: no slot suits every required attendee",
        ),
        (
            "feasible slots",
            f"{len(truth.feasible_slots)} of {len(truth.calendar)}: {_slots(truth.feasible_slots)}",
        ),
        ("required", ", ".join(truth.required) or "none"),
        ("optional", ", ".join(truth.optional) or "none"),
        ("difficulty", truth.difficulty),
        ("fewest turns", str(truth.lower_bound_turns)),
    ]
    got = Explanation(truth=lines, people={p.id: _person(p) for p in episode.participants})
    done = metrics.finalised(episode, result)
    values = result.metrics
    if not truth.feasible_slots:
        if done is not None:
            got.reason = (
                f"no slot suits every required attendee, yet {done.slot or 'a slot'} was finalised"
            )
    elif done is None:
        how = (
            f"no meeting was finalised in {result.turns} turns (the limit)"
            if result.ending == "limit"
            else "the agent ended without finalising a meeting"
        )
        got.reason = f"{how}; the best slot was {best}"
    elif done.slot is None:
        raw = next(
            (a.args.get("slot") for a in result.actions if a.name == "finalize_meeting" and a.ok),
            "",
        )
        got.reason = f"the finalised slot {raw!r} could not be read"
    else:
        missing = [
            p
            for p in episode.participants
            if p.attendance == "required"
            and (p.id not in done.invited or not metrics._can_make(p, done.slot))
        ]
        for p in missing:
            if p.id not in done.invited:
                why = f"required attendee {p.id} was not invited to {done.slot}"
            else:
                why = (
                    f"required attendee {p.id} cannot make {done.slot} (prefers "
                    f"{_slots(p.preferred)}; backups {_slots(p.secondary)})"
                )
            got.failures.append(Failure("success", why + _silence(p, result)))
        if missing:
            n = len(missing) - 1
            more = f" (and {n} more required attendee{'s' if n > 1 else ''})" if n else ""
            got.reason = got.failures[0].detail + more
    if got.reason and not got.failures:
        got.failures.append(Failure("success", got.reason))
    if done is not None and done.slot is not None:
        score = sum(
            metrics.weight_of(p, done.slot) for p in episode.participants if p.id in done.invited
        )
        if values.get("optimality") == 0.0 and values.get("success") == 1.0:
            got.failures.append(
                Failure(
                    "optimality",
                    f"{done.slot} scores {score}; the best, {best}, scores {truth.best_score}",
                )
            )
        if isinstance(u := values.get("utility"), float) and u < 1.0:
            got.failures.append(
                Failure(
                    "utility",
                    f"{number(u)}: {done.slot} with "
                    f"{slot_list(done.invited) or 'nobody'} scores {score} "
                    f"of {truth.max_score}",
                )
            )
    if isinstance(a := values.get("attendance"), float) and a < 1.0:
        got.failures.append(
            Failure(
                "attendance",
                f"{number(a)} (required "
                f"{number(values.get('attendance_required'))}, optional "
                f"{number(values.get('attendance_optional'))})",
            )
        )
    return got
