"""docs/comparisons.md shows real output: every ``$ defledger …`` command of its console
blocks is run again, in order, on a fresh ledger, and must print what the page shows (times
aside). ``DEFLEDGER_REGEN_DOCS=1 pytest tests/test_docs_comparisons.py`` rewrites the
outputs."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from helpers.doc_console import rerun_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "comparisons.md"


def test_comparisons_md__console_blocks_show_real_output(cli: Callable[..., Result]) -> None:
    def run(command: str, info: str) -> str | None:
        words = shlex.split(command)
        if words[0] != "defledger":
            return None
        args = [str(ROOT / w) if w.startswith("ledger/demo/seed/") else w for w in words[1:]]
        result = cli(*args)
        assert result.exit_code == 0, f"$ {command}: {result.stderr}"
        return result.output.rstrip("\n").replace(str(ROOT) + "/", "")

    assert rerun_page(PAGE, run) >= 12
