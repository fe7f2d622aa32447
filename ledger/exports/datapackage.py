"""``datapackage.json``: a Frictionless Data Package (v2 profile) describing the bundle's CSV
tables, with Fiscal Data Package hints.

Each CSV is a tabular resource with its exact ``bytes`` and ``sha256`` hash, CSV dialect and
Table Schema (typed fields, required constraints, primary keys), so ``frictionless validate
datapackage.json`` checks the files' integrity and types. Fiscal hints: each field may carry
an FDP 1.0 ``columnType`` (``value``, ``value-currency:code``, ``phase:id``,
``date:fiscal-year``, ...); the package states its currencies, how budget stages map to FDP
phases, and its fiscal period. ``formula_escaping`` states that CSV text cells were prefixed
with ``'`` per OWASP ASVS 1.2.10.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ledger.exports.bundle import sha256_file
from ledger.exports.columns import FORMULA_ESCAPING, TableSpec

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
# Budget stage → Fiscal Data Package phase (proposed / approved / adjusted / executed).
# An estimate of the outturn is not yet executed: it is the budget as adjusted in the year.
STAGE_PHASES = {
    "plan": "proposed",
    "request": "proposed",
    "draft": "proposed",
    "initial": "approved",
    "supplementary": "adjusted",
    "estimate": "adjusted",
    "settled": "executed",
}
# First month and day of fiscal year N, and the calendar year it starts in (N + offset).
FISCAL_YEAR_START = {"JP": (4, 1, 0), "GB": (4, 1, 0), "US": (10, 1, -1), "CA": (4, 1, 0)}


def _field(column: Any) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": column.name,
        "type": column.type,
        "description": column.description,
    }
    if column.required:
        field["constraints"] = {"required": True}
    if column.fiscal:
        field["columnType"] = column.fiscal
    return field


def _resource(
    directory: Path, spec: TableSpec, digests: dict[str, tuple[str, int]] | None
) -> dict[str, Any]:
    digest, size = (digests or {}).get(spec.path) or sha256_file(directory / spec.path)
    schema: dict[str, Any] = {
        "fields": [_field(c) for c in spec.columns],
        "missingValues": [""],
    }
    if spec.primary_key:
        schema["primaryKey"] = list(spec.primary_key)
    return {
        "name": spec.name,
        "type": "table",
        "path": spec.path,
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": spec.title,
        "description": spec.description,
        "bytes": size,
        "hash": f"sha256:{digest}",
        "dialect": {
            "delimiter": ",",
            "lineTerminator": "\r\n",
            "quoteChar": '"',
            "doubleQuote": True,
            "header": True,
        },
        "schema": schema,
    }


def fiscal_period(years: dict[str, set[int]]) -> dict[str, Any] | None:
    """FDP ``fiscalPeriod`` {start, end} when one jurisdiction with a known fiscal year."""
    if len(years) != 1:
        return None
    ((jurisdiction, found),) = years.items()
    if jurisdiction not in FISCAL_YEAR_START or not found:
        return None
    month, day, offset = FISCAL_YEAR_START[jurisdiction]
    first, last = min(found) + offset, max(found) + offset
    end_month, end_year = (month - 1, last + 1) if month > 1 else (12, last)
    end_day = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}.get(end_month, 31)
    return {
        "start": f"{first:04d}-{month:02d}-{day:02d}",
        "end": f"{end_year:04d}-{end_month:02d}-{end_day:02d}",
    }


class LineFacts:
    """What ``datapackage.json`` says about the lines (fiscal years per jurisdiction and the
    currencies), gathered one line row at a time."""

    def __init__(self) -> None:
        self.years: dict[str, set[int]] = {}
        self.currencies: set[str] = set()

    def add(self, line: dict[str, Any]) -> dict[str, Any]:
        self.years.setdefault(line["jurisdiction"], set()).add(int(line["fiscal_year"]))
        self.currencies.add(str(line["currency"]))
        return line

    def gather(self, lines: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``lines`` passed through, each added on the way."""
        for line in lines:
            yield self.add(line)


def build(
    directory: Path,
    tables: tuple[TableSpec, ...],
    provenance: dict[str, Any],
    lines: Iterable[dict[str, Any]] | LineFacts,
    created: str | None,
    digests: dict[str, tuple[str, int]] | None = None,
) -> bytes:
    """The ``datapackage.json`` bytes for the CSV files already written in ``directory`` (or of
    the files whose (SHA-256, size) ``digests`` gives by name); ``lines`` are the line rows, or
    their ``LineFacts``."""
    if isinstance(lines, LineFacts):
        facts = lines
    else:
        facts = LineFacts()
        for line in lines:
            facts.add(line)
    years = facts.years
    package: dict[str, Any] = {
        "$schema": PROFILE,
        "name": "defledger-export",
        "title": "defledger compliance export",
        "description": "Events, budget lines, definition versions and totals of a defledger "
        "ledger as of one seq. events.jsonl holds the exact hashed events; checkpoint the "
        "signed Merkle tree head; SHA256SUMS every file's hash.",
        "resources": [_resource(directory, spec, digests) for spec in tables],
        "formula_escaping": FORMULA_ESCAPING,
        "formulaEscaping": {
            "rule": FORMULA_ESCAPING,
            "prefix": "'",
            "appliesTo": "CSV text cells starting with = + - @ TAB CR or NUL; numbers never",
        },
        "provenance": provenance,
        "fiscal": {
            "hints": "Fiscal Data Package (frictionlessdata.io): columnType per field",
            "currencies": sorted(facts.currencies),
            "phaseColumn": "stage",
            "phases": STAGE_PHASES,
            "fiscalYears": {k: sorted(v) for k, v in sorted(years.items())},
        },
    }
    if created:
        package["created"] = created
    period = fiscal_period(years)
    if period:
        package["fiscalPeriod"] = period
    return orjson.dumps(package, option=orjson.OPT_INDENT_2) + b"\n"
