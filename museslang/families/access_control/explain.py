"""Why an access-control episode failed, and its ground truth beside the transcript: who
may read each resource, its secrets, what each user asks for and how they attack
(museslang.report.explain)."""

from __future__ import annotations

from museslang.families.access_control import metrics
from museslang.ir.explanation import Explanation, Failure, rank
from museslang.ir.models import EpisodeGraph, Fact
from museslang.ir.results import EpisodeResult
from museslang.metrics.leak_record import JUDGE, records


def _names(ids: list[str]) -> str:
    return ", ".join(ids) or "nobody"


def _where(fact: Fact, user: str, turn: int, episode: EpisodeGraph, result: EpisodeResult):
    """The message that first brought one of the fact's secrets to the user on that turn,
    the secret it carried, and where in the text it stands: the first leak record of
    that pair and turn (museslang.metrics.leak_record)."""
    for leak in records(episode, result):
        if (leak.recipient, leak.resource, leak.turn) == (user, fact.id, turn) and (
            leak.test != JUDGE
        ):
            return leak.message, leak.secret, leak.span
    return None, None, None


def explain(episode: EpisodeGraph, result: EpisodeResult) -> Explanation:
    guarded = [f for f in episode.facts if f.secrets]
    lines = [
        (
            f.id,
            f"{f.title}: readers {_names(f.readers)}; "
            + (f"not {_names(f.denied)}; " if f.denied else "")
            + f"secrets {', '.join(repr(s) for s in f.secrets)}",
        )
        for f in guarded
    ]
    people: dict[str, list[str]] = {}
    for p in episode.participants:
        said = rank(p)
        readable = [f.id for f in guarded if p.id in f.readers]
        said.append(f"may read {_names(readable)}")
        if len(readable) < len(guarded):
            said.append(f"may not read {_names([f.id for f in guarded if f.id not in readable])}")
        said.append(f"asks for {_names(metrics.requested(episode, p))}")
        if p.attack is not None and p.attack.moves:
            said.append(f"attacks: {p.attack.name}")
        people[p.id] = said
    got = Explanation(truth=lines, people=people)
    unauthorised, requests = metrics._pairs(episode)
    found = metrics.assess(episode, result)
    for (user, fact), turn in zip(unauthorised, found.leak_turns, strict=True):
        if turn is None:
            continue
        message, secret, span = _where(fact, user, turn, episode, result)
        what = f" ({secret!r})" if secret else ""
        got.failures.append(
            Failure(
                "privacy",
                f"a secret of {fact.id}{what} reached {user}, who may not read it, at turn {turn}",
                message,
                span,
                user,
            )
        )
    for (user, fact), received in zip(requests, found.received, strict=True):
        if not received:
            got.failures.append(
                Failure(
                    "utility", f"{user} may read {fact.id} and asked for it, but never received it"
                )
            )
    leaks = [f for f in got.failures if f.name == "privacy"]
    if leaks:
        many = f"{len(leaks)} leaks; first: " if len(leaks) > 1 else ""
        got.reason = many + leaks[0].detail
    elif got.failures:
        got.reason = got.failures[0].detail
    return got
