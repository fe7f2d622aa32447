"""Headless Chromium for the tests that look at the HTML reports (and for
scripts/gen_reports_screenshot.py): Debian's ``chromium`` driven by Playwright, never a browser
that Playwright would download (``playwright install`` is never run)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
TAKEN: list[str] = []  # the screenshots written in this run (for the terminal summary)


def chromium_path() -> str | None:
    """``DEFLEDGER_CHROMIUM``, else the ``chromium`` on PATH (Debian's package)."""
    found = os.environ.get("DEFLEDGER_CHROMIUM") or shutil.which("chromium")
    found = found or shutil.which("chromium-browser")
    return found if found and Path(found).exists() else None


def unavailable() -> str | None:
    """Why no browser test can run here, or None when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "no Chromium found (apt-get install chromium; .ci/run installs it when absent)"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
