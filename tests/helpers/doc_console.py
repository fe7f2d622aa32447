"""Pages whose console blocks are real output: run every ``$ command`` of every
```` ```console ```` block again, in order, and compare what it prints with what the page shows
(after ``normal``), or, with ``DEFLEDGER_REGEN_DOCS=1`` (``python scripts/gen_docs.py`` sets it),
write the new output into the page.

A block whose info string says ``volatile`` (```` ```console volatile ````) is run and must
succeed, but its output is not compared (it is still rewritten when regenerating).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

BLOCK = re.compile(r"```console([^\n]*)\n(.*?)```", re.S)
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SECONDS = re.compile(r"in \d+\.\d\d s")
REGEN_ENV = "DEFLEDGER_REGEN_DOCS"

# run(command, info) -> what it printed, or None for a line that is not run (kept as shown)
Runner = Callable[[str, str], str | None]


def regenerating() -> bool:
    return bool(os.environ.get(REGEN_ENV))


def console_pairs(block: str) -> list[tuple[str, str]]:
    """(command line, shown output) pairs of one console block."""
    pairs: list[tuple[str, str]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], ""))
        elif pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + line + "\n")
    return pairs


def normal(text: str) -> str:
    """Times of recording and durations aside."""
    return SECONDS.sub("in N s", TIME.sub("TIME", text)).strip("\n")


def rerun_page(page: Path, run: Runner, normalise: Callable[[str], str] = normal) -> int:
    """Run every console block of ``page``; assert each output matches (unless regenerating,
    then rewrite the page). Returns how many commands ran."""
    text = page.read_text(encoding="utf-8")
    rendered = text
    ran = 0
    for match in BLOCK.finditer(text):
        info, body = match.group(1), match.group(2)
        lines = []
        for command, shown in console_pairs(body):
            output = run(command, info)
            if output is None:
                output = shown.rstrip("\n")
            else:
                ran += 1
                if not regenerating() and "volatile" not in info:
                    assert normalise(output) == normalise(shown), (
                        f"{page.name} is stale at $ {command}: run python scripts/gen_docs.py"
                    )
            lines.append(f"$ {command}" + (f"\n{output}" if output else ""))
        block = f"```console{info}\n" + "\n".join(lines) + "\n```"
        rendered = rendered.replace(match.group(0), block, 1)
    if regenerating():
        page.write_text(rendered, encoding="utf-8")
    return ran
