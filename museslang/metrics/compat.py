"""`--metrics compat`: the official MUSES Bench scores, record by record.

Under compat every agent turn is re-read as the official runner reads replies
(`museslang.official.replies`: a text-mode reply as written, tool calls written back as
the official JSON objects) and scored by the official rules (each family's `official`):
its parsing, its mappings, its keyword heuristics and its error records included. The
values are the ones the official evaluators write for the same replies; `counted` says
whether the paper's aggregation (the LaTeX table script) takes the record: it leaves out
error records of access control, instruction following and the queue's F1, and access
control records in which no turn delivered anything. docs/metrics.md lists every
difference from museslang's own definitions.

A museslang episode that errored (an endpoint that kept failing) becomes what the
official runner makes of a failed call: each family's compat hook says which: an error
that counts (success 0), an error record that is not counted, or the conversation
stopped and scored as it stood.

Metrics without a compat definition (optimality, capacity violations, the rejection
view of the queue, ...) are scored the default way under both schemes.
"""

from __future__ import annotations

from collections.abc import Callable

from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.registry import Value, metric
from museslang.official.replies import texts
from museslang.registry import Registry

SCHEME = "compat"

# family -> whether the paper's aggregation counts this result (1.0) or leaves it out (0.0)
COUNTED: Registry[Callable[[EpisodeGraph, EpisodeResult], float]] = Registry("compat count")


@metric("counted", None, scheme=SCHEME)
def counted(episode: EpisodeGraph, result: EpisodeResult) -> dict[str, Value]:
    """1 when the official aggregation takes this record into the paper's table."""
    if episode.family in COUNTED:
        return {"counted": COUNTED.get(episode.family)(episode, result)}
    return {"counted": 0.0 if result.status != "ok" else 1.0}


def first_reply(episode: EpisodeGraph, result: EpisodeResult) -> str | None:
    replies = texts(episode, result)
    return replies[0] if replies else None


def pick(values: dict[str, Value], *names: str) -> dict[str, Value]:
    return {n: values.get(n) for n in names}
