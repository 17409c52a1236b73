"""Redraws: generated episodes the reference oracle could not pass, drawn again.

A family can ask for a generated episode to be drawn again (`RedrawEpisode`) when its
oracle cannot pass the draw: an episode no agent could pass measures the spec, not the
agent. Drawing again is never silent. Every cell counts its draws; each kept episode
records the seed that drew it and how many draws it replaced; a scenario that keeps
fewer than `KEPT_MIN` of its draws is a warning naming the goal that failed most often
(the redraws have then cut the hard cases out of the benchmark), and `check --strict`
makes any redraw an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from museslang.diagnostics import Diagnostics
from museslang.source import Span

KEPT_MIN = 0.8  # below this share of draws kept, a scenario is a warning (W009)
FEW_CODE, STRICT_CODE = "W009", "E061"


@dataclass
class Redraws:
    """The draws of one sweep cell of one scenario."""

    scenario: str
    cell: dict[str, str | int]
    draws: int = 0
    kept: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # what failed -> rejected draws

    @property
    def redraws(self) -> int:
        return self.draws - self.kept


def share(kept: int, draws: int) -> float:
    return kept / draws if draws else 1.0


def diagnose(
    counts: Iterable[Redraws], where: dict[str, Span], diags: Diagnostics, strict: bool = False
) -> None:
    """A warning per scenario that keeps too few of its draws; with `strict`, an error per
    scenario that drew any episode again. `where`: scenario name -> the span to point at
    (its population)."""
    by_scenario: dict[str, list[Redraws]] = {}
    for c in counts:
        by_scenario.setdefault(c.scenario, []).append(c)
    for name, cells in by_scenario.items():
        draws, kept = sum(c.draws for c in cells), sum(c.kept for c in cells)
        if draws == kept or name not in where:
            continue
        failed = sum((c.failed for c in cells), Counter())
        if not failed:  # the missing draws ended with an error (reported as that), not redrawn
            continue
        worst, times = failed.most_common(1)[0]
        what = (
            f"scenario {name} kept {kept} of its {draws} draws ({share(kept, draws):.0%}): "
            f"the reference oracle could not pass the other {draws - kept}, most often because "
            f"of {worst} ({times} of {draws - kept})"
        )
        if strict:
            diags.error(STRICT_CODE, what, where[name],
                        hint="--strict makes every redraw an error: fix the draws or the "
                        "oracle so that every draw can be passed")  # fmt: skip
        elif share(kept, draws) < KEPT_MIN:
            diags.warning(
                FEW_CODE,
                what,
                where[name],
                hint="the kept episodes are only those the oracle passes, so the benchmark "
                f"lacks the rest; fix the oracle or the draws ({worst})",
            )


def per_cell(episodes: Iterable) -> list[Redraws]:
    """The draws of every (scenario, cell), read back from compiled episodes (each kept
    episode says how many draws it replaced; variants are copies, not draws)."""
    out: dict[tuple[str, str], Redraws] = {}
    for e in episodes:
        if e.base is not None:
            continue
        cell = {k: v for k, v in e.cell.items() if k != "variant"}
        key = (e.scenario, repr(sorted(cell.items())))
        count = out.setdefault(key, Redraws(e.scenario, cell))
        count.kept += 1
        count.draws += 1 + e.redraws
    return list(out.values())


def lines(episodes: Iterable) -> list[str]:
    """What `check` and `compile` print about redraws: one line per scenario that drew
    again, with every cell's kept draws (`users=4 5/9`)."""
    by_scenario: dict[str, list[Redraws]] = {}
    for c in per_cell(episodes):
        by_scenario.setdefault(c.scenario, []).append(c)
    out = []
    for name, cells in by_scenario.items():
        draws, kept = sum(c.draws for c in cells), sum(c.kept for c in cells)
        if draws == kept:
            continue
        parts = ", ".join(
            f"{' '.join(f'{k}={v}' for k, v in c.cell.items()) or 'all'} {c.kept}/{c.draws}"
            for c in cells
            if c.redraws
        )
        out.append(
            f"  {name}: {draws - kept} redraw{'s' if draws - kept != 1 else ''}, {kept} of "
            f"{draws} draws kept ({share(kept, draws):.0%}); kept/drawn per cell: {parts}"
        )
    return out
