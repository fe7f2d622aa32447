"""docs/reports.md and docs/samples/ are real output of the current code on the Japan scenario
(regenerate with ``python scripts/gen_docs.py``)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HASH = re.compile(r"\b[0-9a-f]{64}\b")


def test_reports_doc__is_current(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_reports_doc", ROOT / "scripts" / "gen_reports_doc.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for relative, text in module.build(tmp_path).items():
        committed = (ROOT / relative).read_text(encoding="utf-8")
        assert HASH.sub("<hash>", committed) == HASH.sub("<hash>", text), (
            f"{relative} is stale: run python scripts/gen_docs.py"
        )


def test_reports_doc__shows_a_small_screenshot_of_the_chart() -> None:
    """The PNG scripts/gen_reports_screenshot.py writes is committed, referenced and small."""
    doc = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    shot = ROOT / "docs" / "images" / "bridge-jp-defense-related-1-3.png"
    assert "(images/bridge-jp-defense-related-1-3.png)" in doc
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 100_000
