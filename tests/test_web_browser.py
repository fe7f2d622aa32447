"""The web view in a real browser: ``defledger serve`` started on a free port in a subprocess,
driven by Debian's Chromium through Playwright (tests/helpers/browser.py). Every page loads with no
console error or warning, no failed request and no script run from the data (a hostile value
that would open a dialog), never scrolls sideways at 390 or 1,280 px; the charts are drawn (the
SVG's lines, points, targets and bars; the Vega-Lite view when opened); the as-of control
changes the numbers; clicking a total reaches its trace and an event.

Screenshots go to tests/artifacts/browser/web-NAME-WIDTH.png (git-ignored). Skipped, saying
why, without Playwright or Chromium (.ci/run installs Chromium)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.browser import ARTIFACTS, TAKEN, chromium, unavailable

pytest.importorskip("flask")
pytest.importorskip("waitress")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "ledger" / "demo" / "seed" / "japan.jsonl"
D = "jp-defense-related"
HOSTILE = {
    "type": "BudgetLineRecorded", "jurisdiction": "JP", "fiscal_year": 2025,
    "line_id": "HOSTILE-1", "agency": "<img src=x onerror=alert(1)>",
    "program": '<script>alert("x")</script>', "category": "JP.CORE.DBP", "amount": "1000000",
    "currency": "JPY", "stage": "initial",
}  # fmt: skip
PAGES = {
    "overview": "/",
    "definitions": "/definitions",
    "definition": f"/definitions/{D}",
    "diff": f"/diff?a={D}@2&b={D}@3&fy=2025",
    "number": f"/number?jurisdiction=JP&fy=2025&definition={D}@2",
    "events": "/events",
    "event": "/events/42",
    "claims": "/claims",
}
WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``defledger serve --port 0`` on the Japan scenario (plus a hostile line), with a
    checkpoint; yields its base URL."""
    from cli.app import cli

    reason = unavailable()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    work = tmp_path_factory.mktemp("serve")
    db, extra = work / "japan.db", work / "hostile.jsonl"
    extra.write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    for path in (SEED, extra):
        done = CliRunner().invoke(cli, ["--db", str(db), "import", str(path)])
        assert done.exit_code == 0, done.output
    checkpoint = work / "ledger.checkpoint"
    done = CliRunner().invoke(cli, ["--db", str(db), "checkpoint", "-o", str(checkpoint)])
    assert done.exit_code == 0, done.output
    command = [sys.executable, "-c", "from cli.app import main; main()", "--db", str(db),
               "serve", "--port", "0", "--checkpoint", str(checkpoint)]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=work)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
        assert found, f"serve did not start: {line!r}"
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as found:
        yield found


class Watched:
    """A page with everything that went wrong on it recorded."""

    def __init__(self, browser: Any, width: int) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on("dialog", self._dialog)
        self.page.on(
            "response",
            lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else 0,
        )

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"a script ran: dialog {dialog.message!r}")
        dialog.dismiss()

    def overflow(self) -> tuple[int, int]:
        found = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        return int(found[0]), int(found[1])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_web_browser__every_page_loads_clean_and_fits(
    browser: Any, server: str, name: str, width: int
) -> None:
    watched = Watched(browser, width)
    try:
        watched.page.goto(server + PAGES[name])
        watched.page.wait_for_load_state("networkidle")
        shot = ARTIFACTS / f"web-{name}-{width}.png"
        watched.page.screenshot(path=str(shot), full_page=True)
        TAKEN.append(shot.name)
        scroll, inner = watched.overflow()
    finally:
        watched.page.close()
    assert watched.problems == []
    assert scroll <= inner, f"{name} at {width} px scrolls sideways: {scroll} > {inner}"


def test_web_browser__charts_are_drawn(browser: Any, server: str) -> None:
    watched = Watched(browser, 1280)
    try:
        page = watched.page
        page.goto(server + "/")
        assert page.locator("svg.trend path.line").count() >= 4
        assert page.locator("svg.trend circle.point").count() >= 15
        assert page.locator("svg.trend line.target").count() >= 3
        box = page.locator("svg.trend").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200
        page.locator("details.interactive summary").click()
        page.wait_for_selector("details.interactive .vega-embed svg .mark-line path")
        assert page.locator("details.interactive .vega-embed svg .mark-symbol path").count() >= 15
        page.goto(server + PAGES["diff"])
        assert page.locator("svg.bridge rect.bar").count() >= 3
    finally:
        page.close()
    assert watched.problems == []


def test_web_browser__the_as_of_control_changes_the_numbers(browser: Any, server: str) -> None:
    watched = Watched(browser, 1280)
    try:
        page = watched.page
        page.goto(server + "/")
        now = page.locator("table.pivot").inner_text()
        page.fill("#as_of", "99")
        with page.expect_navigation():
            page.click("form.asof button")
        assert "as_of=99" in page.url
        then = page.locator("table.pivot").inner_text()
        assert "what the ledger knew at seq 99" in page.locator("p.moment").inner_text()
        with page.expect_navigation():
            page.click("nav a[href^='/definitions']")
        assert "as_of=99" in page.url  # time travel follows the links
    finally:
        page.close()
    assert then != now
    assert watched.problems == []


def test_web_browser__a_total_leads_to_its_events(browser: Any, server: str) -> None:
    watched = Watched(browser, 1280)
    try:
        page = watched.page
        page.goto(server + "/")
        with page.expect_navigation():
            page.locator("a.total").first.click()
        assert "/number?" in page.url
        assert page.locator("table.trace tr").count() > 3
        with page.expect_navigation():
            page.locator("table.trace a[href^='/events/']").first.click()
        assert re.search(r"/events/\d+$", page.url)
        heading = page.locator("h1").inner_text()
        assert heading.startswith("Event ")
        assert "leaf" in page.locator("#proof-status").inner_text()
    finally:
        page.close()
    assert watched.problems == []
