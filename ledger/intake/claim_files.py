"""Files of claims: a CSV with a header row, or a TOML file of ``[[claim]]`` tables, both with the
fields of ``ClaimRecorded`` (docs/claims.md). Each claim becomes one ``ClaimRecorded`` event; its
source (the envelope's citation) is the claim's own publication, its reason the optional
``reason`` column or key.

This module turns rows into event fields; ``ledger.intake.importers`` checks and appends them
like any other file (all or nothing, every bad row reported with its line, idempotent).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from events import ClaimRecorded
from events.quoting import named

FIELDS = tuple(name for name in ClaimRecorded.model_fields if name != "type")
COLUMNS = (*FIELDS, "reason")
REQUIRED = frozenset(
    name
    for name, info in ClaimRecorded.model_fields.items()
    if info.is_required() and name not in ("type", "decimals")
)
STAGE_SEPARATOR = ";"
_TABLE = re.compile(r"^[ \t]*\[\[[ \t]*claim[ \t]*\]\][ \t]*(#.*)?$", re.MULTILINE)


def is_toml_claims(text: str) -> bool:
    """Whether ``text`` is a TOML file of claims: it has a ``[[claim]]`` table header. (The
    substring test first: a large JSON Lines or CSV file is passed over at memchr speed.)"""
    return "claim" in text and _TABLE.search(text) is not None


def claim_fields(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(event fields, provenance) of one claim row: empty cells left out, stages split, the
    source taken from the claim's publication."""
    fields = {k: v for k, v in row.items() if k != "reason" and v not in ("", None)}
    stages = fields.get("stages")
    if isinstance(stages, str):
        fields["stages"] = [s.strip() for s in stages.split(STAGE_SEPARATOR) if s.strip()]
    source = {
        "title": fields.get("publication") or "",
        "url": fields.get("url"),
        "published": fields.get("published"),
    }
    provenance: dict[str, Any] = {"reason": row.get("reason") or None}
    if source["title"]:
        provenance["source"] = {k: v for k, v in source.items() if v is not None}
    return {**fields, "type": "ClaimRecorded"}, provenance


def _toml_value(key: str, value: Any) -> Any:
    """A TOML value as the models take it: dates as ISO text; floats refused (inexact)."""
    if isinstance(value, float):
        raise ValueError(
            f"{key}: {value!r} is a TOML float, which is not exact: write it as a string "
            f'("{value!r}")'
        )
    if isinstance(value, datetime):
        raise ValueError(f"{key}: give a date (2025-11-29), not a date and time")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_toml_value(key, item) for item in value]
    if isinstance(value, dict):
        raise ValueError(f"{key}: a claim's fields are plain values, not tables")
    return value


def toml_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, row) or (line, problem) for each ``[[claim]]`` table, the line of its header."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_of(str(exc))
        yield line, f"not valid TOML: {str(exc).split(' (at line')[0]}"
        return
    others = sorted(set(document) - {"claim"})
    if others:
        yield 1, f"a claims file holds [[claim]] tables only, not {', '.join(map(named, others))}"
        return
    claims = document.get("claim")
    if not isinstance(claims, list):
        yield 1, "claim must be an array of tables: [[claim]]"
        return
    lines = [text[: m.start()].count("\n") + 1 for m in _TABLE.finditer(text)]
    for index, table in enumerate(claims):
        line = lines[index] if index < len(lines) else 1
        unknown = sorted(set(table) - set(COLUMNS))
        if unknown:
            yield line, f"unknown key {', '.join(map(named, unknown))} in a claim"
            continue
        try:
            yield line, {key: _toml_value(key, value) for key, value in table.items()}
        except ValueError as exc:
            yield line, str(exc)


def _line_of(message: str) -> int:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else 1
