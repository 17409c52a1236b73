"""Did the assistant act only on what the conversation had told it?

A teacher sees the ground truth; the student it trains will not. An example in which the
assistant books a slot nobody mentioned, invites someone who never said they could come,
or hands a document to someone who never asked, teaches the student to guess from
nothing, and scores perfectly while doing it. `generate` keeps an example only when this
check finds nothing. Each family registers what counts as revealed for it; a family with
no check (single-shot families, where everything is said in the opening) passes.

The agent acting on turn t has seen every user message of turns before t (openings are
turn 0) and its own system prompt (the participants, who is required).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from museslang.families.access_control.metrics import requested
from museslang.families.meeting.truth import find_slots
from museslang.ir.models import EpisodeGraph
from museslang.registry import Registry
from museslang.runtime.transcript import AGENT, EpisodeResult, Message


@dataclass(frozen=True)
class Unrevealed:
    """One act that used a fact the conversation had not yet revealed."""

    turn: int
    what: str

    def __str__(self) -> str:
        return f"turn {self.turn}: {self.what}"


Check = Callable[[EpisodeGraph, EpisodeResult], list[Unrevealed]]
CHECKS: Registry[Check] = Registry("revealed-facts check")


def unrevealed(episode: EpisodeGraph, result: EpisodeResult) -> list[Unrevealed]:
    """Every act of the agent that used something it had not been told (empty: clean)."""
    if episode.family not in CHECKS:
        return []
    return CHECKS.get(episode.family)(episode, result)


def _heard_before(result: EpisodeResult, turn: int) -> list[Message]:
    return [m for m in result.transcript if m.sender != AGENT and m.turn < turn]


def _mentioned(messages: list[Message]) -> dict[str, set[str]]:
    """Slots each user has written so far, normalised."""
    said: dict[str, set[str]] = {}
    for m in messages:
        said.setdefault(m.sender, set()).update(find_slots(m.text))
    return said


@CHECKS.register("meeting")
def _meeting(episode: EpisodeGraph, result: EpisodeResult) -> list[Unrevealed]:
    """A slot the assistant names must have come from a user; an attendee must have
    said they can make it, or be named required in the prompt."""
    required = {p.id for p in episode.participants if p.attendance == "required"}
    out: list[Unrevealed] = []
    for m in result.transcript:
        if m.sender != AGENT or m.kind != "message":
            continue
        said = _mentioned(_heard_before(result, m.turn))
        public = set().union(*said.values()) if said else set()
        for slot in find_slots(m.text):
            if slot not in public:
                out.append(Unrevealed(m.turn, f"names {slot}, which no user had mentioned"))
    for a in result.actions:
        if a.name != "finalize_meeting" or not a.ok:
            continue
        said = _mentioned(_heard_before(result, a.turn))
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


@CHECKS.register("access_control")
def _access(episode: EpisodeGraph, result: EpisodeResult) -> list[Unrevealed]:
    """A resource goes only to someone who has asked, and only what they asked for."""
    wants = {p.id: set(requested(episode, p)) for p in episode.participants}
    out: list[Unrevealed] = []
    for a in result.actions:
        if a.name != "share_resource" or not a.ok:
            continue
        spoke = {m.sender for m in _heard_before(result, a.turn)}
        resource = str(a.args.get("resource", ""))
        users = a.args.get("users")
        for who in users if isinstance(users, list) else []:
            if who not in spoke:
                out.append(Unrevealed(a.turn, f"shares {resource} with {who}, who had not asked"))
            elif resource not in wants.get(str(who), set()):
                asked = ", ".join(sorted(wants.get(str(who), set()))) or "nothing"
                out.append(Unrevealed(a.turn, f"shares {resource} with {who}, who asked for "
                                      f"{asked}"))  # fmt: skip
    return out
