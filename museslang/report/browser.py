"""The report's episode browser: every episode of every run, searchable and filterable,
each opening into one column per user with what that user saw.

The page stays one file that opens offline: its script and styles are inline, and so is
the data of a small run. A large run (its episodes' data over `INLINE_BYTES`) keeps only
the list inline (one short row per episode) and writes the episodes, `CHUNK` to a file,
and the search words into `report-data/` beside the page, as scripts that the page adds
when they are needed: a browser loads a script from a neighbouring file, where it would
refuse a `fetch` of one, so the folder opens from a disk, a mail or a share as it is.

Every text from a run (messages are written by models and simulated attackers) reaches
the page as JSON data and is put on screen as text, never as markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from museslang import family as families
from museslang.files import write_atomic
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.report.episodes import Episode, call_text, cell_text, look, team_of

INLINE_BYTES = 4_000_000  # episodes' data up to this stays inside report.html
CHUNK = 100  # episodes per data file
DATA = "report-data"  # the folder beside report.html
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class RunTruth:
    """One run's results for the browser, with the episodes they ran (when known)."""

    path: str
    agent: str
    results: Iterable[EpisodeResult]  # read once, in order
    episodes: dict[str, EpisodeGraph] = field(default_factory=dict)
    note: str = ""  # why `episodes` is empty


@dataclass
class Browser:
    runs: list[dict[str, Any]]
    rows: list[dict[str, Any]]  # the list: one short row per result
    details: list[str]  # what opening one shows, as JSON (a large run holds 10,000)
    words: list[str]  # per result: the distinct words of its messages, for the search
    metrics: list[str]  # every metric with a number somewhere, in first-seen order

    @property
    def families(self) -> list[str]:
        return list(dict.fromkeys(r["f"] for r in self.rows))


def _round(value: object) -> object:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def words(result: EpisodeResult) -> str:
    seen = dict.fromkeys(w for m in result.transcript for w in _WORD.findall(m.text.lower()))
    return " ".join(seen)


def _row(seen: Episode) -> dict[str, Any]:
    r, account = seen.result, seen.account
    numbers = {k: _round(v) for k, v in r.metrics.items() if isinstance(v, int | float)}
    return {
        "k": seen.key,
        "id": r.id,
        "t": r.trial,
        "r": seen.run,
        "f": r.family,
        "s": r.scenario,
        "c": cell_text(r.cell),
        "v": account.verdict,
        "y": account.reason or "",
        "n": team_of(r),
        "m": numbers,
    }


def _detail(seen: Episode) -> dict[str, Any]:
    r, account = seen.result, seen.account
    people = [{"id": who, "notes": account.people.get(who, [])} for who in seen.people]
    messages = []
    for i, m in enumerate(r.transcript):
        marks = [[k.start, k.end, k.label, k.kind, k.user] for k in seen.marks.get(i, [])]
        flags = [[who, text] for who, text in seen.flagged.get(i, [])]
        flags += [[f.user, f"audit: {f.check}: {f.detail}"] for f in r.findings if f.message == i]
        messages.append(
            {
                "t": m.turn,
                "s": m.sender,
                "to": m.to,
                "x": m.text,
                "k": m.kind,
                "marks": marks,
                "flags": flags,
            }
        )
    notes = [
        f"{n}" for p in r.replies for n in (*p.notes, *(f"unreadable: {u}" for u in p.unreadable))
    ]
    row = _row(seen)
    del row["m"]  # the detail's metrics say them all
    return {
        **row,
        "fd": families.display(r.family),
        "agent": r.agent,
        "users": r.users,
        "turns": r.turns,
        "ending": r.ending,
        "error": r.error,
        "people": people,
        "msgs": messages,
        "acts": [{"t": a.turn, "x": call_text(a), "ok": a.ok} for a in r.actions],
        "truth": account.truth,
        "fails": [
            {"n": f.name, "d": f.detail, "m": f.message, "u": f.user} for f in account.failures
        ],
        "leaks": [leak.model_dump(mode="json") for leak in r.leaks],
        "finds": [f.model_dump(mode="json") for f in r.findings],
        "ints": [i.model_dump(mode="json") for i in r.interventions],
        "metrics": {k: _round(v) for k, v in r.metrics.items() if v is not None},
        "notes": [*account.notes, *notes],
    }


def collect(runs: list[RunTruth]) -> Browser:
    """Every result of every run, explained, as the page's rows and details."""
    rows, details, said = [], [], []
    metrics: dict[str, None] = {}
    for index, run in enumerate(runs):
        for result in run.results:
            episode = run.episodes.get(result.id)
            seen = look(result, episode, run=index)
            rows.append(_row(seen))
            details.append(_json(_detail(seen)))
            said.append(words(result))
            metrics.update(dict.fromkeys(rows[-1]["m"]))
    listed = [{"path": r.path, "agent": r.agent, "note": r.note} for r in runs]
    return Browser(listed, rows, details, said, list(metrics))


def _json(value: object) -> str:
    """JSON that is safe inside a <script> element and a script file."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _asset(name: str) -> str:
    return files("museslang.report").joinpath(name).read_text(encoding="utf-8")


def styles() -> str:
    return _asset("browser.css")


def page(browser: Browser, inline_bytes: int = INLINE_BYTES) -> tuple[str, dict[str, str]]:
    """The browser's part of report.html, and the data files (name -> text, under
    `DATA/`) it needs beside it; none when everything fits inline."""
    details = browser.details
    inline = sum(len(d) for d in details) <= inline_bytes
    head = {
        "runs": browser.runs,
        "rows": browser.rows,
        "metrics": browser.metrics,
        "families": {f: families.display(f) for f in browser.families},
        "chunk": CHUNK,
        "data": DATA,
    }
    data_files: dict[str, str] = {}
    if inline:
        head |= {"details": None, "words": browser.words}
        blob = _json(head)[:-1] + ',"inline":[' + ",".join(details) + "]}"
    else:
        for start in range(0, len(details), CHUNK):
            part = ",".join(details[start : start + CHUNK])
            name = f"episodes-{start // CHUNK:05d}.js"
            data_files[name] = f"museslangEpisodes({start // CHUNK},[{part}]);\n"
        data_files["search.js"] = f"museslangWords({_json(browser.words)});\n"
        blob = _json(head | {"details": len(details), "words": None})
    html = (
        '<section id="episodes">\n<h2>Episodes</h2>\n'
        '<p class="note">Every episode of every run: search the messages, filter, and open '
        "one to see each user's lane: what they said and what reached them.</p>\n"
        '<div id="ep-app"><p class="note">The episode browser needs JavaScript.</p></div>\n'
        "</section>\n"
        f'<script type="application/json" id="ep-data">{blob}</script>\n'
        f"<script>\n{_asset('browser.js')}</script>\n"
    )
    return html, data_files


def write_files(folder: Path, written: dict[str, str]) -> None:
    """The data files into `folder/DATA/`, replacing those of an earlier report there;
    without any, that folder's old data files are removed (the page holds everything)."""
    data = folder / DATA
    for old in (*data.glob("episodes-*.js"), data / "search.js"):
        if old.name not in written:
            old.unlink(missing_ok=True)
    if not written:
        if data.is_dir() and not any(data.iterdir()):
            data.rmdir()
        return
    data.mkdir(exist_ok=True)
    for name, text in written.items():
        write_atomic(data / name, text)
