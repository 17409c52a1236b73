"""A report as Markdown (tables) and as one self-contained HTML file (tables, SVG plots and
the episode browser).

The HTML fetches nothing (no fonts, no links, no outside scripts; its own script is
inline): it opens offline, in a browser or a mail attachment, exactly as written. Only a
large run's episodes come from the data files beside it (museslang.report.browser).
"""

from __future__ import annotations

from html import escape

from museslang.metrics import paper_table
from museslang.report import browser
from museslang.report.build import Figure, Report

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; font-size: 0.9em; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
"""


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def to_markdown(report: Report) -> str:
    out = ["# museslang report", "", "## Runs", ""]
    out.append(
        _md_table(
            ["run", "agent", "scoring", "results"],
            [[p, a, s, str(n)] for p, a, s, n in report.runs],
        )
    )
    out += ["", "## The paper's table", "", paper_table.markdown(report.table).rstrip()]
    if note := _split_note(report):
        out += ["", note]
    for fig in report.figures:
        out += ["", f"## {fig.title}", ""]
        if fig.note:
            out += [fig.note, ""]
        if fig.rows:
            out.append(_md_table(fig.headers, fig.rows))
    out += _episodes_md(report)
    out += ["", "Plots and every episode's transcript: see report.html next to this file.", ""]
    return "\n".join(out)


LISTED = 50  # failed episodes listed in report.md before "and N more"


def _episodes_md(report: Report) -> list[str]:
    if report.episodes is None or not report.episodes.rows:
        return []
    rows = report.episodes.rows
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["v"]] = counts.get(r["v"], 0) + 1
    out = ["", "## Episodes", "", ", ".join(f"{n} {v}" for v, n in counts.items()) + "."]
    failed = [r for r in rows if r["v"] in ("failed", "errored")]
    if failed:
        several = len(report.runs) > 1
        listed = [[report.runs[r["r"]][0], r["id"], str(r["t"]), r["v"], r["y"]]
                  for r in failed[:LISTED]]  # fmt: skip
        headers = ["run", "episode", "trial", "status", "why"]
        cut = 0 if several else 1
        out += ["", _md_table(headers[cut:], [row[cut:] for row in listed])]
        if len(failed) > LISTED:
            out.append(f"\n... and {len(failed) - LISTED} more: `museslang show RUN --failed`.")
    return out


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _paper_html(report: Report) -> str:
    headers = ["Agent", *paper_table.headings(report.table)]
    marks = {h: paper_table.ranks(report.table, h) for h in paper_table.headings(report.table)}
    rows = []
    for i, row in enumerate(report.table):
        cells = [f"<td>{escape(row.name or row.agent)}</td>"]
        for h in paper_table.headings(report.table):
            text = escape(paper_table.cell_text(row.cells[h], " ± "))
            place = marks[h].get(i)
            if place == 1:
                text = f"<b>{text}</b>"
            elif place == 2:
                text = f"<u>{text}</u>"
            cells.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _split_note(report: Report) -> str:
    split = paper_table.split_agents(report.table)
    if not split:
        return ""
    return (f"Rows are one per agent and benchmark: {', '.join(split)} ran several specs of "
            "one family, and each is shown on its own row, not averaged together.")  # fmt: skip


def _figure_html(fig: Figure) -> str:
    parts = [f"<h2>{escape(fig.title)}</h2>"]
    if fig.note:
        parts.append(f'<p class="note">{escape(fig.note)}</p>')
    if fig.svgs:
        parts.append('<div class="charts">' + "".join(fig.svgs) + "</div>")
    if fig.rows:
        parts.append(_html_table(fig.headers, fig.rows))
    return "\n".join(parts)


def to_html(
    report: Report, inline_bytes: int = browser.INLINE_BYTES
) -> tuple[str, dict[str, str]]:
    """The page, and the data files it needs in `browser.DATA/` beside it (none when every
    episode fits inside the page)."""
    runs = _html_table(
        ["run", "agent", "scoring", "results"], [[p, a, s, str(n)] for p, a, s, n in report.runs]
    )
    episodes, files = ("", {})
    if report.episodes is not None:
        episodes, files = browser.page(report.episodes, inline_bytes)
    n = len(report.episodes.rows) if report.episodes is not None else 0
    body = [
        "<h1>museslang report</h1>",
        f'<nav class="top"><a href="#runs">Runs and tables</a><a href="#episodes">Episodes '
        f"({n})</a></nav>",
        '<h2 id="runs">Runs</h2>',
        runs,
        "<h2>The paper's table</h2>",
        '<p class="note">Mean ± standard error over episodes; best in bold, second underlined.</p>',
        _paper_html(report),
        *([f'<p class="note">{escape(n)}</p>'] if (n := _split_note(report)) else []),
        *(_figure_html(f) for f in report.figures),
        episodes,
    ]
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>museslang report</title>\n"
        f"<style>{_CSS}{browser.styles()}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    return page, files
