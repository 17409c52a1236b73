"""How many episodes and users the scenarios of one file compile to, known before any
is drawn.

A compile holds every episode it makes (the compiled file is one JSON document), at about
12 KB per user of an episode: 60,000 users across a meeting sweep's 10,044 episodes peak at
740 MB. A file whose sweeps would make more than `MAX_USERS` users is refused (E017) at
the sweep that makes most, instead of filling memory: `samples: 100000` would need gigabytes.
"""

from __future__ import annotations

import math

from museslang.diagnostics import Diagnostics
from museslang.semantics.model import SWEEP_AXES, ScenarioDef
from museslang.semantics.types import Weighted

MAX_USERS = 64_000  # users over all the episodes of one compile (~800 MB)


def planned(sc: ScenarioDef) -> tuple[int, int]:
    """(episodes, users over all of them) that the scenario's sweep plans."""
    sw = sc.sweep
    written = len(sc.users)
    if sw is None:
        return 1, written
    by_row = set(sw.example_axes)
    crossed = [getattr(sw, a) for a in SWEEP_AXES if getattr(sw, a) and a not in by_row
               and not isinstance(getattr(sw, a), Weighted)]  # fmt: skip
    per_row = math.prod(len(values) for values in crossed)
    each = sw.samples * (1 + len(sw.variants))
    rows = sw.examples or [{}]
    episodes = len(rows) * per_row * each
    if sc.population is None or not sw.users:
        return episodes, episodes * written
    if "users" in by_row:  # each row its team size
        return episodes, sum(max(r["users"], written) for r in rows) * per_row * each
    per_size = len(rows) * per_row // len(sw.users) * each  # episodes of each team size
    return episodes, sum(max(n, written) for n in sw.users) * per_size


def check(scenarios: list[ScenarioDef], diags: Diagnostics) -> None:
    sizes = [(planned(sc), sc) for sc in scenarios]
    users = sum(n for (_, n), _ in sizes)
    if users <= MAX_USERS:
        return
    episodes = sum(e for (e, _), _ in sizes)
    (_, most), sc = max(sizes, key=lambda s: s[0][1])
    sw = sc.sweep
    field = "samples" if sw is not None and "samples" in sw.field_spans else "users"
    diags.error(
        "E017",
        f"the sweeps compile to {episodes:,} episodes with {users:,} users (this one: "
        f"{most:,}); one compile holds at most {MAX_USERS:,} users",
        sw.at(field) if sw is not None else sc.head,
        hint="fewer samples or team sizes, or split the sweep over several specs",
    )
