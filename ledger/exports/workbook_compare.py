"""Compare a bundle's ``workbook.xlsx`` with the workbook the events give, cell by cell.

The expected cells are ``ledger.exports.xlsx``'s (``table_rows``, ``provenance_rows``), from the
tables recomputed from ``events.jsonl``; the file is read with ``ledger.intake.xlsx_reader``.
What is compared is what a spreadsheet shows and keeps, not the zip's bytes (a workbook saved
again by a spreadsheet program, unchanged, still compares equal):

- every cell of the four sheets: its type (number or text), its value (a number as the double
  of the exact decimal; a text exactly), no formula anywhere, no number format (what is shown is
  the value), and the quote prefix on text that starts like a formula; no extra cell or row;
- the sheets, in order and visible; no defined name but the autofilters'; no part that the
  export never writes (macros, external links, drawings, comments...) and no relationship to
  an external target;
- the ``ledger`` custom property and the creation time.

Findings name the sheet, the cell and its column, and the row's key, like the CSV comparison.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ledger.exports.compare import LIMIT, Finding, row_label
from ledger.exports.xlsx import SHEETS, Cell, Row
from ledger.intake.xlsx_reader import Workbook, XCell, XlsxError, column_letters

_PARTS = re.compile(
    r"\[Content_Types\]\.xml|(?:.+/)?_rels/[^/]*\.rels|docProps/(?:app|core|custom)\.xml"
    r"|xl/(?:workbook|styles|sharedStrings)\.xml|xl/theme/theme[0-9]+\.xml"
)
_FILTER = "_xlnm._FilterDatabase"


@dataclass
class ExpectedWorkbook:
    """The workbook the events give: each sheet's rows (header first), the key columns that
    name a row in messages, and the document properties."""

    sheets: dict[str, Iterable[Row]]
    keys: dict[str, tuple[str, ...]]
    properties: dict[str, str]
    created: str


def _number(cell: XCell) -> float | None:
    try:
        return float(Decimal(cell.value or ""))
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _same_number(cell: XCell, want: int | float) -> bool:
    if isinstance(want, int):
        try:
            return Decimal(cell.value or "") == want
        except InvalidOperation:
            return False
    # XlsxWriter writes a double with 16 significant digits; either spelling is that double.
    return _number(cell) in (want, float(f"{want:.16G}"))


def _show(value: int | float | str) -> str:
    if isinstance(value, str):
        return repr(value)
    return str(value) if isinstance(value, int) else f"{value:.16G}"


def _shown(cell: XCell) -> str:
    if cell.formula is not None:
        return f"the formula ={cell.formula}"
    if cell.is_text:
        return repr(cell.value)
    if cell.kind == "n":
        return cell.value or "empty"
    return f"{cell.value!r} (cell type {cell.kind})"


def _empty(cell: XCell | None) -> bool:
    return cell is None or (cell.formula is None and cell.value in (None, ""))


def _as_written(book: Workbook, cell: XCell, want: Cell) -> bool:
    """The common case, decided quickly: the cell is exactly as XlsxWriter writes ``want``."""
    if cell.formula is not None or book.style(cell.style)[0] != 0:
        return False
    value = want.value
    if isinstance(value, str):
        return (
            cell.is_text and cell.value == value and (not want.quoted or book.style(cell.style)[1])
        )
    spelled = str(value) if isinstance(value, int) else f"{value:.16G}"
    return cell.kind == "n" and cell.value == spelled


def _cell_problem(book: Workbook, cell: XCell | None, want: Cell | None) -> str | None:
    """What is wrong with ``cell`` where the events give ``want``; None if nothing."""
    if cell is not None and cell.formula is not None:
        return f"is {_shown(cell)}, the events give {_show(want.value) if want else 'nothing'}"
    if want is None or want.value == "":
        return (
            None if cell is None or _empty(cell) else f"is {_shown(cell)}, the events give nothing"
        )
    if _empty(cell):
        return f"is empty, the events give {_show(want.value)}"
    assert cell is not None
    number_format, quoted = book.style(cell.style)
    if want.is_number:
        assert not isinstance(want.value, str)
        if cell.kind != "n" or not _same_number(cell, want.value):
            return f"is {_shown(cell)}, the events give {_show(want.value)}"
    elif not cell.is_text or cell.value != want.value:
        return f"is {_shown(cell)}, the events give {_show(want.value)}"
    if number_format != 0:
        return f"is shown through number format {number_format}, not as its value (General)"
    if want.quoted and not quoted:
        return "has lost its quote prefix (a spreadsheet would evaluate it once edited)"
    return None


def _compare_sheet(
    book: Workbook, name: str, actual: Iterator[tuple[int, list[XCell]]], rows: Iterable[Row],
    key: tuple[str, ...],
) -> Iterator[Finding]:  # fmt: skip
    names: list[str] = []
    pending = next(actual, None)
    number = 0
    for number, want in enumerate(rows, start=1):
        if number == 1:
            names = [str(c.value) if c else "" for c in want]
        cells: dict[int, XCell] = {}
        if pending is not None and pending[0] < number:
            yield pending[0], f"sheet {name} row {pending[0]}: rows are out of order"
            return
        if pending is not None and pending[0] == number:
            cells = {c.col: c for c in pending[1]}
            pending = next(actual, None)
        if number == 1:
            label = "header"
        else:
            values = {n: str(c.value) if c else "" for n, c in zip(names, want, strict=False)}
            label = row_label(list(key), tuple(values.get(k, "") for k in key)) or f"row {number}"
        for col in sorted(set(range(len(want))) | set(cells)):
            cell, need = cells.get(col), want[col] if col < len(want) else None
            if cell is not None and need is not None and _as_written(book, cell, need):
                continue
            problem = _cell_problem(book, cell, need)
            if problem:
                column = names[col] if col < len(names) else f"column {column_letters(col)}"
                ref = f"{column_letters(col)}{number}"
                yield number, f"sheet {name} cell {ref}, {label}: {column} {problem}"
    while pending is not None:
        if pending[1]:
            yield pending[0], f"sheet {name} row {pending[0]}: not produced by the events"
        pending = next(actual, None)
    del number


def _structure(book: Workbook, expected: ExpectedWorkbook) -> Iterator[Finding]:
    names = [sheet.name for sheet in book.sheets]
    if names != list(SHEETS):
        yield None, f"has the sheets {', '.join(names)}; the export writes {', '.join(SHEETS)}"
    for sheet in book.sheets:
        if sheet.state != "visible":
            yield None, f"sheet {sheet.name} is {sheet.state}"
    sheet_parts = {sheet.part for sheet in book.sheets}
    for part in book.parts:
        if part not in sheet_parts and not _PARTS.fullmatch(part):
            yield None, f"holds {part}, a part the export never writes"
    for rel in book.relationships:
        if rel.external:
            yield None, f"{rel.source} links to the external target {rel.target!r}"
    for defined, hidden, formula in book.defined_names:
        if defined != _FILTER or not hidden:
            yield None, f"defines the name {defined} ({formula}), which the export never writes"
    properties = book.custom_properties()
    if properties != expected.properties:
        yield None, f"its custom properties are {properties}, the events give {expected.properties}"
    created = book.created()
    if created != expected.created:
        yield None, f"was created {created!r} by its properties, the events give {expected.created}"


def same_members(path: Path, parts: Iterable[tuple[str, Iterator[bytes]]]) -> bool:
    """True iff the zip at ``path`` holds exactly these members, in this order, each with
    exactly these (uncompressed) bytes: the workbook export writes for the same events, so
    nothing in it can differ from the expected cells. Anything else (a workbook saved again by
    a spreadsheet program, a tampered or unreadable one) is False: compare it cell by cell."""
    try:
        with zipfile.ZipFile(path) as book:
            infos = book.infolist()
            members = iter(parts)
            for info in infos:
                name, chunks = next(members, ("", iter(())))
                if info.filename != name:
                    return False
                with book.open(info) as member:
                    for chunk in chunks:
                        if member.read(len(chunk)) != chunk:
                            return False
                    if member.read(1):
                        return False
            return next(members, None) is None
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        return False


def compare_workbook(path: Path, expected: ExpectedWorkbook) -> list[Finding]:
    """The differences between the workbook at ``path`` and the expected one; empty if none.
    At most ``LIMIT`` findings per sheet are listed, then how many more there are."""
    found: list[Finding] = []
    try:
        with Workbook(path) as book:
            found.extend(_structure(book, expected))
            by_name = {sheet.name: sheet for sheet in book.sheets}
            for name in SHEETS:
                rows = iter(expected.sheets[name])
                if name not in by_name:
                    continue
                listed: list[Finding] = []
                more = 0
                key = expected.keys.get(name, ())
                for finding in _compare_sheet(book, name, book.rows(by_name[name]), rows, key):
                    if len(listed) < LIMIT:
                        listed.append(finding)
                    else:
                        more += 1
                found.extend(listed)
                if more:
                    found.append((None, f"sheet {name}: … and {more} more differences"))
    except XlsxError as exc:
        found.append((None, f"is not a workbook that can be checked: {exc}"))
    return found
