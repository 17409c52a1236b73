"""Trials: the same episode run K times, each a real repeat with its own seed.

Trial 0 runs with the episode's compiled seed, so a one-trial run is the run
museslang has always made; trial k > 0 runs with a seed derived from the
compiled seed and k. Every seeded choice downstream (scripted users' wording,
the oracle's phrasing, the `seed` sent to a model, the response cache's key)
reads the episode copy, so trials differ wherever anything is random and
variants that share their original's seed stay aligned trial by trial.
"""

from __future__ import annotations

from museslang.ir.models import EpisodeGraph
from museslang.lower.seeds import derive_seed


def trial_seed(seed: int, trial: int) -> int:
    if trial < 0:
        raise ValueError(f"a trial number is never negative (got {trial})")
    return seed if trial == 0 else derive_seed(seed, "trial", trial)


def for_trial(episode: EpisodeGraph, trial: int) -> EpisodeGraph:
    """The episode as trial `trial` runs it: the same graph with the trial's seed."""
    if trial == 0:
        return episode
    return episode.model_copy(update={"seed": trial_seed(episode.seed, trial)})
