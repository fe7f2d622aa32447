"""docs/concepts.md shows real output: every ``$ defledger …`` command of its console blocks is
run again, in order, on a fresh ledger, and must print what the page shows (times and durations
aside). ``python scripts/gen_docs.py`` rewrites the outputs."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers.doc_console import rerun_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "concepts.md"


def test_concepts_md__console_blocks_show_real_output(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # the page shows what a 100-column terminal shows

    def run(command: str, info: str) -> str | None:
        words = shlex.split(command)
        if words[0] != "defledger":
            return None
        args = [str(ROOT / w) if w.startswith("examples/") else w for w in words[1:]]
        return cli(*args).output.rstrip("\n")

    assert rerun_page(PAGE, run) >= 15
