"""A read command's ``Table`` as a document people open: its cells for people
(``human_cells``: numbers written by ``ledger.numbers``), Markdown, HTML and XLSX.

Markdown and HTML carry the cells for people (thousands separators, ``--unit``, ``--places``)
and the caption; the workbook carries the exact values — integers as numbers (as text past
2**53, where a double is inexact), every other decimal as its exact text, nothing as a formula
— with ``meta`` on a second sheet, and its bytes depend only on the table.
"""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from ledger.numbers import NumberFormat, as_fraction
from ledger.tabular import AMOUNT, CONVERTED, PERCENT, PP, Table

CREATED = datetime(2000, 1, 1, tzinfo=UTC)  # a fixed date: the same table, the same bytes
_EXACT_INT = 2**53


def plain(value: Any) -> str:
    """A value as text, the same in every format: decimals exact, nested values as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list | tuple):
        return orjson.dumps(value, default=str).decode()
    if hasattr(value, "value") and not isinstance(value, str):  # enums
        return str(value.value)
    return str(value)


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | Decimal) and not isinstance(value, bool))


def _currency(table: Table, row: dict[str, Any], kind: str | None) -> str:
    """The currency of an amount in ``row``: its own (``currency``), else the table's; a
    ``CONVERTED`` amount is in the measure's currency (per jurisdiction when a table joins
    several: ``meta["currency_by_jurisdiction"]``)."""
    fallback = str(table.meta.get("currency") or "")
    if kind == CONVERTED:
        by_place = table.meta.get("currency_by_jurisdiction") or {}
        return str(by_place.get(row.get("jurisdiction")) or fallback)
    return str(row.get("currency") or fallback)


def _currencies(table: Table, column: str) -> set[str]:
    kind = table.kinds.get(column)
    found = {_currency(table, row, kind) for row in table.rows if row.get(column) not in (None, "")}
    return found or {str(table.meta.get("currency") or "")}


def human_cells(table: Table, numbers: NumberFormat) -> tuple[list[str], list[list[str]], set[int]]:
    """Headers, rows of text and the numeric (right-aligned) columns, for people: amounts in
    the unit with the currency in the header (``total (JPY T)``; in each cell if the column
    mixes currencies), percents and percentage points to ``numbers``' places."""
    headers, columns, right = [], [], set()
    for index, name in enumerate(table.columns):
        kind = table.kinds.get(name)
        values = [row.get(name) for row in table.rows]
        if kind in (AMOUNT, CONVERTED):
            found = _currencies(table, name)
            one = next(iter(found)) if len(found) == 1 else None
            label = numbers.unit_label(one)
            texts = numbers.amounts([None if v == "" else v for v in values])
            if one is None:
                texts = [
                    f"{text} {_currency(table, row, kind)}".rstrip() if text else text
                    for text, row in zip(texts, table.rows, strict=True)
                ]
            headers.append(f"{name} ({label})" if label else name)
            right.add(index)
        elif kind in (PERCENT, PP):
            write = numbers.percent if kind == PERCENT else numbers.pp
            exact = [row.get(f"{name}_exact") for row in table.rows]
            texts = [write(e if e not in (None, "") else (v if v != "" else None))
                     for e, v in zip(exact, values, strict=True)]  # fmt: skip
            headers.append(name)
            right.add(index)
        else:
            texts = [plain(v) for v in values]
            headers.append(name)
            if table.rows and all(_is_number(v) for v in values):
                right.add(index)
        columns.append(texts)
    rows = [[column[i].replace("\n", " ") for column in columns] for i in range(len(table.rows))]
    return headers, rows, right


def markdown(table: Table, numbers: NumberFormat) -> str:
    """A pipe table (numbers right-aligned), then the caption."""
    headers, rows, right = human_cells(table, numbers)

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    align = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n" + (f"\n{table.caption}\n" if table.caption else "")


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em}"
    "table{border-collapse:collapse}th,td{padding:.2em .6em;border-bottom:1px solid #ddd;"
    "text-align:left;vertical-align:top}th{background:#f4f4f4}td.num,th.num{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}p.caption{color:#444;"
    "white-space:pre-wrap}"
)


def html_page(table: Table, numbers: NumberFormat) -> str:
    """A standalone HTML page: the table, its caption, and its meta as JSON in a comment-free
    ``<script type="application/json">`` block (data for a script, not run)."""
    headers, rows, right = human_cells(table, numbers)

    def cls(i: int) -> str:
        return ' class="num"' if i in right else ""

    head = "".join(f"<th{cls(i)}>{html.escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>"
        + "".join(f"<td{cls(i)}>{html.escape(c)}</td>" for i, c in enumerate(row))
        + "</tr>\n"
        for row in rows
    )
    meta = orjson.dumps(table.meta, default=plain).decode().replace("</", "<\\/")
    caption = f'<p class="caption">{html.escape(table.caption)}</p>\n' if table.caption else ""
    title = html.escape(f"defledger: {table.name}")
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}'
        f"</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<table>\n<thead><tr>{head}</tr>"
        f"</thead>\n<tbody>\n{body}</tbody>\n</table>\n{caption}"
        f'<script type="application/json" id="meta">{meta}</script>\n</body>\n</html>\n'
    )


def _xlsx_value(value: Any) -> int | str | None:
    """An exact cell value: an integer (within 2**53) as a number, anything else as text."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < _EXACT_INT:
        return value
    if isinstance(value, str | Decimal):
        exact = as_fraction(value)
        text = plain(value)
        if exact is not None and exact.denominator == 1 and abs(exact) < _EXACT_INT:
            if text.lstrip("-").isdigit():
                return int(exact)
        return text
    return plain(value)


def xlsx_bytes(table: Table) -> bytes:
    """The table on a sheet (header bold and frozen, a filter on it) and ``meta`` and the
    caption on a second; exact values (see the module's docstring)."""
    import xlsxwriter  # here: a table for the terminal, CSV or JSON loads neither

    from ledger.exports.xlsx import OPTIONS, text_cell

    buffer = io.BytesIO()
    options = {k: v for k, v in OPTIONS.items() if k != "constant_memory"} | {"in_memory": True}
    book = xlsxwriter.Workbook(buffer, options)
    book.set_properties({"title": f"defledger {table.name}", "author": "defledger",
                         "created": CREATED})  # fmt: skip
    bold, quoted = book.add_format({"bold": True}), book.add_format({"quote_prefix": True})
    sheet = book.add_worksheet(table.name[:31] or "table")
    for col, name in enumerate(table.columns):
        sheet.write_string(0, col, name, bold)
    for row_number, row in enumerate(table.rows, start=1):
        for col, name in enumerate(table.columns):
            value = _xlsx_value(row.get(name))
            if isinstance(value, int):
                sheet.write_number(row_number, col, value)
            elif value is not None:
                cell = text_cell(value)
                assert cell is not None and isinstance(cell.value, str)
                sheet.write_string(row_number, col, cell.value, quoted if cell.quoted else None)
    sheet.freeze_panes(1, 0)
    if table.columns:
        sheet.autofilter(0, 0, max(1, len(table.rows)), len(table.columns) - 1)
    about = book.add_worksheet("meta")
    about.write_string(0, 0, "key", bold)
    about.write_string(0, 1, "value", bold)
    items = [(key, plain(value)) for key, value in table.meta.items()]
    items += [("caption", table.caption)] if table.caption else []
    for row_number, (key, text) in enumerate(items, start=1):
        about.write_string(row_number, 0, key)
        cell = text_cell(text)
        assert cell is not None and isinstance(cell.value, str)
        about.write_string(row_number, 1, cell.value, quoted if cell.quoted else None)
    book.close()
    return buffer.getvalue()
