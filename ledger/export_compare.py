"""Compare a CSV file of a bundle with the same table recomputed from ``events.jsonl``, and say
which rows and cells differ (rows are numbered from 1 after the header row)."""

from __future__ import annotations

import csv
from collections.abc import Sequence

from ledger.export_format import TableSpec, read_csv

KEYS: dict[str, tuple[str, ...]] = {
    "events": ("seq",),
    "lines": ("jurisdiction", "fiscal_year", "line_id"),
    "definitions": ("definition", "version", "category"),
    "totals": ("jurisdiction", "fiscal_year", "definition", "version", "tier"),
}
LIMIT = 20

Finding = tuple[int | None, str]  # (row number or None, message)


def _label(names: Sequence[str], key: tuple[str, ...]) -> str:
    """``JP FY2025 jp-defense-related@1 core``, ``seq 42``, ...: a row's key, readable."""
    parts: list[str] = []
    previous = ""
    for name, value in zip(names, key, strict=True):
        if name == "fiscal_year":
            parts.append(f"FY{value}")
        elif name == "version" and previous == "definition":
            parts[-1] = f"{parts[-1]}@{value}"
        elif name == "seq":
            parts.append(f"seq {value}")
        else:
            parts.append(value or "(none)")
        previous = name
    return " ".join(parts)


def compare_csv(spec: TableSpec, actual: bytes, expected: bytes) -> list[Finding]:
    """Differences between a CSV file and its recomputation; empty when byte-identical."""
    if actual == expected:
        return []
    try:
        got = read_csv(actual)
    except (UnicodeDecodeError, csv.Error) as exc:
        return [(None, f"not a readable UTF-8 CSV file ({exc})")]
    want = read_csv(expected)
    names = want[0]
    if not got or got[0] != names:
        return [(None, f"the header row differs from {','.join(names)}")]
    columns = [names.index(k) for k in KEYS.get(spec.name, (names[0],))]
    expected_rows = {tuple(r[i] for i in columns): (n, r) for n, r in enumerate(want[1:], 1)}
    found: list[Finding] = []
    seen: set[tuple[str, ...]] = set()
    for number, row in enumerate(got[1:], 1):
        if len(row) != len(names):
            found.append((number, f"has {len(row)} cells, not {len(names)}"))
            continue
        key = tuple(row[i] for i in columns)
        label = _label([names[i] for i in columns], key)
        if key not in expected_rows:
            found.append((number, f"{label}: not produced by the events"))
            continue
        if key in seen:
            found.append((number, f"{label}: appears twice"))
            continue
        seen.add(key)
        position, wanted = expected_rows[key]
        cells = [
            (number, f"{label}: {name} is {have!r}, the events give {need!r}")
            for name, have, need in zip(names, row, wanted, strict=True)
            if have != need
        ]
        found.extend(cells)
        if not cells and position != number:
            found.append((number, f"{label}: out of order (the events put it at row {position})"))
    for key, (position, _) in expected_rows.items():
        if key not in seen:
            label = _label([names[i] for i in columns], key)
            found.append((None, f"{label}: missing (the events give it at row {position})"))
    if not found:
        found.append((None, "the bytes differ from the recomputation (quoting or line endings)"))
    if len(found) > LIMIT:
        found = [*found[:LIMIT], (None, f"… and {len(found) - LIMIT} more differences")]
    return found
