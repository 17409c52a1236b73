"""Which stored results belong to the run they are filed under, and which runs repeat others.

`--resume` refuses a run folder holding a result its spec could not have produced (an
episode it does not have, a trial seed it does not give). The readers (`table`,
`report`) apply the same checks and a few that need no spec (the agent and users the
run names, a trial past the run's count); what fails is left out and said, so a folder
holding another spec's lines cannot put a column in a table. Two runs that hold the same
result (one agent, spec and seed: the same run twice, or a copy) would count every
episode twice and shrink the standard error: the readers refuse them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.runtime.trials import trial_seed

Check = Callable[[EpisodeResult], str | None]  # why a result does not belong, or None


def belongs(episodes: list[EpisodeGraph]) -> Check:
    """Why a stored result is not one these episodes could have produced."""
    seeds = {e.id: e.seed for e in episodes}

    def check(result: EpisodeResult) -> str | None:
        if result.id not in seeds:
            return f"episode {result.id} is not in this spec"
        expected = trial_seed(seeds[result.id], result.trial)
        if result.seed != expected:
            return (f"episode {result.id} trial {result.trial} ran with seed {result.seed}, "
                    f"this run gives it {expected}")  # fmt: skip
        return None

    return check


@dataclass
class Vetted:
    results: list[EpisodeResult]
    left_out: list[str] = field(default_factory=list)  # why each result left out was

    def describe(self, run: str, limit: int = 3) -> str:
        shown = "; ".join(self.left_out[:limit])
        more = f"; and {len(self.left_out) - limit} more" if len(self.left_out) > limit else ""
        n = len(self.left_out)
        return f"{run}: {n} result{'s' if n != 1 else ''} not of this run left out ({shown}{more})"


def vet(meta: dict[str, Any], results: list[EpisodeResult], check: Check | None) -> Vetted:
    """The results that belong to the run `meta` (run.json) describes; `check` is the
    spec's own check (`belongs`), or None when the spec cannot be had."""
    out = Vetted([])
    trials = meta.get("trials")
    for r in results:
        why = None
        for name in ("agent", "users"):
            if isinstance(meta.get(name), str) and getattr(r, name) != meta[name]:
                why = (f"episode {r.id} trial {r.trial} was run with {name} {getattr(r, name)!r}, "
                       f"the run with {meta[name]!r}")  # fmt: skip
                break
        if why is None and isinstance(trials, int) and r.trial >= trials:
            why = f"episode {r.id} has trial {r.trial}, the run {trials} trial(s)"
        if why is None and check is not None:
            why = check(r)
        if why is None:
            out.results.append(r)
        else:
            out.left_out.append(why)
    return out


def repeats(runs: list[tuple[str, dict[str, Any], list[EpisodeResult]]]) -> str | None:
    """Why two of these runs (path, run.json, results) must not be pooled, or None: one
    holds a result of the other (the same agent, spec, episode, trial, seed and guard
    setting: a run with a guard is another run of the same episodes)."""
    from museslang.metrics.guarded import setting_of

    seen: dict[tuple, tuple[int, str]] = {}
    for index, (path, meta, results) in enumerate(runs):
        for r in results:
            key = (meta.get("agent"), meta.get("spec_sha256"), r.id, r.trial, r.seed,
                   setting_of(r))  # fmt: skip
            first = seen.setdefault(key, (index, path))
            if first[0] != index:
                return (f"{path} repeats {first[1]}: both hold episode {r.id} trial {r.trial} "
                        f"of one spec, run by {meta.get('agent')} with seed {r.seed} (the same "
                        "run twice, or a copy); pooling them would count each episode twice. "
                        "Give each run once")  # fmt: skip
    return None
