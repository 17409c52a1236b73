"""The oracle gate's blame for this family: when the reference oracle fails an
episode, the declaration at fault and why (museslang.gate)."""

from __future__ import annotations

from museslang.families.instruction_following import metrics
from museslang.gate import BLAME, SOFT, Blame
from museslang.instructions.compose import compose
from museslang.instructions.conflicts import Rule, conflict
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult


@BLAME.register(metrics.FAMILY)
def _instructions(episode: EpisodeGraph, result: EpisodeResult) -> Blame:
    checked = metrics.check_answer(episode, result)
    by_id = {p.id: p for p in episode.participants}
    for user, index in checked.binding:
        if not checked.passed[(user, index)]:
            rule = by_id[user].constraints[index].id
            why = (
                f"{user}'s {rule} does not hold in the best answer the oracle can write "
                "(see W005: no answer found that meets every binding constraint)"
            )
            return by_id[user].source, why, "constraints"
    return episode.source, "not every binding constraint holds", None


@SOFT.register(metrics.FAMILY)
def _no_witness(episode: EpisodeGraph, result: EpisodeResult) -> bool:
    """The failed constraint's group of binding rules (the whole answer's, or with per-user
    answers its user's) contradicts nowhere, yet museslang's writer finds no answer for
    it (W005): the writer's limit, not the spec's mistake. A real contradiction between
    binding rules stays an error."""
    checked = metrics.check_answer(episode, result)
    by_id = {p.id: p for p in episode.participants}
    per_user = episode.protocol.answer == "per_user"
    for user, index in checked.binding:
        if checked.passed[(user, index)]:
            continue
        group = [(u, i) for u, i in checked.binding if not per_user or u == user]
        rules = [Rule.of(by_id[u].constraints[i].id, by_id[u].constraints[i].kwargs)
                 for u, i in group]  # fmt: skip
        clash = any(conflict(a, b) for n, a in enumerate(rules) for b in rules[n + 1 :])
        if not clash and compose(rules, episode.seed) is None:
            return True
    return False
