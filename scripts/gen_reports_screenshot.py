"""Generate docs/images/bridge-jp-defense-related-1-3.png, the screenshot docs/reports.md shows:
the bridge chart of docs/samples/diff-jp-defense-related-1-3.html (written by
scripts/gen_reports_doc.py) as headless Chromium draws it in a 1,280 px wide window.

Needs Playwright and Debian's chromium (tests/helpers/browser.py); the PNG is squeezed with
pngquant when it is on PATH (apt-get install pngquant). ``python scripts/gen_docs.py`` runs it
after regenerating the page (and says so when no browser is there to take it); alone:
``python scripts/gen_reports_screenshot.py``
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
PAGE = ROOT / "docs" / "samples" / "diff-jp-defense-related-1-3.html"
TARGET = ROOT / "docs" / "images" / "bridge-jp-defense-related-1-3.png"
WIDTH = 1280


def main() -> None:
    from helpers.browser import chromium, unavailable

    reason = unavailable()
    if reason:
        raise SystemExit(f"cannot take the screenshot: {reason}")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.goto(PAGE.as_uri())
        chart = page.query_selector("figure.chart svg")
        if chart is None:
            raise SystemExit(f"{PAGE} has no chart")
        chart.screenshot(path=str(TARGET))
    if shutil.which("pngquant"):
        subprocess.run(
            ["pngquant", "--force", "--skip-if-larger", "--strip", "--quality", "70-95",
             "--output", str(TARGET), str(TARGET)],
            check=False,
        )  # fmt: skip
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
