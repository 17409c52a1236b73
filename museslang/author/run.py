"""`museslang author`: a model writes scenarios of a family; each is checked, gated and
audited, its diagnostics go back to the model for repair rounds, and only what museslang
accepts is kept. Every attempt is one line of `author.jsonl`, written when it ends, so an
interrupted run loses nothing and `resume` continues after the last finished attempt."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museslang.author.dedup import Seen
from museslang.author.models import Author, AuthorError
from museslang.author.prompt import SYSTEM, Task, extract, prompt_hash, repair
from museslang.author.properties import Requested, achieved, draw, meets
from museslang.author.verdict import judge
from museslang.files import write_atomic
from museslang.safetext import redact

JOURNAL, REPORT, DRAFTS = "author.jsonl", "author.json", "drafts"


@dataclass(frozen=True)
class AuthorRequest:
    """What to write: `count` attempts, the categories taken in turn."""

    family: str
    out: Path
    count: int
    example: str  # a spec of the family, shown to the model as its pattern
    categories: tuple[str, ...] = ("general",)
    brief: str = ""
    rounds: int = 3  # repair rounds after the first draft
    users: tuple[int, int] = (2, 6)
    conflict_share: float = 0.5
    attacks: tuple[str, ...] = ()
    seed: int = 0
    resume: bool = False
    summary: str = ""
    fields: str = ""


@dataclass
class Attempt:
    """One attempt's record (a line of author.jsonl)."""

    attempt: int
    category: str
    requested: dict[str, Any]
    prompt: str  # the first request's hash
    rounds: int = 0  # drafts the model wrote (1: kept or rejected as first written)
    codes: list[list[str]] = field(default_factory=list)  # each round's error codes
    kept: str | None = None  # the kept file's name
    rejected: str | None = None  # why not: diagnostics | duplicate | empty
    duplicate_of: str | None = None
    achieved: dict[str, Any] | None = None
    met: dict[str, bool] | None = None


@dataclass
class AuthorReport:
    family: str
    model: str
    attempts: list[Attempt]

    @property
    def kept(self) -> list[Attempt]:
        return [a for a in self.attempts if a.kept]

    def summary(self) -> dict[str, Any]:
        kept = self.kept
        every = [c for a in self.attempts for r in a.codes for c in r]
        last = [c for a in self.attempts if a.rejected == "diagnostics" for c in a.codes[-1]]

        def spread(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
            return dict(sorted(Counter(json.dumps(r[key]) for r in rows).items()))

        asked = [a.requested for a in self.attempts]
        got = [a.achieved for a in kept if a.achieved]
        met_keys = sorted({k for a in kept for k in (a.met or {})})
        return {
            "family": self.family,
            "model": self.model,
            "attempted": len(self.attempts),
            "kept": len(kept),
            "yield": round(len(kept) / len(self.attempts), 4) if self.attempts else 0.0,
            "repaired": sum(a.rounds > 1 for a in kept),
            "rounds_per_kept": dict(sorted(Counter(str(a.rounds) for a in kept).items())),
            "rejected": dict(
                sorted(Counter(a.rejected for a in self.attempts if a.rejected).items())
            ),
            "diagnostics": Counter(every).most_common(10),
            "final_diagnostics": Counter(last).most_common(10),
            "requested": {k: spread(asked, k) for k in ("users", "conflicts", "attack")},
            "requested_of_kept": {
                k: spread([a.requested for a in kept], k) for k in ("users", "conflicts", "attack")
            },
            "achieved": {k: spread(got, k) for k in ("users", "conflicts", "attacks")},
            "met": {
                k: f"{sum((a.met or {}).get(k, False) for a in kept)}/"
                f"{sum(k in (a.met or {}) for a in kept)}"
                for k in met_keys
            },
        }

    def lines(self) -> list[str]:
        s = self.summary()
        out = [
            f"author {s['model']} on {s['family']}: kept {s['kept']} of {s['attempted']} "
            f"attempts (yield {s['yield']:.0%}; {s['repaired']} after repair)",
            "  rounds per kept file: "
            + (", ".join(f"{k}: {v}" for k, v in s["rounds_per_kept"].items()) or "-"),
            "  rejected: " + (", ".join(f"{k} {v}" for k, v in s["rejected"].items()) or "none"),
            "  most common diagnostics: "
            + (", ".join(f"{c} x{n}" for c, n in s["diagnostics"]) or "none"),
        ]
        for k in ("users", "conflicts", "attack"):
            asked = s["requested"][k]
            if k == "attack" and list(asked) == ["null"]:
                continue
            got = s["achieved"]["attacks" if k == "attack" else k]
            met = s["met"].get(k, "-")
            out.append(f"  {k}: asked {_fmt(asked)}; kept files have {_fmt(got)}; as asked {met}")
        return out


def _fmt(spread: dict[str, int]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in spread.items()) or "-"


def _header(model: str, attempt: Attempt, requested: Requested, got: dict[str, Any]) -> str:
    repairs = attempt.rounds - 1
    return (
        "\n".join(
            [
                "# Written by `museslang author` and kept: it checks, the reference oracle",
                "# passes every episode, the mutation audit found no scorer that passes a",
                "# damaged play, and no kept scenario repeats it.",
                f"# model: {redact(model)}",
                f"# prompt: {attempt.prompt}  category: {attempt.category}"
                f"  attempt: {attempt.attempt}",
                f"# rounds: {attempt.rounds} (the first draft and {repairs} "
                f"repair{'s' * (repairs != 1)})",
                f"# asked: {requested.words()}",
                f"# got: users {got['users']}, conflicts {'yes' if got['conflicts'] else 'no'}"
                + (f", attacks {', '.join(got['attacks'])}" if got["attacks"] else ""),
                "",
            ]
        )
        + "\n"
    )


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")[:40] or "general"


async def _one(
    request: AuthorRequest, author: Author, index: int, seen: Seen, drafts: Path
) -> Attempt:
    category = request.categories[index % len(request.categories)]
    requested = draw(request.seed, index, request.users, request.conflict_share, request.attacks)
    task = Task(
        request.family,
        request.brief,
        category,
        requested,
        request.example,
        request.summary,
        request.fields,
    )
    chat = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task.first()}]
    record = Attempt(index, category, requested.as_dict(), prompt_hash(chat))
    draft = drafts / f"attempt-{index:04d}.muses"
    for round in range(request.rounds + 1):
        reply = await author.write(chat, attempt=index, round=round)
        source = extract(reply)
        write_atomic(draft, source)
        # the gate plays episodes in an event loop of its own: off this one
        verdict = await asyncio.to_thread(judge, draft, request.family)
        record.rounds = round + 1
        record.codes.append(verdict.codes)
        if verdict.ok:
            twin = seen.duplicate(source, verdict.titles)
            if twin is not None:
                record.rejected, record.duplicate_of = "duplicate", twin
                draft.unlink(missing_ok=True)
                return record
            got = achieved(verdict.episodes)
            record.achieved, record.met = got, meets(requested, got)
            name = f"{_slug(category)}-{index:04d}.muses"
            write_atomic(request.out / name, _header(author.spec, record, requested, got) + source)
            seen.add(source, verdict.titles, name)
            record.kept = name
            draft.unlink(missing_ok=True)
            return record
        chat += [
            {"role": "assistant", "content": reply},
            {"role": "user", "content": repair(verdict.text)},
        ]
    record.rejected = "empty" if not source else "diagnostics"
    return record


async def _resumed(request: AuthorRequest, seen: Seen) -> list[Attempt]:
    journal = request.out / JOURNAL
    if not journal.exists():
        return []
    if not request.resume:
        raise AuthorError(
            f"{request.out} already holds an author run: --resume to continue it, "
            "or give another --out"
        )
    done: list[Attempt] = []
    for n, line in enumerate(journal.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            done.append(Attempt(**json.loads(line)))
        except (ValueError, TypeError):
            raise AuthorError(f"{journal}:{n}: not an author record; move the file away") from None
    for a in done:
        if a.kept and (request.out / a.kept).exists():
            text = (request.out / a.kept).read_text(encoding="utf-8")
            titles = (await asyncio.to_thread(judge, request.out / a.kept, request.family)).titles
            seen.add(text, titles, a.kept)
    return done


async def write_scenarios(
    request: AuthorRequest, author: Author, progress: Callable[[Attempt], None] | None = None
) -> AuthorReport:
    """Run the attempts not yet in the journal; the report covers every attempt."""
    if request.count < 1:
        raise AuthorError("--count must be at least 1")
    if request.rounds < 0:
        raise AuthorError("--rounds must be 0 or more")
    request.out.mkdir(parents=True, exist_ok=True)
    drafts = request.out / DRAFTS
    drafts.mkdir(exist_ok=True)
    seen = Seen()
    done = await _resumed(request, seen)
    finished = {a.attempt for a in done}
    await author.preflight()
    try:
        with (request.out / JOURNAL).open("a", encoding="utf-8") as journal:
            for index in range(request.count):
                if index in finished:
                    continue
                record = await _one(request, author, index, seen, drafts)
                journal.write(json.dumps(record.__dict__, sort_keys=True) + "\n")
                journal.flush()
                done.append(record)
                if progress is not None:
                    progress(record)
    finally:
        await author.aclose()
    done.sort(key=lambda a: a.attempt)
    report = AuthorReport(request.family, redact(author.spec), done)
    write_atomic(request.out / REPORT, json.dumps(report.summary(), indent=2) + "\n")
    return report


def author(
    request: AuthorRequest, model: Author, progress: Callable[[Attempt], None] | None = None
) -> AuthorReport:
    return asyncio.run(write_scenarios(request, model, progress))
