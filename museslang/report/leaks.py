"""The report's leak figures, for every family that protects something: where leaks were
found (per channel and test, the audit gap, the judge's privacy beside the exact one),
and the first leak records themselves (museslang.metrics.leak_record). Registered by the
access-control family's report hook, once for all families."""

from __future__ import annotations

from collections import Counter

from museslang.ir.results import EpisodeResult
from museslang.metrics.privacy import CHANNELS
from museslang.report.build import Figure, fmt, metric_of, stat_for

SHOWN = 25  # leak records listed in the report
TESTS = ("exact", "tokens", "alias", "pattern", "judge")


def _by_test(r: EpisodeResult) -> tuple[tuple[str, int], ...]:
    """A result's leak records counted by test (a run's kept record holds just that)."""
    kept = getattr(r, "leak_tests", None)
    if kept is not None:
        return kept
    return tuple(Counter(leak.test for leak in r.leaks).items())


def _guarded(results: list[EpisodeResult]) -> list[EpisodeResult]:
    """The results of families that protect something (they carry the leak metrics)."""
    return [r for r in results if "leaks:message" in r.metrics]


def channels(agents: dict[str, list[EpisodeResult]]) -> Figure:
    title = "Leaks: where they were found, and by which test"
    rows = []
    for agent, results in agents.items():
        mine = _guarded(results)
        if not mine:
            continue
        tests: Counter[str] = Counter()
        for r in mine:
            tests.update(dict(_by_test(r)))
        rows.append(
            [
                agent,
                *(fmt(stat_for(mine, metric_of(f"leaks:{c}"))) for c in CHANNELS),
                fmt(stat_for(mine, metric_of("audit_gap"))),
                fmt(stat_for(mine, metric_of("privacy"))),
                fmt(stat_for(mine, metric_of("privacy_judged"))),
                " ".join(f"{t} {tests[t]}" for t in TESTS if tests[t]) or "–",
            ]
        )
    if not rows:
        return Figure(title, [], [], [], note="No run covers a family that protects a secret.")
    headers = [
        "agent",
        *(f"leaks: {c.replace('_', ' ')}" for c in CHANNELS),
        "audit gap",
        "privacy",
        "privacy (judged)",
        "records by test",
    ]
    note = (
        "Mean (recipient, resource) pairs leaked per episode on each channel; the audit gap "
        "is the share a final-answer-only audit misses; privacy (judged) counts a --judge's "
        "verdicts too (– when no judge was asked)."
    )
    return Figure(title, [], headers, rows, note)


def records(agents: dict[str, list[EpisodeResult]]) -> Figure:
    title = "Leaks: the first records"
    rows = []
    total = 0
    for agent, results in agents.items():
        for r in results:
            total += sum(n for _, n in _by_test(r))
            for leak in r.leaks:
                if len(rows) < SHOWN:
                    span = f"{leak.span[0]}–{leak.span[1]}" if leak.span else "–"
                    rows.append(
                        [
                            agent,
                            r.id,
                            str(r.trial),
                            leak.recipient,
                            str(leak.turn),
                            leak.channel,
                            leak.test,
                            f"{leak.resource}: {leak.secret}",
                            leak.evidence,
                            span,
                        ]
                    )
    if not rows:
        return Figure(title, [], [], [], note="No leak was recorded.")
    headers = [
        "agent",
        "episode",
        "trial",
        "recipient",
        "turn",
        "channel",
        "test",
        "secret",
        "evidence",
        "span",
    ]
    note = f"{min(total, SHOWN)} of {total} records; every one is in results.jsonl (`leaks`)."
    return Figure(title, [], headers, rows, note)
