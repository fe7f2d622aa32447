"""Compare a file of a bundle with the same file recomputed from ``events.jsonl``, and say where
they differ: a CSV file row by row and cell by cell (rows are numbered from 1 after the header
row), a JSON Lines file line by line and member by member, a JSON file member by member. (The
workbook and the Parquet files have their own modules: ``workbook_compare``, ``parquet_compare``.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from ledger.exports.columns import TableSpec, read_csv

KEYS: dict[str, tuple[str, ...]] = {
    "events": ("seq",),
    "lines": ("jurisdiction", "fiscal_year", "line_id"),
    "definitions": ("definition", "version", "category"),
    "totals": ("jurisdiction", "fiscal_year", "definition", "version", "tier"),
    "claims": ("claim_id", "measured_by"),
}
LIMIT = 20

Finding = tuple[int | None, str]  # (row number or None, message)


def row_label(names: Sequence[str], key: tuple[str, ...]) -> str:
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
        label = row_label([names[i] for i in columns], key)
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
            label = row_label([names[i] for i in columns], key)
            found.append((None, f"{label}: missing (the events give it at row {position})"))
    if not found:
        found.append((None, "the bytes differ from the recomputation (quoting or line endings)"))
    if len(found) > LIMIT:
        found = [*found[:LIMIT], (None, f"… and {len(found) - LIMIT} more differences")]
    return found


def _members(actual: bytes, expected: bytes) -> str | None:
    """The top-level members in which two JSON objects differ, or None if not both objects."""
    try:
        have, want = orjson.loads(actual), orjson.loads(expected)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(have, dict) or not isinstance(want, dict):
        return None
    names = sorted(k for k in set(have) | set(want) if have.get(k, ...) != want.get(k, ...))
    return ", ".join(names) or None


def compare_lines(actual: bytes, expected: bytes) -> list[Finding]:
    """Differences between a JSON Lines file and its recomputation, line by line (naming the
    members of each line that differ); empty when byte-identical."""
    if actual == expected:
        return []
    got, want = actual.split(b"\n"), expected.split(b"\n")
    found: list[Finding] = []
    for number, (have, need) in enumerate(zip(got, want, strict=False), start=1):
        if have != need:
            members = _members(have, need) if have and need else None
            what = f"{members} differ" if members else "differs"
            found.append((number, f"{what} from the recomputation from events.jsonl"))
    if len(got) != len(want):
        found.append((None, f"has {len(got) - 1} lines, the events give {len(want) - 1}"))
    if len(found) > LIMIT:
        found = [*found[:LIMIT], (None, f"… and {len(found) - LIMIT} more differences")]
    return found


def _json_paths(have: Any, want: Any, path: str) -> Iterator[str]:
    if isinstance(have, dict) and isinstance(want, dict):
        for key in sorted(set(have) | set(want), key=str):
            if key not in have:
                yield f"{path}.{key} is missing"
            elif key not in want:
                yield f"{path}.{key} is not produced by the events"
            else:
                yield from _json_paths(have[key], want[key], f"{path}.{key}")
    elif isinstance(have, list) and isinstance(want, list) and len(have) == len(want):
        for index, (a, b) in enumerate(zip(have, want, strict=True)):
            yield from _json_paths(a, b, f"{path}[{index}]")
    elif have != want or type(have) is not type(want):
        shown, given = (orjson.dumps(value).decode()[:200] for value in (have, want))
        yield f"{path or 'the document'} is {shown}, the events give {given}"


def compare_json(actual: bytes, expected: bytes) -> list[Finding]:
    """Differences between a JSON file and its recomputation, by member path; empty when
    byte-identical."""
    if actual == expected:
        return []
    try:
        have = orjson.loads(actual)
    except orjson.JSONDecodeError as exc:
        return [(None, f"is not JSON ({exc})")]
    found: list[Finding] = [
        (None, message.lstrip(".")) for message in _json_paths(have, orjson.loads(expected), "")
    ]
    if not found:
        found.append((None, "the bytes differ from the recomputation (spacing or key order)"))
    if len(found) > LIMIT:
        found = [*found[:LIMIT], (None, f"… and {len(found) - LIMIT} more differences")]
    return found
