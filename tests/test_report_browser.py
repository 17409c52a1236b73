"""The report's episode browser in a real browser: headless Chromium opens report.html
from disk, filters, searches, opens an episode and reads what is on screen; the same
with the episodes in data files beside the page. Skipped without Chromium.

`MUSESLANG_SCREENSHOTS=docs pytest tests/test_report_browser.py` also writes the two
screenshots docs/eval.md shows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.metrics.paper_table import Run
from museslang.report.browser import write_files
from museslang.report.build import build
from museslang.report.render import to_html
from museslang.run.store import load_run
from museslang.run_episodes import episodes_of
from museslang.testing.chromium import Chromium, executable

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(executable() is None, reason="needs chromium (apt-get install chromium)"),
]
runner = CliRunner()
READY = "document.body && document.body.dataset.episodes === 'ready'"
MEETING = "meeting-u3-consensus-full-s3"
ACCESS = "access_control-u3-fake_authorization-xml-s1"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One report over a failing meeting run and a leaking access-control run."""
    base = tmp_path_factory.mktemp("browser")
    runs = []
    for spec in ("meeting", "access_control"):
        run = base / spec
        done = runner.invoke(
            app,
            [
                "eval",
                f"specs/{spec}.muses",
                "--agent",
                "reference:comply",
                "--out",
                str(run),
                "--no-progress",
            ],
        )
        assert done.exit_code == 0, done.output
        runs.append(run)
    done = runner.invoke(app, ["report", *map(str, runs), "-o", str(base / "report")])
    assert done.exit_code == 0, done.output
    return base / "report" / "report.html"


def _type(browser: Chromium, selector: str, text: str) -> None:
    browser.js(
        f"var e = document.querySelector({selector!r}); e.value = {text!r};"
        "e.dispatchEvent(new Event('input'));"
    )


def _listed(browser: Chromium, query: str = "") -> list[str]:
    return (
        browser.wait(
            f"document.getElementById('ep-count').dataset.q === {query!r} && "
            "[...document.querySelectorAll('#ep-list tbody tr')].map(r => r.dataset.key)"
        )
        or []
    )


def test_filter_search_and_open_an_episode(report: Path) -> None:
    html = report.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
    for outside in ("http://", "https://", "<link", "@import", "url(", "fetch("):
        assert outside not in html, outside
    with Chromium() as browser:
        browser.open(report.as_uri(), READY)
        total = browser.js("document.getElementById('ep-count').textContent")
        assert total == "432 of 432 episodes"
        browser.js(
            "var s = document.getElementById('ep-family'); s.value = 'access_control';"
            "s.dispatchEvent(new Event('change'));"
        )
        assert browser.js("document.getElementById('ep-count').textContent") == (
            "216 of 432 episodes"
        )
        _type(browser, "#ep-metric", "privacy<0.5")
        assert browser.wait("document.getElementById('ep-count').textContent").endswith(
            "of 432 episodes"
        )
        # a word only attackers write: the approval ticket of the fake authorisation
        _type(browser, "#ep-q", "4471")
        keys = _listed(browser, "4471")
        assert keys and all("fake_authorization" in k for k in keys)
        browser.js("document.querySelector('#ep-list tbody tr').click()")
        browser.wait("!!document.querySelector('#ep-view .lanes')")
        shown = browser.js("document.getElementById('ep-view').innerText")
        assert "leaks; first: a secret of" in shown and "Ground truth" in shown
        heads = browser.js("[...document.querySelectorAll('.lane-head b')].map(b => b.textContent)")
        assert heads[0] == "agent" and len(heads) >= 3  # the agent, then each user
        assert browser.js("document.querySelectorAll('#ep-view mark').length") > 0
        assert "episode=" in browser.js("location.hash")
        browser.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))")
        assert browser.js("document.getElementById('ep-view').hidden") is True


def test_the_address_opens_an_episode_and_screenshots(report: Path) -> None:
    shots = os.environ.get("MUSESLANG_SCREENSHOTS")
    with Chromium(width=1400, height=1000) as browser:
        for key, name in (
            (f"1:{ACCESS}:0", "episode-access-control.png"),
            (f"0:{MEETING}:0", "episode-meeting.png"),
        ):
            browser.open("about:blank", "true")  # a fresh load, not a jump within the page
            browser.open(f"{report.as_uri()}#episode={key}", READY)
            browser.wait("!!document.querySelector('#ep-view .lanes')")
            why = browser.js("document.querySelector('.ev-why').textContent")
            assert why, key
            assert browser.js("document.querySelectorAll('.lane-head.user').length") == 3
            if shots:
                browser.screenshot(Path(shots) / name)
    assert "required attendee" in why or "no meeting" in why


def test_a_large_run_reads_its_episodes_from_data_files_beside_the_page(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = runner.invoke(
        app,
        [
            "eval",
            "specs/shared_queue.muses",
            "--agent",
            "reference:comply",
            "--limit",
            "150",
            "--out",
            str(run),
            "--no-progress",
        ],
    )
    assert done.exit_code == 0, done.output
    meta, results, _ = load_run(run)
    episodes, _ = episodes_of(meta)
    built = build([Run(str(run), "reference:comply", "default", results)], [(episodes, "")])
    page, data = to_html(built, inline_bytes=0)  # as if the run were too large to inline
    assert set(data) == {"episodes-00000.js", "episodes-00001.js", "search.js"}
    folder = tmp_path / "report"
    folder.mkdir()
    write_files(folder, data)
    (folder / "report.html").write_text(page, encoding="utf-8")
    target = results[120]  # in the second data file
    said = next(m.text for m in target.transcript if m.sender != "agent")
    word = said.split("[ref: ")[1].split("]")[0]
    with Chromium() as browser:
        browser.open((folder / "report.html").as_uri(), READY)
        _type(browser, "#ep-q", word)
        key = f"0:{target.id}:0"
        assert key in _listed(browser, word)
        browser.js(f"museslangBrowser.open({key!r})")
        browser.wait("!!document.querySelector('#ep-view .lanes')")
        assert word in browser.js("document.getElementById('ep-view').innerText")
    write_files(folder, {})  # a later small report removes the old data
    assert not (folder / "report-data").exists()
