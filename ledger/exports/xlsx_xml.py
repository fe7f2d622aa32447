"""The bytes of ``workbook.xlsx``: every part of the zip for the bundle's fixed layout, the sheets
streamed row by row (SpreadsheetML inline strings, as XlsxWriter's ``constant_memory`` mode
writes them, with the same fixed parts, so the workbook opens wherever it did).

``workbook_members`` is the one place these bytes are made: ``xlsx.write_workbook`` writes its
members into the zip, and ``verify-export`` compares a bundle's members with them
(``workbook_compare.same_members``) before it falls back to reading the workbook cell by cell.

Cells: a number is ``<v>`` with the double's shortest 16-significant-digit spelling (``.16G``,
as XlsxWriter writes it; an integer as its digits); a text is an inline string, XML-escaped,
its control characters as ECMA-376 ``_xHHHH_`` escapes (a literal ``_xHHHH_`` gets its ``_``
escaped, overlapping ones too), with ``xml:space="preserve"`` when it starts or ends with white
space. Style 1 is the bold header, style 2 Excel's quote prefix; no number format anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from ledger.intake.xlsx_reader import column_letters

if TYPE_CHECKING:
    from ledger.exports.xlsx import Row

_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "application/vnd.openxmlformats-officedocument"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CHUNK = 1 << 16

_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f\ufffe\uffff])")
# The underscore of every ``_xHHHH_`` in the text, overlapping ones included: ``_x005F_x0041_``
# must become ``_x005F_x005F_x005F_x0041_`` (XlsxWriter's non-overlapping substitution wrote
# ``_x005F_x005F_x0041_``, which reads back as ``_x005FA``).
_LITERAL = re.compile(r"_(?=x[0-9a-fA-F]{4}_)")


def escape_text(text: str) -> str:
    """A cell's text as SpreadsheetML character data (``_xHHHH_`` escapes, then XML)."""
    if _ESCAPE.search(text) is None:
        return text
    text = _LITERAL.sub("_x005F_", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


_LETTERS = [column_letters(col) for col in range(64)]


def row_xml(number: int, cells: Row) -> str:
    """The ``<row>`` element of sheet row ``number`` (1-based)."""
    r = str(number)
    parts = [f'<row r="{r}">']
    for col, cell in enumerate(cells):
        if cell is None:
            continue
        ref = (_LETTERS[col] if col < 64 else column_letters(col)) + r
        value = cell.value
        if value.__class__ is str:
            assert isinstance(value, str)
            style = ' s="1"' if cell.bold else ' s="2"' if cell.quoted else ""
            space = (
                ' xml:space="preserve"'
                if value and (value[0].isspace() or value[-1].isspace())
                else ""
            )
            parts.append(
                f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape_text(value)}</t></is></c>'
            )
        else:
            spelled = str(value) if value.__class__ is int else f"{value:.16G}"
            parts.append(f'<c r="{ref}"><v>{spelled}</v></c>')
    parts.append("</row>")
    return "".join(parts)


def _sheet_head(first: bool, widths: tuple[float, ...]) -> str:
    selected = ' tabSelected="1"' if first else ""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    return (
        f'{_DECL}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView{selected} '
        'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
    )


_MARGINS = (
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
)


class Sheet:
    """One sheet to write: its name, its rows (header first), whether it has an autofilter over
    its columns, and its column widths (Excel's units, as XlsxWriter stores them)."""

    def __init__(
        self, name: str, rows: Iterable[Row], columns: int, autofilter: bool,
        widths: tuple[float, ...] = (),
    ) -> None:  # fmt: skip
        self.name, self.rows, self.columns = name, rows, columns
        self.autofilter, self.widths = autofilter, widths
        self.data_rows = 0

    def filter_ref(self) -> str:
        last = column_letters(self.columns - 1)
        return f"A1:{last}{max(1, self.data_rows) + 1}"

    def filter_name_ref(self) -> str:
        last = column_letters(self.columns - 1)
        return f"$A$1:${last}${max(1, self.data_rows) + 1}"

    def chunks(self, first: bool) -> Iterator[bytes]:
        """The sheet's XML in chunks of about 64 KiB; counts the data rows as it goes."""
        parts = [_sheet_head(first, self.widths)]
        size = 0
        number = 0
        for number, cells in enumerate(self.rows, start=1):
            text = row_xml(number, cells)
            parts.append(text)
            size += len(text)
            if size >= _CHUNK:
                yield "".join(parts).encode("utf-8")
                parts, size = [], 0
        self.data_rows = max(0, number - 1)
        parts.append("</sheetData>")
        if self.autofilter:
            parts.append(f'<autoFilter ref="{self.filter_ref()}"/>')
        parts.append(_MARGINS + "</worksheet>")
        yield "".join(parts).encode("utf-8")


def _content_types(count: int) -> str:
    overrides = [
        ("/docProps/app.xml", f"{_OFFICE}.extended-properties+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/xl/styles.xml", f"{_OFFICE}.spreadsheetml.styles+xml"),
        ("/xl/theme/theme1.xml", f"{_OFFICE}.theme+xml"),
        ("/xl/workbook.xml", f"{_OFFICE}.spreadsheetml.sheet.main+xml"),
        *(
            (f"/xl/worksheets/sheet{i}.xml", f"{_OFFICE}.spreadsheetml.worksheet+xml")
            for i in range(1, count + 1)
        ),
        ("/docProps/custom.xml", f"{_OFFICE}.custom-properties+xml"),
    ]
    return (
        f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
        + "</Types>"
    )


def _root_rels() -> str:
    targets = [
        (f"{_REL}/officeDocument", "xl/workbook.xml"),
        (f"{_PKG}/metadata/core-properties", "docProps/core.xml"),
        (f"{_REL}/extended-properties", "docProps/app.xml"),
        (f"{_REL}/custom-properties", "docProps/custom.xml"),
    ]
    return _relationships(targets)


def _relationships(targets: list[tuple[str, str]]) -> str:
    return (
        f'{_DECL}<Relationships xmlns="{_PKG}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
            for i, (kind, target) in enumerate(targets, start=1)
        )
        + "</Relationships>"
    )


def _app(names: list[str]) -> str:
    titles = "".join(f"<vt:lpstr>{escape_text(n)}</vt:lpstr>" for n in names)
    return (
        f'{_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'extended-properties" xmlns:vt="{_VT}"><Application>Microsoft Excel</Application>'
        "<DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs>"
        '<vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr>'
        "</vt:variant>"
        f"<vt:variant><vt:i4>{len(names)}</vt:i4></vt:variant></vt:vector></HeadingPairs>"
        f'<TitlesOfParts><vt:vector size="{len(names)}" baseType="lpstr">{titles}</vt:vector>'
        "</TitlesOfParts><Company></Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>"
        "false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000"
        "</AppVersion></Properties>"
    )


def _core(properties: dict[str, str], created: datetime) -> str:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'{_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/'
        'dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape_text(properties['title'])}</dc:title>"
        f"<dc:subject>{escape_text(properties['subject'])}</dc:subject>"
        f"<dc:creator>{escape_text(properties['author'])}</dc:creator>"
        f"<dc:description>{escape_text(properties['comments'])}</dc:description>"
        f"<cp:lastModifiedBy>{escape_text(properties['author'])}</cp:lastModifiedBy>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _custom(custom: dict[str, str]) -> str:
    props = "".join(
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" '
        f'pid="{pid}" name="{_attribute(name)}"><vt:lpwstr>{escape_text(value)}</vt:lpwstr>'
        "</property>"
        for pid, (name, value) in enumerate(custom.items(), start=2)
    )
    return (
        f'{_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'custom-properties" xmlns:vt="{_VT}">{props}</Properties>'
    )


_FONT = (
    '<sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
)
STYLES = (
    f'{_DECL}<styleSheet xmlns="{_MAIN}"><fonts count="2"><font>{_FONT}</font><font><b/>'
    f'{_FONT}</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
    '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles><dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
    'defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
)


def _workbook(sheets: list[Sheet]) -> str:
    listed = "".join(
        f'<sheet name="{_attribute(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    filters = sorted((s.name, index, s) for index, s in enumerate(sheets) if s.autofilter)
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
        f"{escape_text(name)}!{s.filter_name_ref()}"
        "</definedName>"
        for name, index, s in filters
    )
    return (
        f'{_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><fileVersion appName="xl" '
        'lastEdited="4" lowestEdited="4" rupBuild="4505"/><workbookPr '
        'defaultThemeVersion="124226"/><bookViews><workbookView xWindow="240" yWindow="15" '
        f'windowWidth="16095" windowHeight="9660"/></bookViews><sheets>{listed}</sheets>'
        + (f"<definedNames>{names}</definedNames>" if names else "")
        + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )


def _workbook_rels(count: int) -> str:
    targets = [(f"{_REL}/worksheet", f"worksheets/sheet{i}.xml") for i in range(1, count + 1)]
    targets += [(f"{_REL}/theme", "theme/theme1.xml"), (f"{_REL}/styles", "styles.xml")]
    return _relationships(targets)


def member_names(count: int) -> list[str]:
    """The zip's members in the order ``workbook_members`` gives them."""
    return [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/app.xml",
        "docProps/core.xml",
        "docProps/custom.xml",
        *(f"xl/worksheets/sheet{i}.xml" for i in range(1, count + 1)),
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/theme/theme1.xml",
    ]


def workbook_members(
    sheets: list[Sheet], properties: dict[str, str], custom: dict[str, str], created: datetime
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Each member of the workbook's zip, in order, with its bytes in chunks. The workbook part
    comes after the sheets: its autofilter names need their row counts. ``properties`` holds
    the core ``title``, ``subject``, ``author`` and ``comments``."""
    names = member_names(len(sheets))

    def one(text: str) -> Iterator[bytes]:
        yield text.encode("utf-8")

    fixed = [
        _content_types(len(sheets)),
        _root_rels(),
        _app([s.name for s in sheets]),
        _core(properties, created),
        _custom(custom),
    ]
    for name, text in zip(names, fixed, strict=False):
        yield name, one(text)
    for index, sheet in enumerate(sheets):
        yield names[len(fixed) + index], sheet.chunks(index == 0)
    from xlsxwriter.theme import THEME_XML_2007  # here: loads all of XlsxWriter (~15 ms)

    tail = [_workbook(sheets), _workbook_rels(len(sheets)), STYLES, THEME_XML_2007]
    for name, text in zip(names[len(fixed) + len(sheets) :], tail, strict=True):
        yield name, one(text)
