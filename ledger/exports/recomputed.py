"""``verify-export``'s step 5 for the files that need more than the replay's CSV tables:
``datapackage.json``, ``workbook.xlsx`` and the ``*.parquet`` files, each rebuilt from the
replayed events (``Recomputed``) and compared (``export_compare``, ``workbook_compare``,
``parquet_compare``). Their provenance is recomputed too, from the events and the checkpoint
file; only the exporting program (``tool``) is taken from ``datapackage.json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ledger.audit.merkle import CompactRange
from ledger.audit.signing import Checkpoint, Signature
from ledger.exports import bundle, datapackage
from ledger.exports import parquet as export_parquet
from ledger.exports.claims import line_prefix
from ledger.exports.columns import TableSpec
from ledger.exports.compare import KEYS, compare_json
from ledger.exports.findings import ExportReport
from ledger.exports.tables import (
    CLAIMS,
    DEFINITIONS,
    EVENTS,
    LINES,
    TABLES,
    TOTALS,
    definition_rows,
    event_row,
    line_rows,
    totals_rows,
)
from ledger.exports.workbook_compare import ExpectedWorkbook, compare_workbook, same_members
from ledger.exports.write import provenance, provenance_texts
from ledger.exports.xlsx import created, workbook_parts, workbook_sheets
from ledger.exports.xlsx_xml import Sheet
from ledger.projections.fold import LedgerState
from ledger.projections.spill import SpilledFold
from ledger.storage.event_json import chain_row, parse_line, stored_event
from ledger.storage.records import StoredEvent

PARQUET: dict[str, TableSpec] = {export_parquet.file_name(spec): spec for spec in TABLES}
NO_PYARROW = "pyarrow is not installed: pip install 'defledger[parquet]'"


def line_events(path: Path, groups: set[tuple[str, int]]) -> dict[tuple[str, int], list[Any]]:
    """The events of the budget lines of ``groups``, read again from ``events.jsonl``."""
    wanted = {line_prefix(g): g for g in groups}
    found: dict[tuple[str, int], list[Any]] = {g: [] for g in groups}
    for event in _events(path):
        if event.stream.startswith("line/"):
            group = wanted.get(event.stream.rsplit("/", 1)[0] + "/")
            if group is not None:
                found[group].append(event)
    return found


def _events(path: Path) -> Iterator[StoredEvent]:
    """The events of an ``events.jsonl`` already checked by ``_Replay``, read again."""
    with open(path, "rb") as handle:
        for raw in handle:
            envelope = parse_line(raw.removesuffix(b"\n"))
            yield stored_event(envelope, chain_row(envelope))


def _tool(directory: Path) -> str:
    """The exporting program named in ``datapackage.json`` (the one provenance fact that does
    not follow from the events); checked there and in the workbook like everything else."""
    try:
        package = orjson.loads(bundle.read_regular(directory, bundle.DATAPACKAGE) or b"")
        tool = package["provenance"]["tool"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return "(unknown: datapackage.json names no tool)"
    return tool if isinstance(tool, str) else str(tool)


@dataclass
class Recomputed:
    """What the files of the bundle are compared with, from the replayed events."""

    directory: Path
    state: LedgerState
    fold: SpilledFold
    tree: CompactRange
    last: StoredEvent | None
    facts: datapackage.LineFacts
    csv_digests: dict[str, tuple[str, int]]
    checkpoint: bytes
    origin: str
    signatures: list[Signature]
    claims: list[dict[str, Any]]
    lines: Iterator[dict[str, Any]] | None = None  # the first walk over the lines, if given

    @property
    def last_time(self) -> str | None:
        return self.last.recorded_at if self.last else None

    def provenance(self) -> dict[str, Any]:
        sig = self.signatures[0] if self.signatures else None
        signer = f"{sig.name}+{sig.key_id.hex()}" if sig else None
        head = Checkpoint(self.origin, self.tree.size, self.tree.root())
        text = self.checkpoint.decode("utf-8", "replace")
        return provenance(
            self.origin, self.tree.size, self.last, head, signer, text, _tool(self.directory)
        )

    def rows(self, spec: TableSpec) -> Iterator[dict[str, Any]]:
        if spec is EVENTS:
            return (event_row(event) for event in _events(self.directory / bundle.EVENTS_JSONL))
        if spec is LINES:
            if self.lines is not None:  # given once (verify's lines.csv is made from it)
                lines, self.lines = self.lines, None
                return lines
            return line_rows(self.state, self.fold.lines())
        if spec is DEFINITIONS:
            return iter(definition_rows(self.state))
        if spec is CLAIMS:
            return iter(self.claims)
        return iter(totals_rows(self.state, self.state.last_seq))


def check_datapackage(got: Recomputed, report: ExportReport) -> None:
    """``datapackage.json`` rebuilt (its resources' sizes and hashes those of the recomputed CSV
    files) and compared member by member."""
    actual = bundle.read_regular(got.directory, bundle.DATAPACKAGE)
    if actual is None:
        return
    wanted = datapackage.build(
        got.directory, TABLES, got.provenance(), got.facts, got.last_time, got.csv_digests
    )
    report.add_all(bundle.DATAPACKAGE, "recomputed-mismatch", compare_json(actual, wanted))


def check_workbook(got: Recomputed, report: ExportReport) -> None:
    """``workbook.xlsx`` against the workbook the events give: first member by member with the
    bytes export writes (``same_members``), then, if anything differs, cell by cell
    (``compare_workbook``), which names each difference."""
    path = got.directory / bundle.WORKBOOK
    if not path.is_file() or path.is_symlink():
        return
    texts = provenance_texts(got.provenance())
    custom = {"ledger": got.origin}

    def sheets() -> list[Sheet]:
        tables = {spec.name: (spec, got.rows(spec)) for spec in (TOTALS, LINES, DEFINITIONS)}
        return workbook_sheets(tables, texts.items())

    if same_members(path, workbook_parts(sheets(), got.last_time, custom)):
        return
    expected = ExpectedWorkbook(
        sheets={sheet.name: sheet.rows for sheet in sheets()},
        keys={"provenance": ("key",), **{spec.name: KEYS[spec.name] for spec in TABLES}},
        properties=custom,
        created=created(got.last_time).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    found = compare_workbook(path, expected)
    report.add_all(bundle.WORKBOOK, "recomputed-mismatch", found, where=None, sep=" ")


def check_parquet(got: Recomputed, report: ExportReport) -> None:
    present = sorted(n for n in PARQUET if (got.directory / n).is_file())
    if present and not export_parquet.available():
        for name in present:
            report.skip(name, NO_PYARROW)
        return
    from ledger.exports.parquet_compare import compare_parquet

    texts = provenance_texts(got.provenance())
    for name in present:
        spec = PARQUET[name]
        metadata = {} if spec is EVENTS else texts  # as export writes them
        found = compare_parquet(got.directory / name, spec, got.rows(spec), metadata)
        report.add_all(name, "recomputed-mismatch", found, sep=" ")
