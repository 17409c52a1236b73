"""`museslang show RUN [EPISODE]`: a run's episodes in the terminal.

Without an episode: one line per episode trial (its verdict and, for a failure, the one
line that says why), picked by the filters. With one: its transcript as lanes, one per
sender, each message with the users who received it, the agent's tool calls and what
they did; the ground truth beside it; each failed goal or metric with its values; each
leak, simulator-audit flag and guard intervention; and its errors. The same account the
report's episode browser shows (museslang.report.episodes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from museslang import family as families
from museslang.ir.results import AGENT, EpisodeResult
from museslang.report.episodes import (
    Episode,
    Filters,
    call_text,
    cell_text,
    look,
    pieces,
    recipients,
    select,
)
from museslang.report.explain import number
from museslang.run.store import load_run
from museslang.run_episodes import episodes_of

LANE_MIN = 26  # narrowest readable lane; narrower ones print as a timeline
STYLE = {"passed": "bold green", "failed": "bold red", "errored": "bold yellow", "unscored": "bold"}


class ShowError(ValueError):
    """The run or the episode cannot be shown; the message says why."""


@dataclass
class Loaded:
    meta: dict
    episodes: list[Episode]
    note: str  # why there is no ground truth ("" when there is)
    unread: str  # lines of results.jsonl that could not be read ("" when none)


def load(run: Path, spec: Path | None = None) -> Loaded:
    """The run's results, each explained against its compiled episode when it can be had."""
    meta, results, read = load_run(run)
    truth, note = episodes_of(meta, spec)
    unread = read.describe(run / "results.jsonl") if read.problems else ""
    return Loaded(meta, [look(r, truth.get(r.id)) for r in results], note, unread)


def find(loaded: Loaded, episode: str, trial: int) -> Episode:
    from museslang.diagnostics import did_you_mean

    for seen in loaded.episodes:
        if seen.result.id == episode and seen.result.trial == trial:
            return seen
    ids = list(dict.fromkeys(e.result.id for e in loaded.episodes))
    if episode in ids:
        trials = sorted(e.result.trial for e in loaded.episodes if e.result.id == episode)
        raise ShowError(
            f"episode {episode} has no trial {trial} (trials: {', '.join(map(str, trials))})"
        )
    hint = did_you_mean(episode, ids)
    raise ShowError(f"no episode '{episode}' in this run{'; ' + hint if hint else ''}")


# ---- the listing ------------------------------------------------------------------------
def listing(loaded: Loaded, filters: Filters, console: Console, limit: int | None) -> int:
    """One line per picked episode trial; returns how many were picked."""
    meta, every = loaded.meta, loaded.episodes
    counts = Counter(e.account.verdict for e in every)
    summary = ", ".join(f"{n} {v}" for v, n in counts.most_common())
    console.print(
        f"run: {meta.get('agent')} on {Path(str(meta.get('spec', '?'))).name} · "
        f"{len(every)} results: {summary}",
        highlight=False,
    )
    errors = Counter(e.account.reason for e in every if e.account.verdict == "errored")
    for reason, n in errors.most_common(5):
        console.print(f"  {n}× {reason}", style="yellow", highlight=False)
    if loaded.note:
        console.print(f"(no ground truth: {loaded.note}; pass --spec FILE)", style="dim")
    picked = select(every, filters)
    trials = len({e.result.trial for e in every}) > 1
    width = max((len(e.result.id) for e in picked), default=0)
    for seen in picked[:limit]:
        r, account = seen.result, seen.account
        line = Text(f"{account.verdict:<8} ", style=STYLE[account.verdict])
        line.append(r.id.ljust(width) + (f"  trial {r.trial}" if trials else ""))
        if account.reason:
            line.append("  " + account.reason)
        console.print(line, soft_wrap=True, highlight=False)
    if limit is not None and len(picked) > limit:
        console.print(f"... and {len(picked) - limit} more (--limit)", style="dim")
    console.print(f"{len(picked)} of {len(every)} shown", style="dim", highlight=False)
    return len(picked)


# ---- one episode ------------------------------------------------------------------------
def _message(seen: Episode, index: int, timeline: bool) -> Text:
    r = seen.result
    m = r.transcript[index]
    out = Text()
    if timeline:
        out.append(f"{m.sender}", style="bold")
    if m.sender == AGENT:
        kind = {"content": " (a resource's content)", "unaddressed": " (unaddressed)"}
        out.append(
            f"{' ' if timeline else ''}→ {recipients(m.to, seen.people)}{kind.get(m.kind, '')}",
            style="cyan",
        )
    else:
        out.append(f"{' ' if timeline else ''}→ {', '.join(m.to)}", style="dim")
    out.append("\n" if not timeline else ": ")
    for part, mark in pieces(m.text, seen.marks.get(index, [])):
        out.append(part, style="bold white on red" if mark is not None else "")
    for _, flag in seen.flagged.get(index, []):
        out.append(f"\n⚑ {flag}", style="red")
    for f in r.findings:
        if f.message == index:
            out.append(f"\n⚑ audit: {f.check}: {f.detail}", style="magenta")
    return out


def _turns(r: EpisodeResult) -> list[int]:
    return sorted(
        {m.turn for m in r.transcript}
        | {a.turn for a in r.actions}
        | {i.turn for i in r.interventions}
    )


def _agent_cell(r: EpisodeResult, turn: int) -> list[Text]:
    out = [
        Text(call_text(a), style="green" if a.ok else "red") for a in r.actions if a.turn == turn
    ]
    out += [
        Text(f"guard {i.guard}: {i.action} ({i.reason})", style="magenta")
        for i in r.interventions
        if i.turn == turn
    ]
    return out


def _lanes(seen: Episode, console: Console) -> None:
    r = seen.result
    table = Table(show_lines=True, expand=True, pad_edge=False)
    table.add_column("turn", justify="right", no_wrap=True)
    for who in [AGENT, *seen.people]:
        table.add_column(who, ratio=1, overflow="fold")
    for turn in _turns(r):
        cells: dict[str, list[Text]] = {who: [] for who in [AGENT, *seen.people]}
        for i, m in enumerate(r.transcript):
            if m.turn == turn:
                cells.setdefault(m.sender, []).append(_message(seen, i, timeline=False))
        cells[AGENT] += _agent_cell(r, turn)
        row = [Text("\n\n").join(cells.get(who, [])) for who in [AGENT, *seen.people]]
        table.add_row(str(turn), *row)
    console.print(table)


def _timeline(seen: Episode, console: Console) -> None:
    r = seen.result
    for turn in _turns(r):
        console.print(f"turn {turn}", style="bold underline")
        for i, m in enumerate(r.transcript):
            if m.turn == turn:
                console.print(Padding(_message(seen, i, timeline=True), (0, 0, 0, 2)))
        for text in _agent_cell(r, turn):
            console.print(Padding(Text("agent: ").append(text), (0, 0, 0, 2)))


def _heading(console: Console, title: str) -> None:
    console.print()
    console.print(title, style="bold underline")


def episode(seen: Episode, console: Console, layout: str = "auto") -> None:
    r, account = seen.result, seen.account
    title = Text(r.id, style="bold")
    title.append(f" · trial {r.trial} · {families.display(r.family)} · {cell_text(r.cell)}")
    console.print(title, highlight=False)
    turns = f"{r.turns} turn{'s' if r.turns != 1 else ''}"
    console.print(
        f"agent {r.agent} · users {r.users} · {turns} · ended: {r.ending or 'error'}",
        style="dim",
        highlight=False,
    )
    verdict = Text(account.verdict.upper(), style=STYLE[account.verdict])
    if account.reason:
        verdict.append("  " + account.reason)
    console.print(verdict, highlight=False)
    if account.truth:
        _heading(console, "Ground truth")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for what, value in account.truth:
            grid.add_row(what, value)
        console.print(grid)
    if account.people:
        _heading(console, "People")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for who, notes in account.people.items():
            grid.add_row(who, " · ".join(notes))
        console.print(grid)
    _heading(console, "Transcript: one lane per sender")
    narrow = console.width // (len(seen.people) + 1) < LANE_MIN
    if layout == "timeline" or (layout == "auto" and narrow):
        _timeline(seen, console)
    else:
        _lanes(seen, console)
    _details(seen, console)


def _details(seen: Episode, console: Console) -> None:
    r, account = seen.result, seen.account
    if account.failures:
        _heading(console, "Failed")
        for f in account.failures:
            where = f" (message {f.message})" if f.message is not None else ""
            console.print(Text(f"{f.name}: ", style="bold red").append(f.detail + where))
    if r.leaks:
        _heading(console, "Leaks")
        for leak in r.leaks:
            span = f" [{leak.span[0]}:{leak.span[1]}]" if leak.span else ""
            where = f" message {leak.message}{span}" if leak.message is not None else ""
            console.print(
                f"turn {leak.turn}: {leak.secret!r} of {leak.resource} → "
                f"{leak.recipient} via {leak.channel} ({leak.test}){where}"
                + (f"; {leak.note}" if leak.note else ""),
                highlight=False,
            )
    if r.findings:
        _heading(console, "Simulator audit")
        for f in r.findings:
            again = f", asked again {f.regenerated}×" if f.regenerated else ""
            console.print(f"turn {f.turn}: {f.user}: {f.check}: {f.detail}{again}", highlight=False)
    if r.interventions:
        _heading(console, "Guard interventions")
        for i in r.interventions:
            on = f" on {i.target}" if i.target else ""
            console.print(f"turn {i.turn}: {i.guard} {i.action}{on}: {i.reason}", highlight=False)
    errors = [r.error] if r.error else []
    errors += [f"turn {a.turn}: {call_text(a)}" for a in r.actions if not a.ok]
    errors += [f"turn {p.turn}: unreadable: {u}" for p in r.replies for u in p.unreadable]
    errors += [f"turn {p.turn}: {n}" for p in r.replies for n in p.notes]
    if errors:
        _heading(console, "Errors")
        for line in errors:
            console.print(line, style="yellow", highlight=False)
    scored = {k: v for k, v in r.metrics.items() if v is not None}
    if scored:
        _heading(console, "Metrics")
        console.print(" · ".join(f"{k} {number(v)}" for k, v in scored.items()), highlight=False)
    for note in account.notes:
        console.print(f"({note})", style="dim")
