"""Someone else's table, read as text: a CSV file or a sheet of an ``.xlsx`` workbook, as a header
(the column names) and rows of cells, each row with the number a person would look it up by
(a CSV file's line, a sheet's row).

Cells are read as text. A CSV cell is its characters. A workbook number is a binary double;
it is read as the shortest decimal that denotes that double (``number_text``), never rounded
further, so no figure changes on the way in. A workbook cell that
holds a formula, an error or a date is not read as a value: the mapping layer refuses it, by
cell, if a mapped column holds it (a formula's stored result may be stale, and a spreadsheet
program is the place to turn formulas into values).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from events.quoting import named, quoted
from ledger.errors import InvalidInput
from ledger.intake.xlsx_reader import Workbook, XCell, XlsxError, column_letters

if TYPE_CHECKING:
    import _csv

ZIP_MAGIC = b"PK\x03\x04"
_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')  # quoted text, [Red] or [$-409], \x
MAX_FIELD_CHARS = 100_000
# Built-in SpreadsheetML number formats that show a date or a time (ECMA-376 §18.8.30).
DATE_FORMATS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})


@dataclass
class Row:
    """One row: its number, the text of each named column, and why a column's cell cannot be
    read (a formula, an error value, a date), by column."""

    number: int
    cells: dict[str, str]
    refused: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # column → cell reference (workbooks)


@dataclass
class SourceTable:
    """A table to map: its name for messages, how its rows are numbered (``line`` or ``row``),
    the column names and the rows (an iterator, read once)."""

    name: str
    unit: str
    header: list[str]
    rows: Iterator[Row | tuple[int, str]]  # a row, or (number, problem)

    def where(self, number: int) -> str:
        return f"{self.name} {self.unit} {number}"


def is_workbook(data: bytes | bytearray) -> bool:
    return bytes(data[:4]) == ZIP_MAGIC


def _header(names: list[str], name: str, where: str) -> list[str]:
    header = [h.strip() for h in names]
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            raise InvalidInput(f"{name} {where}: duplicate column {named(column)}")
        seen.add(column)
    if not any(header):
        raise InvalidInput(f"{name} {where}: the header row names no column")
    return header


def csv_records(
    reader: _csv.Reader, width: int
) -> Iterator[tuple[int, list[str]] | tuple[int, str]]:
    """The records after the header of a ``csv.reader``, each with the line it starts on:
    its cells, or the problem with it (a record without ``width`` fields, a field over
    ``MAX_FIELD_CHARS`` or holding NUL; bad CSV ends the walk). Blank records are skipped."""
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, f"bad CSV: {exc}"
            return
        line, start = start, reader.line_num + 1
        joined = "".join(row)  # one C-level pass instead of a generator per check
        if not joined.strip():  # every cell blank (whitespace strips per character)
            continue
        if len(row) != width:
            yield line, f"expected {width} fields, found {len(row)}"
        elif max(map(len, row)) > MAX_FIELD_CHARS or "\x00" in joined:
            yield line, f"a field is longer than {MAX_FIELD_CHARS:,} characters or holds NUL"
        else:
            yield line, row


def csv_table(text: str | Iterable[str], name: str, header_row: int = 1) -> SourceTable:
    """A CSV text (RFC 4180), or its lines as ``io.StringIO(text, newline="")`` splits them,
    whose column names are on line ``header_row``."""
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    reader = csv.reader(lines, strict=True)
    names: list[str] | None = None
    try:
        for _ in range(header_row):
            names = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput(f"{name} line {reader.line_num}: bad CSV: {exc}") from None
    if names is None:
        raise InvalidInput(f"{name} has no line {header_row} to read the column names from")
    header = _header(names, name, f"line {header_row}")

    def rows() -> Iterator[Row | tuple[int, str]]:
        for line, cells in csv_records(reader, len(header)):
            if isinstance(cells, str):
                yield line, cells
            else:
                yield Row(line, {h: c.strip() for h, c in zip(header, cells, strict=True) if h})

    return SourceTable(name, "line", header, rows())


def workbook_table(data: bytes, name: str, sheet: str | None, header_row: int = 1) -> SourceTable:
    """A sheet of an ``.xlsx`` workbook (``sheet``: its name; None: the first visible one)
    whose column names are in row ``header_row``."""
    try:
        book = Workbook(io.BytesIO(data))
    except XlsxError as exc:
        raise InvalidInput(f"{name} is not a readable .xlsx workbook: {exc}") from None
    sheets = book.sheets
    if sheet is None:
        chosen = next((s for s in sheets if s.state == "visible"), None)
    else:
        chosen = next((s for s in sheets if s.name == sheet), None)
    if chosen is None:
        names = ", ".join(quoted(s.name) for s in sheets) or "none"
        book.zip.close()
        raise InvalidInput(
            f"{name} has no sheet {quoted(sheet)} (sheets: {names})"
            if sheet is not None
            else f"{name} has no visible sheet (sheets: {names})"
        )
    stream = book.rows(chosen)
    where = f"{name} sheet {quoted(chosen.name)}"
    header: list[str] | None = None
    try:
        for number, cells in stream:
            if number < header_row:
                continue
            if number == header_row:
                texts = {c.col: _text(book, c)[0] for c in cells}
                width = max(texts, default=-1) + 1
                header = _header([texts.get(i, "") for i in range(width)], where, f"row {number}")
            break
    except XlsxError as exc:
        book.zip.close()
        raise InvalidInput(f"{where} cannot be read: {exc}") from None
    except InvalidInput:
        book.zip.close()
        raise
    if header is None:
        book.zip.close()
        raise InvalidInput(f"{where} has no row {header_row} to read the column names from")
    columns = header

    def rows() -> Iterator[Row | tuple[int, str]]:
        try:
            for number, cells in stream:
                row = Row(number, {})
                for cell in cells:
                    if cell.col >= len(columns) or not columns[cell.col]:
                        continue
                    column = columns[cell.col]
                    text, problem = _text(book, cell)
                    row.cells[column] = text
                    row.refs[column] = cell.ref
                    if problem:
                        row.refused[column] = problem
                if any(v for v in row.cells.values()) or row.refused:
                    yield row
        except XlsxError as exc:
            yield 0, f"the sheet cannot be read: {exc}"
        finally:
            book.zip.close()

    return SourceTable(name, "row", header, rows())


def _text(book: Workbook, cell: XCell) -> tuple[str, str | None]:
    """The text a cell holds, and why it cannot be read as a value (or None)."""
    value = (cell.value or "").strip()
    if cell.formula is not None:
        return value, (
            f"cell {cell.ref} holds a formula (={cell.formula[:40]}): formulas are refused, "
            "as their stored result may be stale; paste the values, or save the sheet as CSV"
        )
    if cell.kind == "e":
        return value, f"cell {cell.ref} holds the error value {value}"
    if cell.kind == "b":
        return ("true" if value == "1" else "false"), None
    if cell.kind == "d" or (cell.kind == "n" and value and _is_date(book, cell)):
        return value, (
            f"cell {cell.ref} holds a date: dates are not read; give a year as a number or text"
        )
    if cell.kind == "n" and value:
        return number_text(value), None
    return value, None


def number_text(stored: str) -> str:
    """A workbook number as a person wrote it. The cell holds a binary double; the file spells
    it with up to 17 digits (``982.64792349337495``), of which the last are the double's noise.
    The shortest decimal that denotes the same double (``982.647923493375``: what was typed, and
    what a spreadsheet shows at full precision) is exact with respect to the file and is the
    text read; whole numbers have no ``.0``."""
    try:
        number = float(stored)
    except ValueError:
        return stored  # not a number after all: its text, for the field to refuse
    if not math.isfinite(number):
        return stored
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return format(Decimal(repr(number)), "f")


def _is_date(book: Workbook, cell: XCell) -> bool:
    """Whether a number cell shows a date or time: a built-in date format, or a format of the
    workbook's own whose code (quoted text and [colours] aside) has y, d, h or s."""
    try:
        number_format, _ = book.style(cell.style)
    except XlsxError:
        return False
    if number_format in DATE_FORMATS:
        return True
    code = _LITERALS.sub("", book.number_formats.get(number_format, "")).lower()
    return any(letter in code for letter in "ydhs")


__all__ = ["Row", "SourceTable", "column_letters", "csv_table", "is_workbook", "workbook_table"]
