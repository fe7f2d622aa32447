"""Compare a bundle's Parquet file with the same table recomputed from ``events.jsonl``: its
schema (columns, types, nullability) and metadata (the provenance), then every row, cell by
cell. Needs the optional ``pyarrow``, like writing them; ``verify-export`` says which files it
could not check when it is missing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ledger.exports.columns import TableSpec
from ledger.exports.compare import KEYS, LIMIT, Finding, row_label
from ledger.exports.parquet import BATCH, parquet_row, schema


def _metadata(found: Any) -> dict[str, str]:
    return {
        k.decode("utf-8", "replace"): v.decode("utf-8", "replace")
        for k, v in (found.metadata or {}).items()
    }


def _metadata_findings(actual: Any, expected: Any) -> Iterator[Finding]:
    have, want = _metadata(actual), _metadata(expected)
    for key in sorted(set(have) | set(want)):
        if have.get(key) != want.get(key):
            message = f"its metadata {key} is {have.get(key)!r}, the events give {want.get(key)!r}"
            yield None, message


def _row_findings(
    actual: Iterator[dict[str, Any]], rows: Iterable[dict[str, Any]], spec: TableSpec
) -> Iterator[Finding]:
    key = KEYS.get(spec.name, (spec.names[0],))
    number = 0
    for number, values in enumerate(rows, start=1):
        want = parquet_row(spec, values)
        label = row_label(list(key), tuple(str(want[k]) for k in key))
        have = next(actual, None)
        if have is None:
            yield None, f"ends at row {number - 1}; the events give more rows ({label} on)"
            return
        for name, need in want.items():
            if have[name] != need or type(have[name]) is not type(need):
                yield number, f"{label}: {name} is {have[name]!r}, the events give {need!r}"
    extra = sum(1 for _ in actual)
    if extra:
        yield None, f"has {extra} more rows than the {number} the events give"


def _batches(file: Any) -> Iterator[dict[str, Any]]:
    for batch in file.iter_batches(batch_size=BATCH):
        yield from batch.to_pylist()


def compare_parquet(
    path: Path, spec: TableSpec, rows: Iterable[dict[str, Any]], metadata: dict[str, str]
) -> list[Finding]:
    """The differences between the Parquet file and the table; empty if none. Rows are
    numbered from 1, as in the file; at most ``LIMIT`` are listed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    found: list[Finding] = []
    try:
        file = pq.ParquetFile(path)
        expected = schema(spec, metadata)
        if not file.schema_arrow.equals(expected, check_metadata=False):
            columns = file.schema_arrow.to_string(show_schema_metadata=False).replace("\n", ", ")
            return [(None, f"its columns are not the export's: {columns}")]
        found.extend(_metadata_findings(file.schema_arrow, expected))
        for finding in _row_findings(_batches(file), rows, spec):
            if len(found) == LIMIT:
                found.append((None, "… and more differences"))
                break
            found.append(finding)
    except (pa.ArrowException, OSError, ValueError) as exc:
        found.append((None, f"is not a readable Parquet file ({exc})"))
    return found
