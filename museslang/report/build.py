"""What a report shows, computed from run directories: the paper's table and the figures.

Runs of one agent are pooled per benchmark (as in `museslang table`), and every number is a mean
over episodes with each episode's trials averaged first. A run counts its errored
episodes as it was scored: under default scoring they count, under compat they don't.
A family no run covers gets no section; every episode of every run is in the
episode browser, explained (museslang.report.browser).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from museslang import family as families
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.metrics.paper_table import Row, Run, by_guard, split, with_guards
from museslang.metrics.paper_table import build as table_rows
from museslang.metrics.scoring import common_outputs
from museslang.metrics.stability import stability
from museslang.metrics.summary import Stat, pass_hat_k, stat_of
from museslang.registry import Registry
from museslang.report import svg
from museslang.report.browser import Browser, RunTruth, collect


@dataclass
class Figure:
    title: str
    svgs: list[str]  # one chart, or one per agent
    headers: list[str]
    rows: list[list[str]]
    note: str = ""  # what was measured, or why there is nothing to show


# "family:figure" -> the figure from the results by agent; each family's `report` hook
# registers its own, shown in the order families are listed, then registered
FIGURES: Registry[Callable[[dict[str, list[EpisodeResult]]], Figure]] = Registry("figure")


@dataclass
class Report:
    runs: list[tuple[str, str, str, int]]  # path, agent, scoring scheme, results
    table: list[Row]
    figures: list[Figure] = field(default_factory=list)
    episodes: Browser | None = None  # every episode, explained (the episode browser)


def _counted(run: Run) -> list[EpisodeResult]:
    return run.results if run.scheme == "default" else [r for r in run.results if r.status == "ok"]


def _agents(runs: list[Run]) -> dict[str, list[EpisodeResult]]:
    """Series by agent and guard setting; an agent that ran two specs of one family gets
    a series per benchmark (named as its rows in the paper's table), never one mixed
    series."""
    by_agent: dict[str, list[Run]] = {}
    for run in runs:
        for guards, part in by_guard(run):
            by_agent.setdefault(with_guards(run.agent, guards), []).append(part)
    pooled: dict[str, list[EpisodeResult]] = {}
    for agent, mine in by_agent.items():
        parts = split(mine)
        for part in parts:
            key = agent
            if len(parts) > 1:
                names = dict.fromkeys(r.benchmark or r.path for _, r in part)
                key = f"{agent} ({', '.join(names)})"
            series = pooled.setdefault(key, [])
            for family, run in part:
                series.extend(r for r in _counted(run) if r.family == family)
    return pooled


def stat_for(results: list[EpisodeResult], value: Callable[[EpisodeResult], float | None]) -> Stat:
    per: dict[str, list[float | list[float]]] = defaultdict(list)
    for r in results:
        v = value(r)
        if v is not None:
            per[f"{r.id}\x1f{r.agent}"].append(v)
    return stat_of(per, success=False)


def metric_of(name: str) -> Callable[[EpisodeResult], float | None]:
    def get(r: EpisodeResult) -> float | None:
        v = r.metrics.get(name)
        return float(v) if isinstance(v, int | float) else None

    return get


def fmt(stat: Stat | None) -> str:
    if stat is None or not isinstance(stat.mean, float):
        return "–"
    err = f" ± {stat.stderr:.3f}" if stat.stderr is not None else ""
    return f"{stat.mean:.3f}{err}"


def of_family(results: list[EpisodeResult], family: str) -> list[EpisodeResult]:
    return [r for r in results if r.family == family]


def missing(title: str, family: str) -> Figure:
    name = families.display(family)
    return Figure(title, [], [], [], note=f"No run covers {name}.")


def by_users(
    agents: dict[str, list[EpisodeResult]],
    family: str,
    metric: str,
    title: str,
    ylabel: str,
    unit: bool = True,
) -> Figure:
    series: dict[str, list[tuple[float, float]]] = {}
    table: dict[int, dict[str, str]] = defaultdict(dict)
    for agent, results in agents.items():
        by_n: dict[int, list[EpisodeResult]] = defaultdict(list)
        for r in of_family(results, family):
            n = r.cell.get("users")
            n = n if isinstance(n, int) else r.team  # a spec without a users sweep
            if isinstance(n, int):
                by_n[n].append(r)
        for n in sorted(by_n):
            stat = stat_for(by_n[n], metric_of(metric))
            if isinstance(stat.mean, float):
                series.setdefault(agent, []).append((float(n), stat.mean))
                table[n][agent] = fmt(stat)
    if not series:
        if any(of_family(results, family) for results in agents.values()):
            note = (f"The {families.display(family)} runs record no team size (written before "
                    "museslang recorded it, with no `users` sweep): run them again.")  # fmt: skip
            return Figure(title, [], [], [], note=note)
        return missing(title, family)
    chart = svg.line_chart(title, series, "users", ylabel, unit=unit)
    names = list(series)
    rows = [[str(n), *(table[n].get(a, "–") for a in names)] for n in sorted(table)]
    return Figure(title, [chart], ["users", *names], rows)


def priority_stability(runs: list[Run]) -> Figure:
    title = "Priority stability: same decision on reordered, renamed and re-templated variants"
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for whole in runs:
        for guards, run in by_guard(whole):
            stable = stability(_counted(run))
            family = {r.key: r.family for r in run.results}
            for key, value in stable.items():
                per[with_guards(run.agent, guards)][family[key]].append(value)
    ran = sorted({f for fams in per.values() for f in fams})
    if not ran:
        return Figure(title, [], [], [], note="No run has metamorphic variants.")
    agents = list(per)
    series = {
        families.display(f): [(sum(v) / len(v)) if (v := per[a].get(f)) else None for a in agents]
        for f in ran
    }
    chart = svg.bar_chart(title.split(":")[0], agents, series, "share stable")
    rows = [
        [
            a,
            *(f"{sum(v) / len(v):.3f} (n={len(v)})" if (v := per[a].get(f)) else "–" for f in ran),
        ]
        for a in agents
    ]
    return Figure(title, [chart], ["agent", *(families.display(f) for f in ran)], rows)


def pass_at_k(agents: dict[str, list[EpisodeResult]]) -> Figure:
    """pass^k of each family's success metric, when episodes ran several trials."""
    title = "Reliability: pass^k (success in all of k trials)"
    series: dict[str, list[tuple[float, float]]] = {}
    rows = []
    for agent, results in agents.items():
        by_family: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
        for r in results:
            for name in getattr(families.find(r.family), "success", ()):
                value = r.metrics.get(name)
                if isinstance(value, int | float):
                    by_family[r.family][r.id].append(value >= 1.0 - 1e-9)
        for family, episodes in by_family.items():
            trials = max(len(v) for v in episodes.values())
            if trials < 2:
                continue
            curve = [pass_hat_k(list(episodes.values()), k) for k in range(1, trials + 1)]
            points = [(float(k), v) for k, v in enumerate(curve, 1) if v is not None]
            series[f"{agent} · {families.display(family)}"] = points
            rows.append([agent, families.display(family),
                         *(f"{v:.3f}" for _, v in points)])  # fmt: skip
    if not rows:
        return Figure(title, [], [], [], note="Every episode ran once: run eval with --trials K.")
    width = max(len(r) for r in rows) - 2
    headers = ["agent", "family", *(f"k={k}" for k in range(1, width + 1))]
    rows = [r + [""] * (len(headers) - len(r)) for r in rows]
    chart = svg.line_chart(title, series, "k (trials)", "pass^k")
    note = "A falling curve: an agent that succeeds only sometimes on the same episode."
    return Figure(title, [chart], headers, rows, note)


Truth = list[tuple[dict[str, EpisodeGraph], str]]  # per run: its episodes by id, or why none


def build(
    runs: list[Run], truth: Truth | None = None, full: list[Iterable[EpisodeResult]] | None = None
) -> Report:
    """The report of `runs`; `truth` gives each run's compiled episodes (or none, and why)
    for the episode browser's ground truth and explanations, and `full` its complete results
    where `runs` holds only what a run keeps of them (museslang.run.kept)."""
    agents = _agents(runs)
    report = Report(
        runs=[(r.path, r.agent, r.scheme, len(r.results)) for r in runs],
        table=table_rows(runs),
    )
    families.load()  # each family's `report` hook registers its figures
    covered = {r.family for run in runs for r in run.results}  # no section for the others
    family_figures = [
        FIGURES.get(key)(agents)
        for name in families.names()
        if name in covered
        for key in FIGURES.names()
        if key.startswith(f"{name}:")
    ]
    report.figures = [*family_figures, *_triples(agents), *_other_families(agents),
                      priority_stability(runs), pass_at_k(agents)]  # fmt: skip
    known = truth or [({}, "") for _ in runs]
    every = full or [run.results for run in runs]
    if full is None and not all(isinstance(r, EpisodeResult) for run in runs for r in run.results):
        return report  # only what a run keeps of its results: no transcripts to browse
    pairs = zip(runs, known, every, strict=True)
    report.episodes = collect([RunTruth(run.path, run.agent, results, episodes, note)
                               for run, (episodes, note), results in pairs])  # fmt: skip
    return report


def _triples(agents: dict[str, list[EpisodeResult]]) -> list[Figure]:
    """AgentDojo's triple of each attack family the runs cover: per agent and attack,
    benign utility, utility under attack and attack success rate (metrics.triple)."""
    from museslang.metrics.triple import triples

    figures = []
    seen = dict.fromkeys(r.family for results in agents.values() for r in results)
    for name in seen:
        declared = families.find(name)
        if declared is None or declared.triple is None:
            continue
        rows = []
        for agent, results in agents.items():
            for attack, t in triples(of_family(results, name), *declared.triple).items():
                cells = [t.benign_utility, t.utility_under_attack, t.attack_success_rate]
                rows.append([agent, attack, str(t.n),
                             *("–" if v is None else f"{v:.3f}" for v in cells)])  # fmt: skip
        if rows:
            title = f"{families.display(name).capitalize()}: utility and attack success"
            note = ("Benign utility is measured on the episodes without the attack that match "
                    "the attacked ones; an attack that costs utility or gets through shows "
                    "here, where utility alone hides it.")  # fmt: skip
            figures.append(Figure(title, [], ["agent", "attack", "n", "benign utility",
                                              "utility under attack", "attack success"],
                                  rows, note))  # fmt: skip
    return figures


def _other_families(agents: dict[str, list[EpisodeResult]]) -> list[Figure]:
    """A family without figures of its own (a plug-in's, or one written in museslang, read
    here from its results alone): its success metric and each other metric it scored,
    against the number of users."""
    drawn = {key.split(":", 1)[0] for key in FIGURES.names()}
    common = common_outputs()
    seen = dict.fromkeys(r.family for results in agents.values() for r in results)
    figures = []
    for name in seen:
        if name in drawn:
            continue
        first = families.success_metric(name)
        scored = [r.metrics for results in agents.values() for r in of_family(results, name)]
        names = dict.fromkeys(k for m in scored for k, v in m.items() if isinstance(v, float))
        wanted = [first, *(n for n in names if n != first and n not in common)]
        shown = families.display(name).capitalize()
        figures += [by_users(agents, name, metric, f"{shown}: {metric.replace('_', ' ')} vs users",
                             metric) for metric in wanted if metric in names]  # fmt: skip
    return figures
