"""``workbook.xlsx``: the bundle's tables for spreadsheet users, written with XlsxWriter.

No cell is ever a formula: strings are written with ``write_string`` and the workbook options
``strings_to_formulas``/``strings_to_urls``/``strings_to_numbers`` are off; a text that starts
like a formula also gets Excel's quote prefix, so editing the cell keeps it text. Amounts are
numeric cells, which Excel holds as binary doubles: every number column is therefore followed
by a ``<name>_exact`` text column with the exact decimal. The creation date is the as-of
event's time and XlsxWriter stamps zip entries with a fixed date, so the bytes are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from ledger.export_format import FORMULA_PREFIXES, Column, TableSpec, number_text

OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": True,
}
MAX_ROWS = 1_048_576  # Excel's limit, header row included
_EXACT_INT = 2**53


def _created(recorded_at: str | None) -> datetime:
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
                "title": "defledger compliance export",
                "subject": "Defense-related expenditure ledger",
                "author": "defledger",
                "comments": "Exact decimals are in the *_exact columns; numbers are doubles.",
                "created": _created(created_at),
            }
        )
        for name, value in properties.items():
            self.book.set_custom_property(name, value)
        self.bold = self.book.add_format({"bold": True})
        self.quoted = self.book.add_format({"quote_prefix": True})
        self.sheets = {
            name: self.book.add_worksheet(name)
            for name in ("provenance", "totals", "lines", "definitions")
        }

    def _header(self, sheet: Any, names: list[str]) -> None:
        for col, name in enumerate(names):
            sheet.write_string(0, col, name, self.bold)
        sheet.freeze_panes(1, 0)

    def _text(self, sheet: Any, row: int, col: int, value: Any) -> None:
        if value is None:
            return
        text = value if isinstance(value, str) else str(value)
        if text.startswith(FORMULA_PREFIXES):
            sheet.write_string(row, col, text, self.quoted)
        else:
            sheet.write_string(row, col, text)

    def _cells(
        self, sheet: Any, row: int, columns: Iterable[Column], values: dict[str, Any]
    ) -> None:
        col = 0
        for column in columns:
            value = values.get(column.name)
            text = number_text(value) if value is not None else None
            if column.type == "integer":
                if text is not None and abs(int(text)) < _EXACT_INT:
                    sheet.write_number(row, col, int(text))
                else:
                    self._text(sheet, row, col, value)
                col += 1
            elif column.type == "number":
                if text is not None:
                    # The only float in the program: Excel stores numbers as doubles.
                    sheet.write_number(row, col, float(Decimal(text)))
                    sheet.write_string(row, col + 1, text)
                else:
                    self._text(sheet, row, col, value)
                    self._text(sheet, row, col + 1, value)
                col += 2
            else:
                self._text(sheet, row, col, value)
                col += 1

    @staticmethod
    def headers(spec: TableSpec) -> list[str]:
        names: list[str] = []
        for column in spec.columns:
            names.append(column.name)
            if column.type == "number":
                names.append(column.name + "_exact")
        return names

    def write_table(self, spec: TableSpec, rows: Iterable[dict[str, Any]]) -> None:
        """Write the rows in order (streamed: ``constant_memory`` flushes each finished row);
        rows past Excel's limit are left out."""
        sheet = self.sheets[spec.name]
        names = self.headers(spec)
        self._header(sheet, names)
        count = 0
        for values in rows:
            if count == MAX_ROWS - 1:
                break
            count += 1
            self._cells(sheet, count, spec.columns, values)
        sheet.autofilter(0, 0, max(1, count), len(names) - 1)

    def write_provenance(self, items: list[tuple[str, str]]) -> None:
        sheet = self.sheets["provenance"]
        self._header(sheet, ["key", "value"])
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 1, 90)
        for index, (key, value) in enumerate(items, start=1):
            sheet.write_string(index, 0, key)
            self._text(sheet, index, 1, value)

    def close(self) -> None:
        self.book.close()
