"""``workbook.xlsx``: the bundle's tables for spreadsheet users, written as SpreadsheetML
streamed straight into the zip (``ledger.exports.xlsx_xml`` makes every part's bytes).

No cell is ever a formula: every text is an inline string, XML-escaped, and a text that starts
like a formula also gets Excel's quote prefix, so editing the cell keeps it text. Amounts are
numeric cells, which Excel holds as binary doubles: every number column is therefore followed
by a ``<name>_exact`` text column with the exact decimal. The creation date is the as-of
event's time and every zip entry carries a fixed date, so the bytes are reproducible.

What each cell holds is decided once, by ``table_rows`` and ``provenance_rows`` (``Cell``
values); the writer writes them and ``verify-export`` compares a workbook with them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from ledger.exports.columns import FORMULA_PREFIXES, Column, TableSpec, number_text
from ledger.exports.xlsx_xml import Sheet, workbook_members

OPTIONS = {  # for the workbooks still written with XlsxWriter (``ledger.exports.documents``)
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": True,
}
COMPRESSION = 1  # zlib level: the sheets are large and repetitive; level 1 is ~3x level 6
SHEETS = ("provenance", "totals", "lines", "definitions")
MAX_ROWS = 1_048_576  # Excel's limit, header row included
MAX_TEXT = 32_767  # Excel's limit on a cell's text, in UTF-16 code units
_EXACT_INT = 2**53
TITLE = "defledger compliance export"


class Cell(NamedTuple):
    """One cell: a number (int, or a float for an amount) or a text; ``quoted`` text carries
    Excel's quote prefix, ``bold`` is the header row's style. (A named tuple: a sheet has
    millions of cells.)"""

    value: int | float | str
    quoted: bool = False
    bold: bool = False

    @property
    def is_number(self) -> bool:
        return not isinstance(self.value, str)


Row = list[Cell | None]


def fit_text(text: str) -> str:
    """``text`` cut to Excel's cell limit (a surrogate pair is never split)."""
    if len(text) <= MAX_TEXT // 2:
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) <= 2 * MAX_TEXT:
        return text
    return units[: 2 * MAX_TEXT].decode("utf-16-le", "ignore")


def text_cell(value: Any) -> Cell | None:
    """A text cell (None for no value; an empty text is an empty text cell)."""
    if value is None:
        return None
    text = fit_text(value if isinstance(value, str) else str(value))
    return Cell(text, quoted=text.startswith(FORMULA_PREFIXES))


_new = tuple.__new__  # a Cell without NamedTuple's Python-level __new__ (millions of cells)


def row_cells(columns: Iterable[Column], values: dict[str, Any]) -> Row:
    """One table row: integers as numbers (as text past 2**53, where a double is inexact),
    each ``number`` column as a double followed by its exact ``_exact`` text."""
    cells: Row = []
    for column in columns:
        value: Any = values.get(column.name)
        kind = value.__class__
        if kind is str and column.type == "string" and len(value) <= MAX_TEXT // 2:
            cells.append(_new(Cell, (value, value.startswith(FORMULA_PREFIXES), False)))
        elif kind is int and column.type == "integer" and -_EXACT_INT < value < _EXACT_INT:
            cells.append(_new(Cell, (value, False, False)))
        elif column.type == "integer":
            text = number_text(value) if value is not None else None
            exact = text is not None and abs(int(text)) < _EXACT_INT
            cells.append(Cell(int(text)) if exact and text is not None else text_cell(value))
        elif column.type == "number":
            text = number_text(value) if value is not None else None
            if text is not None:
                # The only float in the program: Excel stores numbers as doubles.
                cells += [Cell(float(Decimal(text))), text_cell(text)]
            else:
                cells += [text_cell(value), text_cell(value)]
        else:
            cells.append(text_cell(value))
    return cells


def headers(spec: TableSpec) -> list[str]:
    names: list[str] = []
    for column in spec.columns:
        names.append(column.name)
        if column.type == "number":
            names.append(column.name + "_exact")
    return names


def _header(names: list[str]) -> Row:
    return [Cell(name, bold=True) for name in names]


def table_rows(spec: TableSpec, rows: Iterable[dict[str, Any]]) -> Iterator[Row]:
    """The sheet of a table, header first; rows past Excel's limit are left out."""
    yield _header(headers(spec))
    for count, values in enumerate(rows, start=1):
        if count == MAX_ROWS:
            break
        yield row_cells(spec.columns, values)


def provenance_rows(items: Iterable[tuple[str, str]]) -> Iterator[Row]:
    """The ``provenance`` sheet: a key and a value per row."""
    yield _header(["key", "value"])
    for key, value in items:
        yield [text_cell(key), text_cell(value)]


def created(recorded_at: str | None) -> datetime:
    """The workbook's creation date: the as-of event's time, to the second."""
    if not recorded_at:
        return datetime(2000, 1, 1, tzinfo=UTC)
    return datetime.fromisoformat(recorded_at.replace("Z", "+00:00")).replace(microsecond=0)


PROPERTIES = {
    "title": TITLE,
    "subject": "Defense-related expenditure ledger",
    "author": "defledger",
    "comments": "Exact decimals are in the *_exact columns; numbers are doubles.",
}
_PROVENANCE_WIDTHS = (24.7109375, 90.7109375)  # 24 and 90 characters, as Excel stores them


def workbook_sheets(
    tables: Mapping[str, tuple[TableSpec, Iterable[dict[str, Any]]]],
    provenance: Iterable[tuple[str, str]],
) -> list[Sheet]:
    """The four sheets in order: ``provenance``, then each table's rows (``tables`` by name)."""
    sheets = [Sheet("provenance", provenance_rows(provenance), 2, False, _PROVENANCE_WIDTHS)]
    for name in SHEETS[1:]:
        spec, rows = tables[name]
        sheets.append(Sheet(name, table_rows(spec, rows), len(headers(spec)), True))
    return sheets


def workbook_parts(
    sheets: list[Sheet], created_at: str | None, custom: dict[str, str]
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Every member of the workbook's zip with its bytes (``xlsx_xml.workbook_members``)."""
    return workbook_members(sheets, PROPERTIES, custom, created(created_at))


def write_workbook(path: Path, parts: Iterable[tuple[str, Iterator[bytes]]]) -> None:
    """Write the members into a new zip at ``path``, each deflated and stamped with a fixed
    date (the bytes are reproducible), the sheets streamed (memory stays flat)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION) as book:
        for name, chunks in parts:
            # a member opened by name is dated 1980-01-01 and deflated at ``COMPRESSION``
            with book.open(name, "w", force_zip64=name.startswith("xl/worksheets/")) as member:
                for chunk in chunks:
                    member.write(chunk)
