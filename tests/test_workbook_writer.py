"""The bundle's own streaming workbook writer (ledger.exports.xlsx_xml, xlsx.write_workbook):
texts come back exactly through openpyxl and our reader, numbers stay numbers, the fixed parts
open in openpyxl, and ``same_members`` (verify-export's quick check) accepts only the very
members written."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import category, line
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.exports.columns import Column, number_text
from ledger.exports.tables import DEFINITIONS, LINES
from ledger.exports.verify import verify_export
from ledger.exports.workbook_compare import same_members
from ledger.exports.write import export_bundle
from ledger.exports.xlsx import Cell, row_cells, text_cell, write_workbook
from ledger.exports.xlsx_xml import Sheet, escape_text, workbook_members
from ledger.intake.xlsx_reader import Workbook, decode_text
from ledger.storage.store import EventStore

PROPERTIES = {"title": "t", "subject": "s", "author": "a", "comments": "c & <d>"}
TRICKY = [
    "plain",
    " leading and trailing ",
    "line\nbreak\ttab",
    "carriage\rreturn",
    "nul\0and\x1funit",
    "_x0041_ is not A",
    "_x005F_x0041_",
    "<r><t>rich?</t></r>",
    "a & b < c > d \"quoted\" 'single'",
    "=1+2",
    "\ufffe\uffff",
    "😀 emoji and 防衛",
    "",
]


def _members(rows: list[list[Cell | None]]) -> list[tuple[str, list[bytes]]]:
    sheets = [
        Sheet("provenance", [[Cell("key", bold=True)]], 1, False, (24.7109375,)),
        Sheet("data", rows, max(len(r) for r in rows), True),
    ]
    from datetime import UTC, datetime

    created = datetime(2025, 4, 1, tzinfo=UTC)
    return [(n, list(c)) for n, c in workbook_members(sheets, PROPERTIES, {"ledger": "x"}, created)]


def _write(path: Path, rows: list[list[Cell | None]]) -> list[tuple[str, list[bytes]]]:
    members = _members(rows)
    write_workbook(path, ((n, iter(c)) for n, c in members))
    return members


def test_workbook_writer__tricky_texts_numbers_and_styles_read_back(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    header = [Cell("text", bold=True), Cell("number", bold=True), Cell("big", bold=True)]
    rows: list[list[Cell | None]] = [header]
    rows += [
        [Cell(text, quoted=text.startswith("=")), Cell(-1234.5), Cell(2**53 - 1)] for text in TRICKY
    ]
    rows.append([None, Cell(0.1), None])
    _write(path, rows)
    sheet = openpyxl.load_workbook(path)["data"]
    got = list(sheet.iter_rows(values_only=True))
    assert got[0] == ("text", "number", "big")
    # openpyxl does not decode ECMA-376 ``_xHHHH_`` escapes (as with XlsxWriter's files):
    # the texts without control characters or such literals come back from it exactly
    escaped = {"carriage\rreturn", "nul\0and\x1funit", "_x0041_ is not A", "_x005F_x0041_"}
    escaped.add("\ufffe\uffff")
    for text, row in zip(TRICKY, got[1:], strict=False):
        assert row[1:] == (-1234.5, 2**53 - 1)
        if text not in escaped:
            assert row[0] == text
    assert got[-1] == (None, 0.1, None)
    assert sheet["A1"].font.b and sheet["A11"].quotePrefix and not sheet["A2"].quotePrefix
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:C{len(rows)}"
    with Workbook(path) as book:  # ours decodes every text exactly
        data = {s.name: s for s in book.sheets}["data"]
        texts = {n: c.value for n, row in book.rows(data) for c in row if c.col == 0}
        assert [texts[n] for n in range(2, 2 + len(TRICKY))] == TRICKY
        assert book.custom_properties() == {"ledger": "x"}
        assert book.created() == "2025-04-01T00:00:00Z"


@settings(max_examples=200, deadline=None)
@given(st.text() | st.lists(st.sampled_from(["_", "x", "005F", "0041", "_x", "A"])).map("".join))
@example("_x005F_x0041_")
def test_escape_text__decodes_back_to_the_same_text(text: str) -> None:
    escaped = escape_text(text)
    unxml = escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert decode_text(unxml) == text


def test_same_members__only_the_very_bytes_written(tmp_path: Path) -> None:
    rows: list[list[Cell | None]] = [[Cell("a", bold=True)], [Cell("x")], [Cell(1)]]
    path = tmp_path / "w.xlsx"
    members = _write(path, rows)

    def parts() -> list[tuple[str, object]]:
        return [(n, iter(c)) for n, c in members]

    assert same_members(path, parts())  # type: ignore[arg-type]
    assert not same_members(path, parts()[:-1])  # type: ignore[arg-type]
    changed = [(n, [c.replace(b"<t>x</t>", b"<t>y</t>") for c in cs]) for n, cs in members]
    assert changed != members
    assert not same_members(path, ((n, iter(c)) for n, c in changed))
    resaved = tmp_path / "resaved.xlsx"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(resaved, "w") as new:
        for info in reversed(old.infolist()):
            new.writestr(info, old.read(info))
    assert not same_members(resaved, parts())  # type: ignore[arg-type]
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    assert not same_members(tmp_path / "junk.xlsx", parts())  # type: ignore[arg-type]


def test_verify_export__a_pristine_workbook_is_checked_member_by_member(
    store: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes verify-export recomputes are the bytes export wrote, so an untouched workbook
    never needs the cell-by-cell reading (which the tamper tests exercise)."""
    from ledger.exports import recomputed

    store.append_events(
        [category(), line("L1", "5", program=TRICKY[6] + " & <x>"), line("L2", "-1.5")]
    )
    head = store.head()
    assert head is not None
    export_bundle(store, "bundle", head.seq, root=str(tmp_path))

    def refuse(*_: object) -> list[object]:
        raise AssertionError("the workbook was read cell by cell")

    monkeypatch.setattr(recomputed, "compare_workbook", refuse)
    assert verify_export(tmp_path / "bundle").ok


def _reference_cells(columns: tuple[Column, ...], values: dict[str, Any]) -> list[Cell | None]:
    """``row_cells`` as it was before its quick paths: every value through the general rules."""
    cells: list[Cell | None] = []
    for column in columns:
        value = values.get(column.name)
        if column.type == "integer":
            text = number_text(value) if value is not None else None
            exact = text is not None and abs(int(text)) < 2**53
            cells.append(Cell(int(text)) if exact and text is not None else text_cell(value))
        elif column.type == "number":
            text = number_text(value) if value is not None else None
            if text is not None:
                cells += [Cell(float(Decimal(text))), text_cell(text)]
            else:
                cells += [text_cell(value), text_cell(value)]
        else:
            cells.append(text_cell(value))
    return cells


_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from([2**53 - 1, 2**53, -(2**53) + 1, -(2**53)]),
    st.text(max_size=6),
    st.sampled_from(["=x", "-1", "+", "x" * 20_000, "😀" * 16_400]),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({c.name: _VALUE for c in LINES.columns + DEFINITIONS.columns}))
def test_row_cells__the_quick_paths_give_the_general_cells(values: dict[str, Any]) -> None:
    def outcome(make: Any, columns: tuple[Column, ...]) -> object:
        try:
            return make(columns, values)
        except ValueError as exc:  # a decimal with places in an integer column, as before
            return type(exc)

    for spec in (LINES, DEFINITIONS):
        assert outcome(row_cells, spec.columns) == outcome(_reference_cells, spec.columns)
