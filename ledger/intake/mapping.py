"""Mappings: how the columns of someone else's table become defledger's fields.

A mapping is a small TOML file (or ``--map FIELD=VALUE`` options, or both: the options win):

.. code-block:: toml

    [read]                      # how to read the table (all optional)
    sheet = "TABLE2"            # .xlsx: the sheet (default: the first visible one)
    header_row = 1              # the row holding the column names
    missing = ["", ".."]        # cells meaning "no figure": that record is skipped
    skip = { country = ["NATO Europe", "NATO Total"] }   # rows left out, by a column's value

    [fields]                    # fields of every kind
    jurisdiction = { column = "country", map = "countries" }
    fiscal_year = { column = "year" }
    source = { title = "NATO, Defence Expenditure (2024)", page = "Table 2" }

    [maps.countries]            # a column's cells → field values
    Albania = "AL"

    [lines]                     # the fields of budget lines (import --kind lines)
    amount = { column = "def_exp_usd_million_{year}", unit = "million" }
    currency = "USD"
    line_id = "NATO-DEF-{year}"

A field is a fixed value (``"USD"``, ``2024``); a template (``"NATO-{country}"``: ``{name}`` is
the cell of column ``name``, ``{year}`` the record's year, ``{{`` a brace); or a column
(``{ column = "…" }``, optionally translated by ``map`` — the name of a ``[maps]`` table or an
inline one — and, for ``amount``, scaled by ``unit``: ``one``, ``thousand``, ``million``,
``billion``, ``trillion`` or a power of ten such as ``"1000"``). An ``amount`` column whose name
holds ``{year}`` makes the table **wide**: every column whose name matches is one year, and
``fiscal_year`` comes from the column name. ``source`` is a table of templates (``title``,
``url``, ``page``, ``published``, ``hypothetical``).
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from events import EVENT_CLASSES
from events.quoting import named, quoted
from ledger.errors import InvalidInput

KIND_TYPES = {"lines": "BudgetLineRecorded", "gdp": "GdpRecorded", "categories": "CategoryDefined"}
IMPORT_ORDER = ("categories", "lines", "gdp")  # a mapping with several kinds: what comes first
REQUIRED = {
    "lines": ("jurisdiction", "fiscal_year", "line_id", "agency", "category", "amount", "stage"),
    "gdp": ("jurisdiction", "fiscal_year", "amount", "vintage"),
    "categories": ("code", "name"),
}
SOURCE_KEYS = ("title", "url", "page", "published", "hypothetical")
UNITS = {
    "one": 0, "units": 0, "thousand": 3, "thousands": 3, "million": 6, "millions": 6,
    "billion": 9, "billions": 9, "trillion": 12, "trillions": 12,
}  # fmt: skip
READ_KEYS = ("sheet", "header_row", "missing", "skip")
SECTIONS = ("read", "fields", "maps", *KIND_TYPES)
YEAR = "year"
MAX_HEADER_ROW = 1000


@dataclass(frozen=True)
class Template:
    """Text with ``{column}`` and ``{year}`` placeholders (none: a fixed value), kept as its
    parts: (literal text, placeholder or None)."""

    text: str
    parts: tuple[tuple[str, str | None], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.parts if name is not None)

    def render(self, cells: dict[str, str], year: str | None) -> str:
        out: list[str] = []
        for literal, name in self.parts:
            out.append(literal)
            if name is not None:
                out.append((year or "") if name == YEAR else cells.get(name, ""))
        return "".join(out)


@dataclass(frozen=True)
class FromColumn:
    """A field read from a column (a wide table's amount: a column name pattern with
    ``{year}``), translated by ``map`` and, for amounts, scaled by ``10 ** scale``."""

    column: str
    map_name: str | None = None
    values: dict[str, str] | None = None
    scale: int = 0

    @property
    def wide(self) -> bool:
        return "{" + YEAR + "}" in self.column

    def year_pattern(self) -> re.Pattern[str]:
        """The column names of a wide table: the name with ``{year}`` as 4 digits (``FY``
        allowed before them)."""
        before, _, after = self.column.partition("{" + YEAR + "}")
        return re.compile(re.escape(before) + r"(?:FY)?(\d{4})" + re.escape(after), re.IGNORECASE)


Spec = Template | FromColumn


@dataclass
class Mapping:
    """A parsed mapping: how to read the table and, per kind, the spec of each field."""

    name: str
    sheet: str | None = None
    header_row: int = 1
    missing: frozenset[str] = frozenset({""})
    skip: dict[str, frozenset[str]] = field(default_factory=dict)
    fields: dict[str, dict[str, Spec]] = field(default_factory=dict)  # kind → field → spec
    sources: dict[str, dict[str, Template]] = field(default_factory=dict)  # kind → source

    def kinds(self) -> list[str]:
        return [kind for kind in KIND_TYPES if kind in self.fields]

    def choose(self, kind: str | None) -> tuple[str, ...]:
        """The kinds to import: the one given, else every kind the mapping describes, in
        the order one may need the other (categories, then lines, then GDP)."""
        kinds = self.kinds()
        if kind is not None:
            if kind not in KIND_TYPES:
                raise InvalidInput(
                    f"a mapping imports {', '.join(KIND_TYPES)}, not {quoted(kind)} files"
                )
            if kind not in kinds:
                raise InvalidInput(f"{self.name} has no [{kind}] section")
            return (kind,)
        if not kinds:
            raise InvalidInput(
                f"{self.name} describes no kind of record: give a [lines], [gdp] or "
                "[categories] section (or --kind with --map)"
            )
        return tuple(k for k in IMPORT_ORDER if k in kinds)


def parse_mapping(
    text: str | None, name: str, options: tuple[str, ...] = (), kind: str | None = None
) -> Mapping:
    """The mapping of a TOML text (None: none) with ``--map FIELD=VALUE`` options on top; the
    options go to ``kind``'s section (required when there are options and no section)."""
    document: dict[str, Any] = {}
    if text is not None:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{name} is not valid TOML: {exc}") from None
    label = name if text is not None else "--map"
    if options:
        target = kind or _only_kind(document, label)
        if target not in KIND_TYPES:
            raise InvalidInput(
                "--map needs --kind lines, gdp or categories (the kind of record it maps)"
            )
        section = document.setdefault(target, {})
        if not isinstance(section, dict):
            raise InvalidInput(f"{name}: [{target}] must be a table")
        for option in options:
            key, value = _option(option)
            section[key] = value
    return _build(document, label)


def _only_kind(document: dict[str, Any], name: str) -> str:
    kinds = [kind for kind in KIND_TYPES if kind in document]
    if len(kinds) != 1:
        raise InvalidInput("--map needs --kind lines, gdp or categories (the kind it maps)")
    return kinds[0]


def _option(option: str) -> tuple[str, Any]:
    """``FIELD=VALUE``: VALUE as TOML when it is a TOML value (``{ column = "x" }``,
    ``"text"``, ``2024``), else as plain text."""
    key, sep, value = option.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InvalidInput(f"--map {quoted(option)}: use FIELD=VALUE, e.g. currency=USD")
    try:
        parsed = tomllib.loads(f"value = {value.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key, parsed


def _build(document: dict[str, Any], name: str) -> Mapping:
    unknown = [key for key in document if key not in SECTIONS]
    if unknown:
        raise InvalidInput(
            f"{name}: unknown section {', '.join(map(named, unknown))} "
            f"(sections: {', '.join(SECTIONS)})"
        )
    mapping = Mapping(name)
    _read(mapping, _table(document, "read", name), name)
    maps = _table(document, "maps", name)
    for map_name, table in maps.items():
        if not isinstance(table, dict):
            raise InvalidInput(f"{name}: [maps.{map_name}] must be a table of values")
    common = _table(document, "fields", name)
    for kind in KIND_TYPES:
        if kind not in document:
            continue
        merged = {**common, **_table(document, kind, name)}
        where = f"{name} [{kind}]"
        source = merged.pop("source", None)
        allowed = [f for f in EVENT_CLASSES[KIND_TYPES[kind]].model_fields if f != "type"]
        specs: dict[str, Spec] = {}
        for key, value in merged.items():
            if key not in allowed:
                raise InvalidInput(
                    f"{where}: unknown field {named(key)} (fields: {', '.join(allowed)}, source)"
                )
            specs[key] = _spec(value, f"{where} {key}", maps, amount=key == "amount")
        missing = [f for f in REQUIRED[kind] if f not in specs]
        wide = [f for f, s in specs.items() if isinstance(s, FromColumn) and s.wide]
        if wide and wide != ["amount"]:
            raise InvalidInput(f"{where}: only amount may name a column with {{year}}")
        if wide and "fiscal_year" in specs:
            raise InvalidInput(
                f"{where}: the amount columns name the year ({{year}}), so fiscal_year must not "
                "be given too"
            )
        if wide:
            missing = [f for f in missing if f != "fiscal_year"]
        if missing:
            raise InvalidInput(f"{where}: missing field {', '.join(missing)}")
        mapping.fields[kind] = specs
        mapping.sources[kind] = _source(source, f"{where} source")
    return mapping


def _table(document: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise InvalidInput(f"{name}: {key} must be a table ([{key}])")
    return value


def _read(mapping: Mapping, read: dict[str, Any], name: str) -> None:
    for key in read:
        if key not in READ_KEYS:
            raise InvalidInput(
                f"{name} [read]: unknown setting {named(key)} (settings: {', '.join(READ_KEYS)})"
            )
    sheet = read.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise InvalidInput(f"{name} [read] sheet: give the sheet's name as text")
    mapping.sheet = sheet
    header = read.get("header_row", 1)
    if not isinstance(header, int) or isinstance(header, bool) or not 1 <= header <= MAX_HEADER_ROW:
        raise InvalidInput(f"{name} [read] header_row: a row number from 1 to {MAX_HEADER_ROW}")
    mapping.header_row = header
    missing = read.get("missing", [""])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise InvalidInput(f'{name} [read] missing: a list of texts, e.g. ["", ".."]')
    mapping.missing = frozenset(m.strip() for m in missing)
    skip = read.get("skip", {})
    if not isinstance(skip, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str | int) for x in v) for v in skip.values()
    ):
        raise InvalidInput(
            f'{name} [read] skip: a table of column = [values], e.g. {{ country = ["NATO Total"] }}'
        )
    mapping.skip = {
        column: frozenset(str(v).strip() for v in values) for column, values in skip.items()
    }


def template(value: str, where: str) -> Template:
    """A template: its placeholders are column names (or ``year``); ``{{`` is a brace."""
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise InvalidInput(
            f"{where}: {quoted(value)} is not a template ({exc}; write {{{{ for a brace)"
        ) from None
    for _, name, spec, conversion in parts:
        if name is not None and (
            not name.strip() or spec or conversion or any(c in name for c in ".[]")
        ):
            raise InvalidInput(
                f"{where}: {quoted(value)}: a placeholder is a column name in braces, like "
                "{country}"
            )
    return Template(value, tuple((literal, name) for literal, name, _, _ in parts))


def _spec(value: Any, where: str, maps: dict[str, Any], *, amount: bool) -> Spec:
    if isinstance(value, bool):
        return template("true" if value else "false", where)
    if isinstance(value, int | str):
        if amount:
            raise InvalidInput(f'{where}: an amount is read from a column: {{ column = "…" }}')
        return template(str(value), where)
    if isinstance(value, float):
        raise InvalidInput(f"{where}: {value!r} is a floating-point number; write it as text")
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: give a value, a template or {{ column = … }}")
    extra = [k for k in value if k not in ("column", "map", "unit")]
    if extra:
        raise InvalidInput(
            f"{where}: unknown key {', '.join(map(named, extra))} (column, map, unit)"
        )
    column = value.get("column")
    if not isinstance(column, str) or not column.strip():
        raise InvalidInput(f'{where}: {{ column = "…" }} names the column to read')
    if column.count("{") != column.count("}") or (
        "{" in column and column.replace("{" + YEAR + "}", "").count("{")
    ):
        raise InvalidInput(f"{where}: a column name may hold only {{year}} (a wide table)")
    map_name, values = None, None
    found = value.get("map")
    if isinstance(found, str):
        if found not in maps:
            raise InvalidInput(f"{where}: no [maps.{found}] table")
        map_name, values = found, {str(k).strip(): str(v) for k, v in maps[found].items()}
    elif isinstance(found, dict):
        map_name, values = "(inline)", {str(k).strip(): str(v) for k, v in found.items()}
    elif found is not None:
        raise InvalidInput(f"{where}: map is the name of a [maps] table, or an inline table")
    unit = value.get("unit")
    if unit is not None and not amount:
        raise InvalidInput(f"{where}: only amount takes a unit")
    return FromColumn(column.strip(), map_name, values, _scale(unit, where) if unit else 0)


def _scale(unit: Any, where: str) -> int:
    """The power of ten a unit multiplies by: a name, or a power of ten as text or integer."""
    if isinstance(unit, str) and unit.strip().lower() in UNITS:
        return UNITS[unit.strip().lower()]
    try:
        number = Decimal(str(unit).strip())
    except InvalidOperation:
        number = Decimal(0)
    if isinstance(unit, bool) or number <= 0 or number != Decimal(10) ** number.adjusted():
        raise InvalidInput(
            f"{where}: unit {quoted(unit)} is not one of {', '.join(UNITS)} or a power of ten "
            '(e.g. "1000")'
        )
    return number.adjusted()


def _source(value: Any, where: str) -> dict[str, Template]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"title": template(value, where)}
    if not isinstance(value, dict):
        raise InvalidInput(f'{where}: a table such as {{ title = "…", url = "…" }}')
    unknown = [k for k in value if k not in SOURCE_KEYS]
    if unknown:
        raise InvalidInput(
            f"{where}: unknown key {', '.join(map(named, unknown))} ({', '.join(SOURCE_KEYS)})"
        )
    return {
        key: template("true" if item is True else "false" if item is False else str(item), where)
        for key, item in value.items()
    }


def year_of_column(spec: FromColumn, header: str) -> str | None:
    """The year a wide table's column name gives (``def_exp_2019`` → ``2019``), or None."""
    match = spec.year_pattern().fullmatch(header.strip())
    return match.group(1) if match else None


__all__ = [
    "KIND_TYPES",
    "FromColumn",
    "Mapping",
    "Spec",
    "Template",
    "parse_mapping",
    "template",
    "year_of_column",
]
