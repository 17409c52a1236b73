"""Meeting-scheduling records: required and optional attendees with preferred and
secondary slots on the 70-slot week, stubborn or flexible, proactive or not."""

from __future__ import annotations

from typing import Any

from museslang.families.meeting import truth as meeting
from museslang.interop.muses_bench.common import (
    BLOCK,
    FAMILIES,
    Family,
    Imported,
    export_users,
    finish_record,
    finish_scenario,
    finish_user,
    persona_entry,
    scenario_decl,
    user_decl,
)
from museslang.interop.muses_bench.records import Fields, RecordError
from museslang.ir.models import EpisodeGraph, Participant
from museslang.semantics.model import DIFFICULTIES, DISCLOSURES
from museslang.syntax.writer import Decl, Ref, Time

SLOTS = meeting.calendar_slots()
# The official runner opens every meeting with one scripted facilitator message to
# everyone and only then hands the turn to the model; imported records do the same (in
# museslang's words: the model never sees this turn as its own).
GREETING = (
    "Hello everyone, I'm the facilitator for this meeting. Please tell me when you are "
    "available this week."
)
_BY_TEXT = {str(s): s for s in SLOTS}


def _slots(u: Fields, key: str, seen: set[str]) -> list[str]:
    """The slots on the work week, without any listed before (museslang lists each slot
    once; the official generator sometimes repeats a preferred slot as a secondary one)."""
    slots = u.texts(key)
    for i, slot in enumerate(slots):
        if slot not in _BY_TEXT:
            raise RecordError(f"{u.where(key)}[{i}]", f"'{slot}' is not a slot of the work week")
    fresh = [s for s in dict.fromkeys(slots) if s not in seen]
    seen.update(fresh)
    return fresh


def scenario(rec: Fields, taken: set[str]) -> Imported:
    sc = scenario_decl(rec, "meeting", taken)
    sc.set("template", Ref("xml"))  # the official prompt shows <Name>message</Name>
    out = Imported(sc, {"identity", "behaviours"})
    extra: dict[str, Any] = {}
    difficulty = rec.need("difficulty", str)
    disclosure = rec.need("disclosure_mode", str)
    system = rec.need("system_prompt", str)
    if rec.get("prompt", str, system) != system:
        extra["prompt"] = rec.data["prompt"]
    params = rec.object("params")
    proactive = set(params.texts("proactive_users"))

    users = rec.objects("users")
    if not users:
        raise RecordError(rec.where("users"), "lists no users")
    names: set[str] = set()
    attendees = []
    for u in users:
        decl, uextra = user_decl(u, names, BLOCK)
        uid = decl.name or "?"
        required = u.need("is_essential", bool)
        stubborn = u.get("is_stubborn", bool, False)
        seen: set[str] = set()
        preferred = _slots(u, "preferred_slots", seen)
        secondary = _slots(u, "secondary_slots", seen)
        for key, kept in (("preferred_slots", preferred), ("secondary_slots", secondary)):
            if u.data[key] != kept:
                uextra[key] = u.data[key]  # the repeats come back on export
        decl.set("attendance", Ref("required" if required else "optional"))
        opening = "proactive" if uid in proactive else "passive"
        decl.set("behaviour", [Ref(opening), Ref("stubborn" if stubborn else "flexible")])
        decl.set("prefers", [Time(s) for s in preferred])
        decl.set("secondary", [Time(s) for s in secondary])
        sc.add(finish_user(decl, u, uextra))
        attendees.append(
            meeting.Attendee(
                uid,
                required,
                frozenset(_BY_TEXT[s] for s in preferred),
                frozenset(_BY_TEXT[s] for s in secondary),
            )
        )
    truth = meeting.meeting_truth(SLOTS, attendees)
    if not truth.feasible:
        sc.set("expect", Ref("infeasible"))
    derived = {
        "all_users": [a.id for a in attendees],
        "essential_users": [a.id for a in attendees if a.required],
        "optimal_solution": str(truth.best[0]) if truth.best else "",
        "proactive_users": [a.id for a in attendees if a.id in proactive],
    }
    given = dict(params.data)
    if set(given.get("proactive_users", [])) == set(derived["proactive_users"]):
        given["proactive_users"] = derived["proactive_users"]  # a set, listed in draw order
    if given != derived:
        # the official generator picks its own optimal slot; keep it as given
        extra["params"] = params.data
    rec.mark("params")

    sweep = Decl("sweep").set("users", len(users))
    if difficulty in DIFFICULTIES:
        sweep.set("difficulty", [Ref(difficulty)])
    else:
        extra["difficulty"] = difficulty
    if disclosure in DISCLOSURES:
        sweep.set("disclosure", [Ref(disclosure)])
    else:
        extra["disclosure_mode"] = disclosure
    sc.add(sweep)
    finish_scenario(sc, rec, extra, system, greeting=GREETING)
    return out


def record(ep: EpisodeGraph) -> dict[str, Any]:
    truth = ep.truth.meeting
    required = [p.id for p in ep.participants if p.attendance == "required"]

    def user(p: Participant) -> dict[str, Any]:
        return {
            "id": p.id,
            "role": p.role or "",
            "is_essential": p.attendance == "required",
            "preferred_slots": list(p.preferred),
            "secondary_slots": list(p.secondary),
            "xml_persona_entry": persona_entry(p, BLOCK),
            "goal": p.goal or "",
            "is_stubborn": p.stubborn,
        }

    disclosure = ep.participants[0].disclosure if ep.participants else "full"
    return finish_record(
        ep,
        {
            "id": ep.id,
            "scenario": ep.title or ep.scenario,
            "difficulty": str(ep.cell.get("difficulty") or (truth.difficulty if truth else "")),
            "disclosure_mode": str(ep.cell.get("disclosure") or disclosure),
            "users": export_users(ep, user),
            "system_prompt": ep.agent_prompt,
            "prompt": ep.agent_prompt,
            "params": {
                "all_users": [p.id for p in ep.participants],
                "essential_users": required,
                "optimal_solution": truth.best_slots[0] if truth and truth.best_slots else "",
                "proactive_users": [p.id for p in ep.participants if p.opening == "proactive"],
            },
        },
    )


def losses(ep: EpisodeGraph) -> list[str]:
    """A record has one disclosure mode for everyone."""
    modes = {p.disclosure for p in ep.participants}
    if len(modes) < 2:
        return []
    first = ep.participants[0].disclosure
    return [
        f"{p.id}'s disclosure '{p.disclosure}' (a record has one disclosure_mode, '{first}')"
        for p in ep.participants
        if p.disclosure != first
    ]


FAMILIES.register("meeting")(
    Family(
        "meeting",
        frozenset({"difficulty", "disclosure_mode", "params"}),
        scenario,
        record,
        losses,
        label="meeting scheduling",
    )
)
