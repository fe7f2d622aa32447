"""How an exported table is described and written: typed columns, and the CSV cell rules.

CSV follows RFC 4180 (header row, CRLF, ``"`` doubled, UTF-8 without BOM). Text cells that
begin with ``= + - @``, TAB, CR or NUL get a leading ``'`` so that a spreadsheet never evaluates
them (OWASP ASVS 1.2.10, ``FORMULA_ESCAPING``). Numbers are written as plain numbers and never
prefixed, so a negative amount stays a number. Money is exact: a ``Decimal`` is written as its
own digits (``format(d, "f")``), never through a float.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

FORMULA_ESCAPING = "owasp-asvs-1.2.10"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class Column:
    """One exported column: its name, Table Schema type (``string``, ``integer``, ``number``),
    meaning, whether a value is required, and an optional Fiscal Data Package column type."""

    name: str
    type: str
    description: str
    required: bool = False
    fiscal: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """A table of the bundle: resource name, file, title, description, columns and key."""

    name: str
    path: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def neutralize(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def number_text(value: Any) -> str | None:
    """The plain decimal spelling of a number cell, or None if ``value`` is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        text = format(value, "f")
    elif isinstance(value, int | str):
        text = str(value)
    else:
        return None
    return text if _NUMBER.fullmatch(text) else None


def csv_cell(value: Any, column: Column) -> str:
    """The text of one CSV cell."""
    if value is None:
        return ""
    if column.type in ("integer", "number"):
        text = number_text(value)
        if text is not None:
            return text
        return neutralize(str(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralize(str(value))


def csv_row(values: dict[str, Any], spec: TableSpec) -> list[str]:
    return [csv_cell(values.get(c.name), c) for c in spec.columns]


class TextSink(Protocol):
    """Where CSV text goes: a text file opened with ``newline=""``, or a hashing spool."""

    def write(self, text: str, /) -> int: ...


def csv_line(cells: Sequence[str]) -> str:
    """One CSV record with its CRLF, exactly as ``csv_writer(handle).writerow(cells)`` writes
    it (minimal quoting, ``"`` doubled, a lone empty cell as ``""``), without the writer's
    per-character work (``tests/test_export_rows`` compares the two on generated rows)."""
    if len(cells) == 1 and not cells[0]:
        return '""\r\n'
    quoted = [
        '"' + c.replace('"', '""') + '"' if '"' in c or "," in c or "\n" in c or "\r" in c else c
        for c in cells
    ]  # four ``in`` scans cost half of one regular-expression search
    return ",".join(quoted) + "\r\n"


def csv_writer(handle: TextSink) -> Any:
    return csv.writer(handle, lineterminator="\r\n")


def write_csv(handle: TextSink, spec: TableSpec, rows: Iterable[dict[str, Any]]) -> None:
    """Write a table's CSV, header included, row by row to a text handle (opened with
    ``newline=""``; UTF-8 for a file)."""
    for _ in csv_tee(handle, spec, rows):
        pass


def csv_tee(
    handle: TextSink, spec: TableSpec, rows: Iterable[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """``rows`` passed on, each written to ``handle`` as it passes (the header first), as
    ``write_csv`` writes them: one walk over the rows feeds the CSV and another consumer (the
    workbook's sheet). Whoever stops early must exhaust it, or the CSV stays short."""
    handle.write(csv_line(spec.names))
    for row in rows:
        handle.write(csv_line(csv_row(row, spec)))
        yield row


def render_csv(spec: TableSpec, rows: Iterable[dict[str, Any]]) -> bytes:
    """The whole CSV file of a table, header included, as UTF-8 bytes."""
    buffer = io.StringIO(newline="")
    write_csv(buffer, spec, rows)
    return buffer.getvalue().encode("utf-8")


def read_csv(data: bytes) -> list[list[str]]:
    """Rows of a CSV file (header first), as written by ``render_csv``."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def header_ok(rows: Sequence[Sequence[str]], spec: TableSpec) -> bool:
    return bool(rows) and list(rows[0]) == spec.names
