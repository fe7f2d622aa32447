"""``ledger.intake.xlsx_reader``: the standard-library reader verify-export compares workbooks with
reads what XlsxWriter writes exactly, and what a spreadsheet program writes on saving."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers import category, line
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from ledger.exports.verify import verify_export
from ledger.exports.write import export_bundle
from ledger.exports.xlsx import MAX_TEXT, fit_text
from ledger.intake.xlsx_reader import Workbook, XlsxError, column_letters, decode_text
from ledger.storage.store import EventStore


def _cells(path: Path, sheet: str) -> dict[str, tuple[str, str | None, str | None]]:
    with Workbook(path) as book:
        found = {s.name: s for s in book.sheets}[sheet]
        return {c.ref: (c.kind, c.value, c.formula) for _, row in book.rows(found) for c in row}


def test_decode_text__ecma_376_escapes() -> None:
    assert decode_text("a_x0001_b") == "a\x01b"
    assert decode_text("_x005F_x0041_") == "_x0041_"  # an escaped escape stays literal
    assert decode_text("_xD83D_") == "\ud83d"  # decoded as written; never produced for text
    assert decode_text("no escape_x12_") == "no escape_x12_"


def test_column_letters() -> None:
    assert [column_letters(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_reader__control_characters_escapes_and_non_bmp_text_read_back_exactly(
    store: EventStore, tmp_path: Path
) -> None:
    program = "a\x01b_x0041_c\U0001f600\uffff\u2028\ufeff\r\nz"
    store.append_events([category(), line("L1", "5", program=program)])
    export_bundle(store, "bundle", 2, root=str(tmp_path))
    kind, value, formula = _cells(tmp_path / "bundle" / "workbook.xlsx", "lines")["E2"]
    assert (kind, formula) == ("inlineStr", None)
    assert value == store.get(2).payload["program"]
    assert verify_export(tmp_path / "bundle").ok


def test_reader__cells_as_openpyxl_saves_them(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "s"
    sheet["A1"] = "plain"
    sheet["B1"] = CellRichText([TextBlock(InlineFont(b=True), "bo"), "ld"])
    sheet["C1"] = 0.1
    sheet["D1"] = "=1+1"
    sheet["A3"] = True
    book.save(tmp_path / "x.xlsx")
    assert _cells(tmp_path / "x.xlsx", "s") == {
        "A1": ("inlineStr", "plain", None),
        "B1": ("inlineStr", "bold", None),
        "C1": ("n", "0.1", None),
        "D1": ("n", None, "1+1"),
        "A3": ("b", "1", None),
    }


MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def test_reader__shared_strings_runs_and_rows_without_references(tmp_path: Path) -> None:
    """Shared strings (what Excel writes), rich runs with a phonetic guide, cells and rows
    without an ``r`` reference, and a workbook part found through the relationships."""
    parts = {
        "_rels/.rels": f'<Relationships {RELS}><Relationship Id="rId1" '
        f'Type="{TYPE}officeDocument" Target="book/main.xml"/></Relationships>',
        "book/_rels/main.xml.rels": f"<Relationships {RELS}>"
        f'<Relationship Id="a" Type="{TYPE}worksheet" Target="/sheets/one.xml"/>'
        f'<Relationship Id="b" Type="{TYPE}sharedStrings" Target="strings.xml"/>'
        "</Relationships>",
        "book/main.xml": f'<workbook {MAIN} xmlns:r="{TYPE[:-1]}"><sheets>'
        '<sheet name="s" sheetId="1" r:id="a"/></sheets></workbook>',
        "book/strings.xml": f"<sst {MAIN}><si><t>plain</t></si><si><r><t>bo</t></r>"
        "<r><t>ld_x000D_</t></r><rPh><t>guide</t></rPh></si></sst>",
        "sheets/one.xml": f'<worksheet {MAIN}><sheetData><row><c t="s"><v>1</v></c>'
        '<c t="s"><v>0</v></c></row><row r="4"><c r="C4" t="str"><f>A1</f><v>plain</v></c>'
        "</row></sheetData></worksheet>",
    }
    with zipfile.ZipFile(tmp_path / "x.xlsx", "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    assert _cells(tmp_path / "x.xlsx", "s") == {
        "A1": ("s", "bold\r", None),
        "B1": ("s", "plain", None),
        "C4": ("str", "plain", "A1"),
    }
    with Workbook(tmp_path / "x.xlsx") as book:
        assert book.styles == [(0, False)]
        assert book.custom_properties() == {} and book.created() is None


def test_reader__what_is_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"not a zip")
    with pytest.raises(XlsxError, match="not a zip file"):
        Workbook(tmp_path / "a.xlsx")
    with zipfile.ZipFile(tmp_path / "b.xlsx", "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(XlsxError, match="does not name one workbook part"):
        Workbook(tmp_path / "b.xlsx")


def test_reader__a_part_read_whole_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.intake import xlsx_reader

    monkeypatch.setattr(xlsx_reader, "MAX_PART", 100)
    with zipfile.ZipFile(tmp_path / "big.xlsx", "w") as archive:
        archive.writestr("_rels/.rels", "<Relationships>" + " " * 200 + "</Relationships>")
    with pytest.raises(XlsxError, match="_rels/.rels is larger than 0 MiB: not read"):
        Workbook(tmp_path / "big.xlsx")


def test_fit_text__excel_limit_in_utf16_units_never_splits_a_pair() -> None:
    assert fit_text("x" * MAX_TEXT) == "x" * MAX_TEXT
    cut = fit_text("x" * (MAX_TEXT - 1) + "\U0001f600")  # the pair would end past the limit
    assert cut == "x" * (MAX_TEXT - 1)
    assert len(fit_text("\U0001f600" * MAX_TEXT).encode("utf-16-le")) == 2 * (MAX_TEXT - 1)
