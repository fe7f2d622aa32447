"""``workbook.xlsx``: the bundle's tables for spreadsheet users, written with XlsxWriter.

No cell is ever a formula: strings are written with ``write_string`` and the workbook options
``strings_to_formulas``/``strings_to_urls``/``strings_to_numbers`` are off; a text that starts
like a formula also gets Excel's quote prefix, so editing the cell keeps it text. Amounts are
numeric cells, which Excel holds as binary doubles: every number column is therefore followed
by a ``<name>_exact`` text column with the exact decimal. The creation date is the as-of
event's time and XlsxWriter stamps zip entries with a fixed date, so the bytes are reproducible.

What each cell holds is decided once, by ``table_rows`` and ``provenance_rows`` (``Cell``
values); the writer writes them and ``verify-export`` compares a workbook with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import xlsxwriter

from ledger.exports.columns import FORMULA_PREFIXES, Column, TableSpec, number_text

OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": True,
}
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


def row_cells(columns: Iterable[Column], values: dict[str, Any]) -> Row:
    """One table row: integers as numbers (as text past 2**53, where a double is inexact),
    each ``number`` column as a double followed by its exact ``_exact`` text."""
    cells: Row = []
    for column in columns:
        value = values.get(column.name)
        if column.type == "integer":
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


class WorkbookWriter:
    """Sheets ``provenance``, ``totals``, ``lines`` and ``definitions`` (the events are in
    ``events.csv`` and ``events.jsonl``: a spreadsheet is not where a ledger is audited)."""

    def __init__(self, path: Path, created_at: str | None, properties: dict[str, str]) -> None:
        self.book = xlsxwriter.Workbook(str(path), OPTIONS)
        self.book.set_properties(
            {
                "title": TITLE,
                "subject": "Defense-related expenditure ledger",
                "author": "defledger",
                "comments": "Exact decimals are in the *_exact columns; numbers are doubles.",
                "created": created(created_at),
            }
        )
        for name, value in properties.items():
            self.book.set_custom_property(name, value)
        self.bold = self.book.add_format({"bold": True})
        self.quoted = self.book.add_format({"quote_prefix": True})
        self.plain = self.book.add_format()
        self.sheets = {name: self.book.add_worksheet(name) for name in SHEETS}

    def _write(self, sheet: Any, row: int, cells: Row) -> None:
        for col, cell in enumerate(cells):
            if cell is None:
                continue
            value = cell.value
            if not isinstance(value, str):
                sheet.write_number(row, col, value)
            elif value.startswith("<r>") and value.endswith("</r>"):
                # XlsxWriter copies such a string into the sheet's XML unescaped, as the runs of
                # a rich string: a program named '<r>…</r><f>…' would become a formula. Written
                # as two plain runs it is escaped, and reads back as the same text.
                sheet.write_rich_string(row, col, self.plain, value[:1], value[1:])
            else:
                style = self.bold if cell.bold else self.quoted if cell.quoted else None
                sheet.write_string(row, col, value, style)

    def _fill(self, name: str, rows: Iterable[Row]) -> int:
        """Write a sheet row by row (``constant_memory`` flushes each finished row), the
        header frozen; the number of data rows."""
        sheet = self.sheets[name]
        count = -1
        for count, cells in enumerate(rows):
            self._write(sheet, count, cells)
        sheet.freeze_panes(1, 0)
        return count

    def write_table(self, spec: TableSpec, rows: Iterable[dict[str, Any]]) -> None:
        """Write the rows in order; rows past Excel's limit are left out."""
        count = self._fill(spec.name, table_rows(spec, rows))
        self.sheets[spec.name].autofilter(0, 0, max(1, count), len(headers(spec)) - 1)

    def write_provenance(self, items: list[tuple[str, str]]) -> None:
        sheet = self.sheets["provenance"]
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 1, 90)
        self._fill("provenance", provenance_rows(items))

    def close(self) -> None:
        self.book.close()
