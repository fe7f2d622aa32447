"""docs/concepts.md shows real output: every ``$ defledger …`` command of its console blocks is
run again, in order, on a fresh ledger, and must print what the page shows (times and durations
aside). ``DEFLEDGER_REGEN_DOCS=1 pytest tests/test_docs_concepts.py`` rewrites the outputs."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "concepts.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SECONDS = re.compile(r"in \d+\.\d\d s")


def _commands(block: str) -> list[tuple[str, str]]:
    """(command line, shown output) pairs of one console block."""
    pairs: list[tuple[str, str]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], ""))
        elif pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + line + "\n")
    return pairs


def _normal(text: str) -> str:
    return SECONDS.sub("in N s", TIME.sub("TIME", text)).strip("\n")


def test_concepts_md__console_blocks_show_real_output(cli: Callable[..., Result]) -> None:
    text = PAGE.read_text(encoding="utf-8")
    rendered = text
    checked = 0
    for match in BLOCK.finditer(text):
        lines = []
        for command, shown in _commands(match.group(1)):
            words = shlex.split(command)
            output = ""
            if words[0] == "defledger":
                args = [str(ROOT / w) if w.startswith("examples/") else w for w in words[1:]]
                output = cli(*args).output.rstrip("\n")
                if not os.environ.get("DEFLEDGER_REGEN_DOCS"):
                    assert _normal(output) == _normal(shown), f"docs/concepts.md: $ {command}"
                checked += 1
            lines.append(f"$ {command}" + (f"\n{output}" if output else ""))
        rendered = rendered.replace(match.group(0), "```console\n" + "\n".join(lines) + "\n```", 1)
    if os.environ.get("DEFLEDGER_REGEN_DOCS"):
        PAGE.write_text(rendered, encoding="utf-8")
    assert checked >= 15
