"""What counts as revealed in this family, for `museslang generate`'s check that the
teacher acted only on what the conversation had told it (museslang.datagen.revealed)."""

from __future__ import annotations

from museslang.datagen.revealed import CHECKS, Unrevealed, heard_before
from museslang.families.meeting.truth import find_slots
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, EpisodeResult, Message

FAMILY = "meeting"


def _mentioned(messages: list[Message]) -> dict[str, set[str]]:
    """Slots each user has written so far, normalised."""
    said: dict[str, set[str]] = {}
    for m in messages:
        said.setdefault(m.sender, set()).update(find_slots(m.text))
    return said


@CHECKS.register(FAMILY)
def _check(episode: EpisodeGraph, result: EpisodeResult) -> list[Unrevealed]:
    """A slot the assistant names must have come from a user; an attendee must have
    said they can make it, or be named required in the prompt."""
    required = {p.id for p in episode.participants if p.attendance == "required"}
    out: list[Unrevealed] = []
    for m in result.transcript:
        if m.sender != AGENT or m.kind != "message":
            continue
        said = _mentioned(heard_before(result, m.turn))
        public = set().union(*said.values()) if said else set()
        for slot in find_slots(m.text):
            if slot not in public:
                out.append(Unrevealed(m.turn, f"names {slot}, which no user had mentioned"))
    for a in result.actions:
        if a.name != "finalize_meeting" or not a.ok:
            continue
        said = _mentioned(heard_before(result, a.turn))
        public = set().union(*said.values()) if said else set()
        slot = str(a.args.get("slot", ""))
        normal = (find_slots(slot) or [slot])[0]
        if normal not in public:
            out.append(Unrevealed(a.turn, f"books {slot}, which no user had mentioned"))
        attendees = a.args.get("attendees")
        for who in attendees if isinstance(attendees, list) else []:
            if normal not in said.get(str(who), set()) and who not in required:
                out.append(
                    Unrevealed(a.turn, f"invites {who}, who had not said they can make {slot}")
                )
    return out
