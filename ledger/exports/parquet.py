"""Parquet copies of the bundle's tables (``--parquet``), when the optional ``pyarrow`` is
installed (``pip install 'defledger[parquet]'``); otherwise the export skips them and says so.

Integers are ``int64``; amounts and other decimals are exact decimal **strings** (a Parquet
double would round them); text is ``string``. The provenance is in the schema metadata.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ledger.exports.columns import TableSpec, number_text

MISSING = "parquet skipped: pyarrow is not installed (pip install 'defledger[parquet]')"
BATCH = 20_000


def available() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def file_name(spec: TableSpec) -> str:
    """``lines.parquet`` for the ``lines`` table."""
    return f"{spec.name}.parquet"


def _value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "integer":
        return int(value)
    if kind == "number":
        return number_text(value) or str(value)
    return str(value)


def parquet_row(spec: TableSpec, row: dict[str, Any]) -> dict[str, Any]:
    """A table row as its Parquet values."""
    return {c.name: _value(row.get(c.name), c.type) for c in spec.columns}


def schema(spec: TableSpec, metadata: dict[str, str]) -> Any:
    """The Arrow schema of a table's Parquet file, with ``metadata`` (the provenance)."""
    import pyarrow as pa

    fields = [
        pa.field(c.name, pa.int64() if c.type == "integer" else pa.string(), not c.required)
        for c in spec.columns
    ]
    return pa.schema(fields, metadata={k.encode(): v.encode() for k, v in metadata.items()})


class ParquetTable:
    """One Parquet file written in row batches (constant memory for the events table)."""

    def __init__(self, path: Path, spec: TableSpec, metadata: dict[str, str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self.spec = spec
        self.schema = schema(spec, metadata)
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(parquet_row(self.spec, row))
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(self._pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def write_table(
    path: Path, spec: TableSpec, rows: Iterable[dict[str, Any]], metadata: dict[str, str]
) -> None:
    table = ParquetTable(path, spec, metadata)
    for row in rows:
        table.add(row)
    table.close()
