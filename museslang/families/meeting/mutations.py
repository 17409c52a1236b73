"""The damage a meeting's actions allow to the oracle's play (the mutation audit,
museslang.runtime.mutations): the booking dropped, a slot a required attendee cannot make,
a required attendee left out, and another equally best slot (equivalent: success must
stay 1). A feasible but worse slot is not lent: success, by the official definition,
asks only for a slot every required attendee can make; utility and optimality score
the choice."""

from __future__ import annotations

from museslang.families.meeting.metrics import finalised
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import ActionRecord, EpisodeResult
from museslang.runtime.mutations import Mutation, accepted, call_text, drop_each, with_args


def mutations(episode: EpisodeGraph, result: EpisodeResult) -> list[Mutation]:
    truth = episode.truth.meeting
    booked = accepted(result, "finalize_meeting")
    out = drop_each(episode, result)
    if truth is None:
        return out
    if not booked:  # an infeasible meeting: booking one anyway must fail
        if truth.calendar:
            slot = truth.calendar[0]
            invited = [p.id for p in episode.participants]
            damaged = result.model_copy(deep=True)
            damaged.actions.append(
                ActionRecord(
                    turn=max(result.turns, 1),
                    name="finalize_meeting",
                    args={"slot": slot, "attendees": invited},
                )
            )
            out.append(
                Mutation("slot", f"finalize_meeting({slot}) books a meeting no slot fits", damaged)
            )
        return out
    i = booked[0]
    record = result.actions[i]
    done = finalised(episode, result)
    slot = done.slot if done is not None else None
    people = {p.id: p for p in episode.participants}
    # a slot some required attendee cannot make: the first of the calendar
    for other in truth.calendar:
        missing = [u for u in truth.required if not _accepts(people[u], other)]
        if missing:
            out.append(
                Mutation(
                    "slot",
                    f"{call_text(record.name, record.args)} books {other}, "
                    f"which {missing[0]} cannot make",
                    with_args(result, i, slot=other),
                )
            )
            break
    invited = list(record.args.get("attendees") or [])  # type: ignore[arg-type]
    for user in truth.required:
        if user in invited:
            left = [u for u in invited if u != user]
            out.append(
                Mutation(
                    "invitee",
                    f"required attendee {user} is left out of "
                    f"{call_text(record.name, record.args)}",
                    with_args(result, i, attendees=left),
                )
            )
    for best in truth.best_slots:
        if best != slot:
            out.append(
                Mutation(
                    "slot",
                    f"{call_text(record.name, record.args)} books {best}, another best slot",
                    with_args(result, i, slot=best),
                    equivalent=True,
                    why=f"{best} scores as well as {slot}",
                )
            )
            break
    return out


def _accepts(p, slot: str) -> bool:
    return slot in p.preferred or slot in p.secondary
