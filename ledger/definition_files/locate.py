"""The line of a key or table in a TOML text, for error messages (``tomllib`` gives none).

A light scan, not a parser: table headers (``[a."b.c"]``, ``[[status]]``, counted per array)
and ``key =`` lines, skipping the inside of multi-line strings. Paths are tuples of the keys as
written (``("include", "JP.CORE.DBP", "share")``, ``("status", 1)``); ``line`` answers with
the nearest enclosing path it knows, or None.
"""

from __future__ import annotations

import json
import re

_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_PATH = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"\s*(\[\[?)\s*({_PATH})\s*\]\]?\s*(?:#.*)?")
_KEY = re.compile(rf"\s*({_PATH})\s*=")
_TOKEN = re.compile(_PART)

Path = tuple[str | int, ...]


def _parts(text: str) -> tuple[str, ...]:
    parts = []
    for token in _TOKEN.findall(text):
        if token.startswith('"'):
            try:
                parts.append(json.loads(token))
            except ValueError:  # a TOML escape JSON lacks (\U): keep it as written
                parts.append(token[1:-1])
        elif token.startswith("'"):
            parts.append(token[1:-1])
        else:
            parts.append(token)
    return tuple(parts)


class Locator:
    """Where each table and key of a TOML text starts (1-based line numbers)."""

    def __init__(self, text: str) -> None:
        self.lines: dict[Path, int] = {}
        counts: dict[tuple[str, ...], int] = {}
        table: Path = ()
        quote: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if quote is not None:  # inside a multi-line string
                if line.count(quote) % 2 == 1:
                    quote = None
                continue
            header = _HEADER.fullmatch(line)
            if header:
                parts = _parts(header.group(2))
                if header.group(1) == "[[":
                    index = counts.get(parts, 0)
                    counts[parts] = index + 1
                    table = (*parts, index)
                else:
                    table = parts
                self.lines.setdefault(table, number)
                continue
            found = _KEY.match(line)
            if found:
                path = (*table, *_parts(found.group(1)))
                self.lines.setdefault(path, number)
                rest = line[found.end() :]
                for mark in ('"""', "'''"):
                    if rest.count(mark) % 2 == 1:
                        quote = mark
                        break

    def line(self, *path: str | int) -> int | None:
        """The line of ``path``, or of the nearest enclosing path found; None if none is."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None
