"""Every episode's account: passed or not, why, and the ground truth beside it.

The family says what only it knows (its `explain` hook); this module adds what is the
same for every family and never names one: the verdict from the family's success
metrics, the error of an errored episode, the declared goals it missed, and, for a
family that lends no hook, the success values that failed it. Without the compiled
episode (the spec moved or changed since the run) the account is read from the stored
metrics alone, and says so.
"""

from __future__ import annotations

from museslang import family as families
from museslang.ir.explanation import Explanation, Failure, Verdict
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.runtime.trials import for_trial

EPSILON = 1e-9


def success_names(family: str) -> tuple[str, ...]:
    found = families.find(family)
    return found.success if found is not None and found.success else ("success",)


def verdict(result: EpisodeResult) -> Verdict:
    """errored; else passed when every success metric with a value is 1, failed when one
    is below; unscored when none has a value."""
    if result.status == "errored":
        return "errored"
    values = [result.metrics.get(n) for n in success_names(result.family)]
    scored = [float(v) for v in values if isinstance(v, int | float)]
    if not scored:
        return "unscored"
    return "passed" if all(v >= 1.0 - EPSILON for v in scored) else "failed"


def number(value: object) -> str:
    """A metric value in a sentence: 1, 0.333, or n/a."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        v = float(value)
        return str(int(v)) if v.is_integer() else f"{v:.3f}".rstrip("0")
    if isinstance(value, list):
        return "[" + ", ".join(number(v) for v in value) + "]"
    return "n/a"


def explain(episode: EpisodeGraph | None, result: EpisodeResult) -> Explanation:
    """The account of one result; `episode` is the compiled episode it ran, or None."""
    got = Explanation()
    if episode is not None:
        hook = families.explainer(result.family)
        if hook is not None:
            try:
                got = hook(for_trial(episode, result.trial), result)
            except Exception as exc:  # a plug-in's bug must not hide the transcript
                got = Explanation(
                    notes=[
                        f"the {result.family} family could not explain "
                        f"this episode ({type(exc).__name__}: {exc})"
                    ]
                )
    else:
        got.notes.append("no ground truth: the run's spec is not there or changed since")
    got.verdict = verdict(result)
    named = {f.name for f in got.failures}
    for failure in _goals_missed(episode, result):
        if failure.name not in named:
            got.failures.append(failure)
    if got.verdict == "failed" and not got.failures:
        for name in success_names(result.family):
            value = result.metrics.get(name)
            if isinstance(value, int | float) and value < 1.0 - EPSILON:
                got.failures.append(Failure(name, f"{name} = {number(value)}"))
    if got.verdict == "errored":
        first = (result.error or "no reason recorded").strip().splitlines()
        got.reason = f"errored: {first[0] if first else 'no reason recorded'}"
    elif got.verdict == "failed" and not got.reason:
        got.reason = got.failures[0].detail if got.failures else "a success metric is below 1"
    elif got.verdict in ("passed", "unscored"):
        got.reason = None
    return got


def _goals_missed(episode: EpisodeGraph | None, result: EpisodeResult) -> list[Failure]:
    """Declared goals (`goal:NAME` = 0), in words when the episode is known."""
    out = []
    goals = {f"goal:{g.name or i + 1}": g for i, g in enumerate(episode.goals)} if episode else {}
    for name, value in result.metrics.items():
        if not name.startswith("goal:") or not isinstance(value, int | float) or value >= 1:
            continue
        goal = goals.get(name)
        if goal is None:
            out.append(Failure(name, f"goal {name[5:]} is not met"))
            continue
        what = goal.text or goal.success or name[5:]
        if goal.adversarial:
            detail = f"{goal.user or 'an attacker'}'s goal succeeded: {what}"
        else:
            detail = f"goal {name[5:]} is not met{f' for {goal.user}' if goal.user else ''}: {what}"
        out.append(Failure(name, detail))
    return out
