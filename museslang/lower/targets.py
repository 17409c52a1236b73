"""Distribution targets: a share of a sweep's episodes that must have a property.

`target contest "a seniority contest" { holds: "..."  share: 25%..35% }` asks that, of
the scenario's episodes as drawn, between 25% and 35% make `holds` true. Drawing more
until a quota fills, or dropping episodes that do not fit, would change the benchmark
silently; here the change is visible and as small as it can be:

- every episode is drawn as the sweep planned it, and each target counts how many hold;
- a target below its share draws again, one at a time, episodes it does not hold on (in
  an order shuffled by the scenario's seed), each with seeds derived from its planned
  seed and the target's name, until enough hold; above its share, the other way round;
- a new draw is kept only if it moves the target the right way and leaves every target
  met before it in its share (so targets declared together are met together or fail);
- every episode records, for each target, whether it holds and the share asked
  (`targets`), and one drawn again records which target it serves, the seed it
  replaces and how many draws it took (`retargeted`); `check` and `compile` print the
  share each target reached (`lines`);
- a target no bounded search can meet is an error (E045) naming the share reached.

A variant of an episode is a copy of its draw: it is drawn again with it and counted once.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from museslang.authored.outcome import world_of
from museslang.expr.evaluate import EvalError, holds
from museslang.ir import models as ir
from museslang.lower.expand import Planned
from museslang.lower.seeds import derive_seed
from museslang.semantics.model import ScenarioDef, TargetDef
from museslang.semantics.targets import CODE, counts, family_for

TRIES = 20  # draws tried for one episode and one target before the next episode is tried


@dataclass
class Group:
    """One draw of the sweep: its planned episode, its variants, and what they lowered to."""

    planned: list[Planned]
    episodes: list[ir.EpisodeGraph]

    @property
    def first(self) -> ir.EpisodeGraph:
        return self.episodes[0]


class TargetError(Exception):
    def __init__(self, message: str, target: TargetDef) -> None:
        super().__init__(message)
        self.target = target
        self.code = CODE


def judge(sc: ScenarioDef, episode: ir.EpisodeGraph) -> dict[str, bool]:
    """Which of the sweep's targets hold on the episode as drawn."""
    w = world_of(family_for(sc), episode.participants, episode.truth.authored)
    out = {}
    for t in sc.sweep.targets if sc.sweep else []:
        try:
            out[t.name or ""] = holds(t.holds or "false", w)
        except EvalError:  # a value the draw made impossible (a division by zero)
            out[t.name or ""] = False
    return out


def meet(
    sc: ScenarioDef, groups: list[Group], redraw: Callable[[list[Planned]], list[ir.EpisodeGraph]]
) -> list[Group]:
    """The scenario's draws with every target met; `redraw` lowers planned episodes (an
    original and its variants) with the seed they carry."""
    targets = sc.sweep.targets if sc.sweep else []
    if not targets or not groups:
        return groups
    marks = [judge(sc, g.first) for g in groups]
    n = len(groups)
    met: list[TargetDef] = []
    for t in targets:
        name = t.name or ""
        wanted = counts(t.share or (0.0, 1.0), n)
        have = sum(m[name] for m in marks)
        if have not in wanted:
            flip_to = have < wanted.start  # draw again episodes it does not hold on
            goal = wanted.start if flip_to else wanted.stop - 1
            order = [i for i, m in enumerate(marks) if m[name] != flip_to]
            random.Random(derive_seed(groups[0].planned[0].seed, sc.name, "target", name)).shuffle(
                order
            )
            for i in order:
                if have == goal:
                    break
                found = _flip(sc, groups[i], t, flip_to, met, marks, i, redraw)
                if found is not None:
                    groups[i], marks[i] = found
                    have += 1 if flip_to else -1
            if have not in wanted:
                low, high = t.share or (0.0, 1.0)
                raise TargetError(
                    f"target {name}: {have} of {n} episodes ({have / n:.0%}) hold it after "
                    f"{TRIES} draws of each that could change it; it asks {low:.0%}..{high:.0%}",
                    t,
                )
        met.append(t)
    for g, m in zip(groups, marks, strict=True):
        for e in g.episodes:
            e.targets = {
                t.name or "": ir.TargetMark(
                    holds=m[t.name or ""], share=t.share or (0.0, 1.0), title=t.title
                )
                for t in targets
            }
    return groups


def _flip(
    sc: ScenarioDef,
    group: Group,
    t: TargetDef,
    want: bool,
    met: list[TargetDef],
    marks: list[dict[str, bool]],
    index: int,
    redraw: Callable[[list[Planned]], list[ir.EpisodeGraph]],
) -> tuple[Group, dict[str, bool]] | None:
    """A new draw of `group` on which `t` is `want`, keeping every target of `met` in its
    share; None when TRIES draws found none."""
    before = group.first.retargeted
    planned_seed = before.seed if before is not None else group.planned[0].seed
    n = len(marks)
    for k in range(1, TRIES + 1):
        seed = derive_seed(planned_seed, "target", t.name, k)
        episodes = redraw([dataclasses.replace(p, seed=seed) for p in group.planned])
        mark = judge(sc, episodes[0])
        if mark[t.name or ""] != want:
            continue
        others = [*marks[:index], mark, *marks[index + 1 :]]
        if any(
            sum(m[d.name or ""] for m in others) not in counts(d.share or (0.0, 1.0), n)
            for d in met
        ):
            continue
        for e in episodes:
            e.retargeted = ir.Retarget(target=t.name or "", seed=planned_seed, tries=k)
        planned = [dataclasses.replace(p, seed=seed) for p in group.planned]
        return Group(planned, episodes), mark
    return None


def lines(episodes: Iterable[ir.EpisodeGraph]) -> list[str]:
    """What `check` and `compile` print: per scenario and target, the share reached
    against the share asked, and how many episodes were drawn again for it."""
    held: dict[tuple[str, str], list[int]] = {}  # (scenario, target) -> [holds, of, redrawn]
    asked: dict[tuple[str, str], tuple[float, float]] = {}
    for e in episodes:
        if e.base is not None:
            continue  # a variant is a copy of its draw
        for name, mark in e.targets.items():
            count = held.setdefault((e.scenario, name), [0, 0, 0])
            count[0] += mark.holds
            count[1] += 1
            count[2] += e.retargeted is not None and e.retargeted.target == name
            asked[(e.scenario, name)] = mark.share
    out = []
    for (scenario, name), (k, n, again) in held.items():
        low, high = asked[(scenario, name)]
        redrawn = f"; {again} drawn again for it" if again else ""
        out.append(
            f"  {scenario}: target {name} {k}/{n} episodes ({k / n:.0%}), "
            f"asked {low:.0%}..{high:.0%}{redrawn}"
        )
    return out
