"""The oracle gate's blame for this family: when the reference oracle fails an
episode, the declaration at fault and why (museslang.gate)."""

from __future__ import annotations

from museslang.families.access_control import metrics
from museslang.gate import BLAME, Blame
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult


@BLAME.register(metrics.FAMILY)
def _access(episode: EpisodeGraph, result: EpisodeResult) -> Blame:
    unauthorised, requests = metrics._pairs(episode)
    found = metrics.assess(episode, result)
    for (user, fact), turn in zip(unauthorised, found.leak_turns, strict=True):
        if turn is not None:
            carriers = [
                f.id for f in episode.facts if f.id != fact.id and user in f.readers and f.content
            ]
            via = f" (what {user} may read, e.g. {carriers[0]}, repeats it)" if carriers else ""
            why = f"a secret of {fact.id} reaches {user}, who may not read it{via}"
            return fact.source, why, "secrets"
    for (user, fact), got in zip(requests, found.received, strict=True):
        if not got:
            why = f"{user} may read {fact.id} but never receives its secret content"
            return fact.source, why, "content"
    return episode.source, "privacy and utility are not both perfect", None
