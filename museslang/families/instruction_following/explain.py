"""Why an instruction-following episode failed, and its ground truth beside the
transcript: each user's constraints in words, which bind and which lost a conflict
(museslang.report.explain)."""

from __future__ import annotations

from museslang.families.instruction_following import metrics
from museslang.instructions.verifiers import describe
from museslang.ir.explanation import Explanation, Failure, rank
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, EpisodeResult
from museslang.registry import UnknownName


def _words(ident: str, kwargs: dict[str, object]) -> str:
    try:
        return describe(ident, kwargs)
    except (UnknownName, KeyError, TypeError, ValueError):  # an id this build cannot read
        return ident


def explain(episode: EpisodeGraph, result: EpisodeResult) -> Explanation:
    truth = {(c.user, c.index): c for c in episode.truth.constraints or []}
    checked = metrics.check_answer(episode, result)
    people: dict[str, list[str]] = {}
    for p in episode.participants:
        said = rank(p)
        for i, c in enumerate(p.constraints):
            known = truth.get((p.id, i))
            status = (
                "binding"
                if known is None or known.binding
                else f"overridden by {known.overridden_by}"
                if known.overridden_by
                else "not binding (outranked)"
            )
            held = "holds" if checked.passed.get((p.id, i)) else "fails"
            said.append(f"#{i} {_words(c.id, c.kwargs)} [{c.id}]: {status}; {held}")
        people[p.id] = said
    lost = [f"{c.user}#{c.index} to {c.overridden_by}" for c in truth.values() if c.overridden_by]
    answer = episode.protocol.answer or "shared"
    lines = [
        (
            "answer",
            "one JSON object, a part per user" if answer == "per_user" else "one shared text",
        ),
        ("binding", f"{len(checked.binding)} constraints"),
        ("conflicts lost", ", ".join(lost) or "none"),
    ]
    got = Explanation(truth=lines, people=people)
    text = metrics.answer_text(result)
    if text is None:
        got.reason = "no answer was given"
        got.failures.append(Failure("all_passed", got.reason))
        return got
    at = max((i for i, m in enumerate(result.transcript) if m.sender == AGENT), default=None)
    by_id = {p.id: p for p in episode.participants}
    for user, index in checked.binding:
        if checked.passed[(user, index)]:
            continue
        c = by_id[user].constraints[index]
        got.failures.append(
            Failure(
                "all_passed",
                f"{user}'s #{index} "
                f"{_words(c.id, c.kwargs)!r} [{c.id}] does not hold in "
                "the answer",
                at,
            )
        )
    if got.failures:
        n, k = len(checked.binding), len(got.failures)
        got.reason = (f"{k} of {n} binding constraints fail; first: " if k > 1 else "") + (
            got.failures[0].detail
        )
    return got
