"""Generate the screenshots docs/web.md shows: each page of ``defledger serve`` on the shipped
Japan scenario (with a checkpoint, so event pages carry their proof), as headless Chromium draws
the top of it in a 1,280 × 900 window (the overview also at a phone's 390 px), into
docs/images/web-*.png.

Needs the extra ``web``, Playwright and Debian's chromium (tests/helpers/browser.py), and a
Japanese font for the Japanese text (.ci/run installs fonts-ipafont-gothic); the PNGs are
squeezed with pngquant when it is on PATH. ``python scripts/gen_docs.py`` runs it (or alone:
``python scripts/gen_web_screenshots.py``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
SEED = ROOT / "ledger" / "demo" / "seed" / "japan.jsonl"
IMAGES = ROOT / "docs" / "images"
D = "jp-defense-related"
# (file name, path, viewport width): one screenshot per page at 1,280 px
SHOTS = (
    ("web-overview.png", "/", 1280),
    ("web-overview-390.png", "/", 390),
    ("web-definition.png", f"/definitions/{D}", 1280),
    ("web-diff.png", f"/diff?a={D}@2&b={D}@3&fy=2025", 1280),
    ("web-number.png", f"/number?jurisdiction=JP&fy=2025&definition={D}@2", 1280),
    ("web-events.png", "/events?after=60", 1280),
    ("web-event.png", "/events/99", 1280),
    ("web-claims.png", "/claims", 1280),
    ("web-as-of.png", "/?as_of=99", 1280),
)


def main() -> None:
    from click.testing import CliRunner
    from helpers.browser import chromium, unavailable

    from cli.app import cli

    reason = unavailable()
    if reason:
        raise SystemExit(f"cannot take the screenshots: {reason}")
    work = Path(tempfile.mkdtemp(prefix="defledger-shots-"))
    db, checkpoint = work / "japan.db", work / "ledger.checkpoint"
    for args in (["import", str(SEED)], ["checkpoint", "-o", str(checkpoint)]):
        done = CliRunner().invoke(cli, ["--db", str(db), *args])
        if done.exit_code != 0:
            raise SystemExit(done.output)
    command = [sys.executable, "-c", "from cli.app import main; main()", "--db", str(db),
               "serve", "--port", "0", "--checkpoint", str(checkpoint)]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        found = re.search(r"at (http://127\.0\.0\.1:\d+)/", process.stderr.readline())
        if not found:
            raise SystemExit("serve did not start")
        IMAGES.mkdir(parents=True, exist_ok=True)
        with chromium() as browser:
            for name, path, width in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(found.group(1) + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(IMAGES / name))
                page.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    for name, _, _ in SHOTS:
        target = IMAGES / name
        if shutil.which("pngquant"):
            subprocess.run(
                ["pngquant", "--force", "--skip-if-larger", "--strip", "--quality", "60-90",
                 "--output", str(target), str(target)],
                check=False,
            )  # fmt: skip
        print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
