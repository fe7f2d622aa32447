"""A small reader of ``.xlsx`` workbooks (Office Open XML SpreadsheetML), enough for
``verify-export`` to compare ``workbook.xlsx`` cell by cell with the events, using the standard
library only (``zipfile`` and ``xml.etree``), so the core install stays small.

It reads what XlsxWriter writes (inline strings) and what a spreadsheet program writes when it
saves the file again (shared strings, rich-text runs): the package's parts, relationships and
custom properties, the sheets in order with their visibility, the defined names, each cell
style's number format and quote prefix, and a sheet's cells streamed row by row with their
type, value and formula. Text is decoded as ECMA-376 says (``_xHHHH_`` escapes). A file that is
not such a workbook raises ``XlsxError``.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple
from xml.etree import ElementTree as ET
from xml.parsers import expat

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
DCTERMS = "{http://purl.org/dc/terms/}"
_LETTERS = re.compile(r"[A-Z]{1,3}")
_M = MAIN[1:-1] + "}"  # how expat names an element of the main namespace
_ROW, _C, _V, _F, _IS, _T, _RPH = (_M + tag for tag in ("row", "c", "v", "f", "is", "t", "rPh"))
_TEXT_ENDS = frozenset({_V, _F, _T, _RPH})
_CHUNK = 1 << 16
MAX_PART = 64 << 20  # a part read whole (styles, shared strings...): a hostile file stays small
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


class XlsxError(ValueError):
    """The file is not a workbook this reader can read."""


class XCell(NamedTuple):
    """One cell as stored: ``kind`` is the cell type (``n`` number, ``inlineStr`` or ``s``
    text, ``str`` a formula's text, ``b`` boolean, ``e`` error, ``d`` date); ``value`` the text
    of its value (decoded for text), None when it has none; ``formula`` the formula, if any.
    (A named tuple: a sheet has millions of cells, and a frozen dataclass is slow to make.)"""

    ref: str
    row: int
    col: int
    kind: str
    value: str | None
    formula: str | None
    style: int

    @property
    def is_text(self) -> bool:
        return self.kind in ("inlineStr", "s")


@dataclass(frozen=True)
class XSheet:
    name: str
    part: str
    state: str  # visible, hidden or veryHidden


@dataclass(frozen=True)
class Relationship:
    source: str  # the .rels part it is in
    kind: str  # the last segment of its Type
    target: str
    external: bool


def column_letters(col: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def decode_text(text: str) -> str:
    """ECMA-376 ``ST_Xstring``: ``_xHHHH_`` is the character U+HHHH (``_x005F_`` an underscore)."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _runs_text(element: ET.Element) -> str:
    """The text of an ``<is>`` or ``<si>``: its ``<t>`` and its runs' ``<t>`` (not the phonetic
    ``<rPh>`` guides)."""
    parts: list[str] = []
    for child in element:
        if child.tag == MAIN + "t":
            parts.append(child.text or "")
        elif child.tag == MAIN + "r":
            parts.extend(t.text or "" for t in child.iter(MAIN + "t"))
    return decode_text("".join(parts))


def _rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


class Workbook:
    """An open ``.xlsx`` file; use as a context manager."""

    def __init__(self, path: str | Path | IO[bytes]) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise XlsxError(f"not a zip file ({exc})") from None
        try:
            self._load()
        except XlsxError:
            self.zip.close()
            raise
        except (KeyError, ValueError, ET.ParseError, zipfile.BadZipFile, OSError) as exc:
            self.zip.close()
            raise XlsxError(f"not a readable workbook ({type(exc).__name__}: {exc})") from None

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def _xml(self, part: str) -> ET.Element:
        """A whole part as an element tree (every part but the sheets, which are streamed)."""
        try:
            if self.zip.getinfo(part).file_size > MAX_PART:
                raise XlsxError(f"{part} is larger than {MAX_PART >> 20} MiB: not read")
            return ET.fromstring(self.zip.read(part))
        except KeyError:
            raise XlsxError(f"the part {part} is missing") from None
        except ET.ParseError as exc:
            raise XlsxError(f"{part} is not well-formed XML ({exc})") from None

    def _relationships(self, source: str) -> list[Relationship]:
        if source not in self.parts:
            return []
        found = []
        for rel in self._xml(source).iter(PACKAGE_REL + "Relationship"):
            found.append(
                Relationship(
                    source,
                    rel.get("Type", "").rsplit("/", 1)[-1],
                    rel.get("Target", ""),
                    rel.get("TargetMode") == "External",
                )
            )
        return found

    def _resolve(self, base_part: str, target: str) -> str:
        if target.startswith("/"):
            return target[1:]
        return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))

    def _load(self) -> None:
        self.parts = [info.filename for info in self.zip.infolist()]
        self.relationships = [
            rel
            for part in self.parts
            if part.endswith(".rels")
            for rel in self._relationships(part)
        ]
        office = [r for r in self._relationships("_rels/.rels") if r.kind == "officeDocument"]
        if len(office) != 1:
            raise XlsxError("the package does not name one workbook part")
        self.workbook_part = self._resolve("", office[0].target)
        targets: dict[str, tuple[str, str]] = {}
        workbook_rels = _rels_part(self.workbook_part)
        for rel in self._xml(workbook_rels).iter(PACKAGE_REL + "Relationship"):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            part = self._resolve(self.workbook_part, rel.get("Target", ""))
            targets[rel.get("Id", "")] = (kind, part)
        root = self._xml(self.workbook_part)
        self.sheets: list[XSheet] = []
        for sheet in root.iter(MAIN + "sheet"):
            kind, part = targets.get(sheet.get(REL + "id", ""), ("", ""))
            if kind != "worksheet" or part not in self.parts:
                raise XlsxError(f"sheet {sheet.get('name')!r} has no worksheet part")
            self.sheets.append(XSheet(sheet.get("name", ""), part, sheet.get("state", "visible")))
        self.defined_names = [
            (name.get("name", ""), name.get("hidden") in ("1", "true"), name.text or "")
            for name in root.iter(MAIN + "definedName")
        ]
        by_kind = {kind: part for kind, part in targets.values()}
        self.styles: list[tuple[int, bool]] = [(0, False)]
        self.number_formats: dict[int, str] = {}  # the workbook's own formats: id → code
        if "styles" in by_kind:
            styles = self._xml(by_kind["styles"])
            for found in styles.iter(MAIN + "numFmt"):
                self.number_formats[int(found.get("numFmtId", "0"))] = found.get("formatCode", "")
            xfs = styles.find(MAIN + "cellXfs")
            if xfs is not None:
                self.styles = [
                    (int(xf.get("numFmtId", "0")), xf.get("quotePrefix") in ("1", "true"))
                    for xf in xfs.iter(MAIN + "xf")
                ]
        self.shared: list[str] = []
        if "sharedStrings" in by_kind:
            self.shared = [
                _runs_text(si) for si in self._xml(by_kind["sharedStrings"]).iter(MAIN + "si")
            ]

    def style(self, index: int) -> tuple[int, bool]:
        """(number format id, quote prefix) of a cell style."""
        if not 0 <= index < len(self.styles):
            raise XlsxError(f"cell style {index} does not exist")
        return self.styles[index]

    def custom_properties(self) -> dict[str, str]:
        """``docProps/custom.xml``: name → text of each custom document property."""
        if "docProps/custom.xml" not in self.parts:
            return {}
        found: dict[str, str] = {}
        for prop in self._xml("docProps/custom.xml").iter(CUSTOM + "property"):
            found[prop.get("name", "")] = "".join(value.text or "" for value in prop)
        return found

    def created(self) -> str | None:
        """``dcterms:created`` of ``docProps/core.xml``, as written."""
        if "docProps/core.xml" not in self.parts:
            return None
        element = self._xml("docProps/core.xml").find(DCTERMS + "created")
        return None if element is None else element.text

    def rows(self, sheet: XSheet) -> Iterator[tuple[int, list[XCell]]]:
        """(row number, cells) of each stored row in file order, streamed: memory does not grow
        with the sheet."""
        rows = _SheetRows(self)
        try:
            with self.zip.open(sheet.part) as handle:
                while chunk := handle.read(_CHUNK):
                    rows.parser.Parse(chunk, False)
                    yield from rows.take()
                rows.parser.Parse(b"", True)
                yield from rows.take()
        except XlsxError:
            raise
        except expat.ExpatError as exc:
            raise XlsxError(f"{sheet.part} is not well-formed XML ({exc})") from None
        except ValueError as exc:
            raise XlsxError(f"{sheet.part}: {exc}") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise XlsxError(f"{sheet.part} cannot be read ({exc})") from None


class _SheetRows:
    """The cells of a worksheet part as expat reports its elements (much faster than building
    an element tree): a small state machine over ``row``, ``c``, ``v``, ``f``, ``is``, ``t``,
    ``rPh``."""

    def __init__(self, book: Workbook) -> None:
        self.shared = book.shared
        self.parser = expat.ParserCreate(namespace_separator="}")
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.done: list[tuple[int, list[XCell]]] = []
        self.number, self.col = 0, -1
        self.cells: list[XCell] = []
        self.attrs: dict[str, str] = {}
        self.buffer: list[str] | None = None  # where character data goes, if anywhere
        self.value: list[str] = []
        self.formula: list[str] | None = None
        self.inline: list[str] | None = None
        self.phonetic = False
        self.columns: dict[str, int] = {}  # column letters seen → index

    def take(self) -> list[tuple[int, list[XCell]]]:
        done, self.done = self.done, []
        return done

    def _doctype(self, *_: object) -> None:
        raise XlsxError("a worksheet with a document type declaration is refused")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _C:
            self.attrs, self.value, self.formula, self.inline = attrs, [], None, None
        elif name == _V:
            self.buffer = self.value
        elif name == _T:
            if self.inline is not None and not self.phonetic:
                self.buffer = self.inline
        elif name == _IS:
            self.inline = []
        elif name == _F:
            self.formula = []
            self.buffer = self.formula
        elif name == _RPH:
            self.phonetic = True
        elif name == _ROW:
            self.number = int(attrs.get("r") or self.number + 1)
            self.col, self.cells = -1, []

    def _end(self, name: str) -> None:
        if name in _TEXT_ENDS:
            self.buffer = None
            if name == _RPH:
                self.phonetic = False
        elif name == _C:
            cell = self._cell()
            self.col = cell.col
            self.cells.append(cell)
        elif name == _ROW:
            self.done.append((self.number, self.cells))

    def _text(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)

    def _cell(self) -> XCell:
        attrs, row = self.attrs, self.number
        ref = attrs.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            col = self.columns.get(letters, -1)
            if col < 0:
                if not _LETTERS.fullmatch(letters):
                    raise XlsxError(f"cell reference {ref!r} is not a cell reference")
                col = self.columns[letters] = _column_index(letters)
            if ref[len(letters) :] != str(row):
                raise XlsxError(f"cell reference {ref!r} is not in row {row}")
        else:
            col = self.col + 1
            ref = f"{column_letters(col)}{row}"
        kind = attrs.get("t", "n")
        raw = "".join(self.value) if self.value else None
        value: str | None
        if kind == "inlineStr":
            value = None if self.inline is None else decode_text("".join(self.inline))
        elif kind == "s" and raw is not None:
            index = int(raw)
            if not 0 <= index < len(self.shared):
                raise XlsxError(f"cell {ref} refers to shared string {index}, which is missing")
            value = self.shared[index]
        elif kind == "str" and raw is not None:
            value = decode_text(raw)
        else:
            value = raw
        formula = None if self.formula is None else "".join(self.formula)
        style = int(attrs.get("s", "0"))
        return XCell(ref, row, col, kind, value, formula, style)
