"""Scoring a result: which scorer a metric name means for a family and scheme, and every
declared metric's values. The registry (`metrics.registry`) holds the scorers; this module
loads the modules that fill it (the built-in metrics and the families' hooks), so nothing
that defines a metric imports this module, and the registry stays at the bottom.
"""

from __future__ import annotations

from museslang import family as families
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import CROSS_EPISODE, METRICS, Metric, Value, Values, find


def lookup(family: str, name: str, scheme: str = "default") -> Metric | None:
    """The scheme's own definition if it has one, else the default one."""
    _load()
    return find(family, name, scheme)


def _load() -> None:
    from museslang.metrics import common, compat, goals, privacy  # noqa: F401  (registration)

    families.load()  # each family's hooks register its metrics


def common_outputs() -> set[str]:
    """The values every family's results carry (prefix reuse, parse failures, ...)."""
    _load()
    return {
        out for key in METRICS.names() if key.startswith("*:") for out in METRICS.get(key).outputs
    }


def missing_metrics(episodes: list[EpisodeGraph]) -> list[str]:
    """Metrics the episodes declare that no scorer implements."""
    return sorted(
        {
            f"{m.name} ({e.family})"
            for e in episodes
            for m in e.metrics
            if m.name not in CROSS_EPISODE and not lookup(e.family, m.name)
        }
    )


def score(episode: EpisodeGraph, result: EpisodeResult, scheme: str = "default") -> Values:
    """Every declared metric plus the common ones, in declaration order, with why any
    could not be evaluated (`Values.unevaluated`)."""
    _load()
    values = Values({})
    names = [m.name for m in episode.metrics]
    common = ("*:",) if scheme == "default" else ("*:", f"{scheme}/*:")
    names += [METRICS.get(k).name for k in METRICS.names() if k.startswith(common)]
    for name in dict.fromkeys(names):
        if name in CROSS_EPISODE:
            continue
        found = lookup(episode.family, name, scheme)
        if found is None:
            raise ValueError(f"no scorer for metric {name} ({episode.family})")
        got = found.fn(episode, result)
        values.update(got)
        values.unevaluated.update(getattr(got, "unevaluated", {}))
    return values


def success(episode: EpisodeGraph, result: EpisodeResult) -> tuple[str, Value] | None:
    """The family's success-type metric and its value for this result (None: the family
    has none). Computed here whether or not the spec reports the metric."""
    for name in families.get(episode.family).success:
        found = lookup(episode.family, name)
        if found is not None:
            return name, found.fn(episode, result).get(name)
    return None
