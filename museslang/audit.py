"""The mutation audit: every scorer is tested against damaged copies of the oracle's play.

AgentDojo's graders were audited by removing one action from each reference solution:
five still passed. museslang knows each episode's ground truth, so it does this
mechanically: for every episode the oracle passes, each damage the family's actions allow
(`Family.mutations`, runtime.mutations) is scored again, and

- killed: the success metric fell below 1, as it should;
- equivalent: the family says the damaged play is as good by the ground truth (another
  equally best slot, a dropped grant of 0), and success stayed 1, as it should;
- survived: success stayed at 1 although the play is worse: the scorer does not read
  what the damage changed (E062);
- wrongly killed: success fell for a play the family calls equivalent (E062).

The mutation score of a family is killed / (tried - equivalent). For families written in
museslang each damaged play also carries its success goals' values, and a success goal
no damage lowers in any episode is E063: it decides nothing. `check --audit` runs the
audit on every episode and prints each family's score; `check` runs it on every episode
of families written in museslang (scoring their expressions is cheap) and on the first
episode of each scenario of the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from museslang import family as families
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.scoring import success
from museslang.runtime.mutations import Mutation, drop_each

SURVIVED, NEVER = "E062", "E063"


@dataclass(frozen=True)
class Tried:
    """One mutation of one episode, scored."""

    episode: EpisodeGraph
    mutation: Mutation
    success: float | None
    verdict: str  # killed | equivalent | survived | wrongly_killed | unscored


@dataclass
class FamilyScore:
    """A family's audit: what was tried and what the success metric made of it."""

    family: str
    metric: str = "success"
    episodes: int = 0  # episodes audited (the oracle passed them)
    skipped: int = 0  # episodes without a success value to damage (nothing to measure)
    tried: list[Tried] = field(default_factory=list)
    # success criterion -> whether some damage lowered it (families written in museslang)
    lowered: dict[str, bool] = field(default_factory=dict)

    def count(self, verdict: str) -> int:
        return sum(t.verdict == verdict for t in self.tried)

    @property
    def killed(self) -> int:
        return self.count("killed")

    @property
    def equivalent(self) -> int:
        return self.count("equivalent")

    @property
    def score(self) -> float | None:
        """killed / (tried - equivalent), None when nothing non-equivalent was tried."""
        judged = len(self.tried) - self.equivalent
        return self.killed / judged if judged else None

    def line(self) -> str:
        """`budget: 312 of 312 killed (score 1.00); 27 equivalent; 339 tried on 27 episodes`"""
        score = f"{self.score:.2f}" if self.score is not None else "–"
        judged = len(self.tried) - self.equivalent
        parts = [f"{self.family}: {self.killed} of {judged} killed (score {score})"]
        for verdict, words in (("equivalent", "equivalent"), ("survived", "survived"),
                               ("wrongly_killed", "equivalent but failed"),
                               ("unscored", "unscored")):  # fmt: skip
            if self.count(verdict):
                parts.append(f"{self.count(verdict)} {words}")
        parts.append(f"{len(self.tried)} tried on {self.episodes} episodes")
        if self.skipped:
            parts.append(f"{self.skipped} episodes without a {self.metric} value")
        return "; ".join(parts)


def mutations_of(episode: EpisodeGraph, result: EpisodeResult) -> list[Mutation]:
    """What the family lends (`Family.mutations`), else every call dropped in turn."""
    mutate = families.hook(families.find(episode.family), "mutations") or drop_each
    return mutate(episode, result)


def audit(pairs: Iterable[tuple[EpisodeGraph, EpisodeResult]]) -> dict[str, FamilyScore]:
    """Score every mutation of every (episode, oracle result) the oracle passed."""
    out: dict[str, FamilyScore] = {}
    for episode, result in pairs:
        judged = success(episode, result)
        if judged is None:
            continue
        fam = out.setdefault(episode.family, FamilyScore(episode.family, judged[0]))
        if result.status != "ok" or judged[1] != 1.0:
            fam.skipped += judged[1] is None
            continue
        fam.episodes += 1
        for m in mutations_of(episode, result):
            got = success(episode, m.result)
            value = got[1] if got is not None else None
            fam.tried.append(Tried(episode, m, value, _verdict(m, value)))
            for name, v in m.criteria.items():
                fam.lowered[name] = fam.lowered.get(name, False) or (v is not None and v < 1.0)
    return out


def _verdict(m: Mutation, value: float | None) -> str:
    if value is None or isinstance(value, list):
        return "unscored"
    if value < 1.0:
        return "wrongly_killed" if m.equivalent else "killed"
    return "equivalent" if m.equivalent else "survived"


def sampled(episodes: list[EpisodeGraph]) -> list[EpisodeGraph]:
    """What `check` audits without `--audit`: every episode of a family written in
    museslang, and the first episode of each scenario of the others."""
    seen: set[tuple[str, str]] = set()
    out = []
    for e in episodes:
        family = families.find(e.family)
        if family is not None and family.origin == families.WRITTEN:
            out.append(e)
        elif (e.family, e.scenario) not in seen:
            seen.add((e.family, e.scenario))
            out.append(e)
    return out


def diagnose(scores: dict[str, FamilyScore], locate, diags) -> None:
    """E062 for each kind of damage a family's success metric missed (or failed for an
    equivalent play), E063 for each success criterion no damage lowered. `locate`: a
    family name and an episode -> the span to point at, with the criterion's, if any."""
    for fam in scores.values():
        groups: dict[tuple[str, str], list[Tried]] = {}
        for t in fam.tried:
            if t.verdict in ("survived", "wrongly_killed"):
                groups.setdefault((t.verdict, t.mutation.kind), []).append(t)
        for (verdict, _), group in groups.items():
            first = group[0]
            more = f" and {len(group) - 1} more" if len(group) > 1 else ""
            if verdict == "survived":
                message = (f"{fam.metric} still 1.00 when {first.mutation.what} (episode "
                           f"{first.episode.id}{more}): the scorer does not read what the "
                           "damage changed")  # fmt: skip
                hint = ("make the success criteria read it (a goal in `success:`), or, if "
                        "the damaged play is as good, say why it is equivalent")  # fmt: skip
            else:
                message = (f"{fam.metric} fails when {first.mutation.what} (episode "
                           f"{first.episode.id}{more}), a play as good as the oracle's "
                           f"({first.mutation.why})")  # fmt: skip
                hint = "the scorer is stricter than the ground truth"
            diags.error(SURVIVED, message, locate(fam.family, first.episode, None), hint=hint)
        for name, lowered in fam.lowered.items():
            if not lowered and fam.episodes:
                diags.error(
                    NEVER,
                    f"no damage to the oracle's play lowers success goal '{name}' in any of "
                    f"{fam.episodes} episodes: it decides nothing",
                    locate(fam.family, None, name),
                    hint="a success goal must read what the agent does (a call's arguments, "
                    "what users were told) so that a worse play fails it",
                )
