"""The simulated-user audit: every message a simulated user sends is checked against what
that user declared and knows, on the turn it is sent.

In tau2-bench up to 30% of failed runs were the simulated user's fault: a user who ends
the chat early, or invents a passenger. museslang knows each user's declaration and what
reached them, so it checks mechanically, for scripted and model-played users alike:

- impersonation: the user introduces themself as someone else ("I'm Hana, HR Partner");
- unknown_person: the user names a person as a source of approval or news who is not in
  the episode ("Maria from HR approved it");
- private_fact: the user states a secret span of a resource that never reached them;
- early_end: the user says goodbye while the episode still runs;
- and what the family lends (`Family.user_checks`: an availability or amount the user
  does not have, a stubborn user who offers backups unasked, another user's private fact).

A finding is recorded on the result (`EpisodeResult.findings`); the engine may first ask
the user again (`--users-verify N`, tau-bench's verify strategy) and records how often.
The checks are patterns, not understanding: they find what a simulator plainly got wrong,
and say nothing about a message they cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from museslang import family as families
from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import AGENT, Message

Found = tuple[str, str]  # (check, what was wrong)
UserCheck = Callable[[EpisodeGraph, Participant, str, list[Message]], list[Found]]

_NAME = r"([A-Z][a-z]+(?:-[A-Z][a-z]+)?)"
# ways a message says who is writing it
_SELF = [
    re.compile(rf"\b(?:my name is|this is|name's)\s+{_NAME}\b"),
    re.compile(rf"\b(?:I'm|I am|I’m)\s+{_NAME}(?=\s*(?:[,.;:!(—–-]|\s+(?:from|in|and|here)\b|$))"),
    re.compile(rf"^\W*{_NAME}\s+here\b"),
]
# a third person given as the source of an approval or a request
_SOURCE = re.compile(
    rf"\b{_NAME}\s+(?:(?:has|had|already)\s+)?(?:approved|authori[sz]ed|signed off|said|told me|"
    r"asked me|confirmed|agreed|cleared|okayed|wants)\b"
)
# words that follow "I'm" or precede "said" without being anyone's name
_NOT_NAMES = frozenset(
    [
        "Sorry",
        "Not",
        "So",
        "Just",
        "Here",
        "Happy",
        "Glad",
        "Afraid",
        "Available",
        "Free",
        "Busy",
        "Fine",
        "Good",
        "Ok",
        "Okay",
        "Sure",
        "Still",
        "Also",
        "Really",
        "Very",
        "Currently",
        "Looking",
        "Writing",
        "Trying",
        "Going",
        "Interested",
        "Concerned",
        "Unable",
        "Able",
        "Done",
        "Back",
        "Ready",
        "Confused",
        "Curious",
        "Hoping",
        "Asking",
        "Reaching",
        "Checking",
        "Following",
        "Wondering",
        "Thanks",
        "Thank",
        "Hi",
        "Hello",
        "Hey",
        "Dear",
        "Yes",
        "No",
        "Well",
        "The",
        "This",
        "That",
        "It",
        "He",
        "She",
        "They",
        "We",
        "You",
        "Everyone",
        "Someone",
        "Somebody",
        "Nobody",
        "Anyone",
        "Management",
        "Compliance",
        "Security",
        "Legal",
        "Finance",
        "Support",
        "Team",
        "Admin",
        "Administration",
        "Everybody",
        "Boss",
        "Manager",
        "Director",
        "Sir",
        "Madam",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "Doctor",
        "Nurse",
        "Today",
        "Tomorrow",
        "Yesterday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
)
_END = re.compile(
    r"\b(?:good-?bye|bye|have a (?:nice|good|great) (?:day|one|evening)|talk (?:to you )?later|"
    r"that'?s all(?: from me)?|end (?:of )?(?:the |this )?(?:conversation|chat)|i'?m leaving)\b"
    r"|###STOP###|\[END\]",
    re.IGNORECASE,
)


def heard(transcript: list[Message], user: str) -> list[Message]:
    """What the agent has sent this user so far."""
    return [m for m in transcript if m.sender == AGENT and user in m.to]


def generic(episode: EpisodeGraph, user: Participant, text: str, got: list[Message]) -> list[Found]:
    """The checks every family gets."""
    found: list[Found] = []
    people = {p.id.lower(): p.id for p in episode.participants}
    told = " ".join(m.text for m in got)
    for pattern in _SELF:
        for m in pattern.finditer(text):
            name = m.group(1)
            if name.lower() == user.id.lower() or name in _NOT_NAMES:
                continue
            other = people.get(name.lower())
            who = "another user of this episode" if other else "nobody in this episode"
            found.append(("impersonation", f"introduces themself as {name} ({who})"))
            break
        if found:
            break
    own = " ".join(filter(None, [user.task, user.goal, user.persona, *user.says]))
    for m in _SOURCE.finditer(text):
        name = m.group(1)
        if (name.lower() in people or name in _NOT_NAMES or name in told or name in own
                or name.lower() == user.id.lower()):  # fmt: skip
            continue
        found.append(("unknown_person", f"names {name}, who is not in this episode, as a source"))
        break
    lowered = text.lower()
    for fact in episode.facts:
        for secret in fact.secrets:
            known = secret.lower() in told.lower() or secret.lower() in own.lower()
            if secret.lower() in lowered and not known:
                found.append(("private_fact", f"states {secret!r} of {fact.id}, which never "
                              "reached them"))  # fmt: skip
                break
    return found


def early_end(episode: EpisodeGraph, turn: int, text: str) -> Found | None:
    """A goodbye while agent turns remain (the last turn's answer may close politely)."""
    if turn >= episode.protocol.max_turns or episode.protocol.turns == "single_shot":
        return None
    m = _END.search(text)
    if m is None:
        return None
    return ("early_end", f"ends the conversation ({m.group(0)!r}) after agent turn {turn} of "
            f"{episode.protocol.max_turns}")  # fmt: skip


class UserAudit:
    """The checks of one episode's users (generic ones and the family's)."""

    def __init__(self, episode: EpisodeGraph) -> None:
        self.episode = episode
        self.family_check: UserCheck | None = families.hook(
            families.find(episode.family), "user_checks"
        )

    def check(
        self, user: Participant, turn: int, text: str, transcript: list[Message]
    ) -> list[Found]:
        got = heard(transcript, user.id)
        found = generic(self.episode, user, text, got)
        if (end := early_end(self.episode, turn, text)) is not None:
            found.append(end)
        if self.family_check is not None:
            found += self.family_check(self.episode, user, text, got)
        return found
