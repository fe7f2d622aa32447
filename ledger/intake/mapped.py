"""A table through a mapping: each row (each row × year column, for a wide table) becomes the
fields of one record, with the column each field came from, so a bad value is reported as
``nato.csv line 17, column def_exp_usd_million_2019: …``. Validation happens in
``ledger.intake.importers``, as for every other file; this module only reshapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from events.base import canonical_decimal, decimal_str, parse_decimal
from events.quoting import named, quoted
from ledger.errors import InvalidInput
from ledger.intake.mapping import YEAR, FromColumn, Mapping, Template, year_of_column
from ledger.intake.sheets import Row, SourceTable


@dataclass
class Record:
    """The fields of one event from one row, and where each came from: a column label
    (``column X``) or the mapping (``field X of the mapping``)."""

    number: int
    fields: dict[str, Any]
    source: dict[str, Any] | None
    origin: dict[str, str]


@dataclass
class Counts:
    """What a mapped import read: rows, records made, cells that mean "no figure", rows left
    out by ``[read] skip``."""

    rows: int = 0
    records: int = 0
    missing_cells: int = 0
    skipped_rows: int = 0


@dataclass
class _Plan:
    specs: dict[str, FromColumn | Template]
    source: dict[str, Template]
    years: list[tuple[str, str]] = field(default_factory=list)  # wide: (column, year)


def _columns(spec: FromColumn | Template) -> list[str]:
    if isinstance(spec, FromColumn):
        return [] if spec.wide else [spec.column]
    return [name for name in spec.names if name != YEAR]


def plan_table(table: SourceTable, mapping: Mapping, kind: str) -> _Plan:
    """Check the mapping against the header: every column it reads exists, and a wide table
    has year columns. Raises ``InvalidInput`` naming what is missing."""
    specs = mapping.fields[kind]
    source = mapping.sources.get(kind, {})
    plan = _Plan(specs, source)
    header = [h for h in table.header if h]
    wanted = [c for spec in [*specs.values(), *source.values()] for c in _columns(spec)]
    wanted += list(mapping.skip)
    absent = sorted({c for c in wanted if c not in header})
    if absent:
        shown = ", ".join(map(named, header[:30])) + (" …" if len(header) > 30 else "")
        raise InvalidInput(
            f"{table.name}: no column {', '.join(map(named, absent))} (columns: {shown})"
        )
    amount = specs.get("amount")
    if isinstance(amount, FromColumn) and amount.wide:
        plan.years = [(h, y) for h in header if (y := year_of_column(amount, h)) is not None]
        if not plan.years:
            raise InvalidInput(
                f"{table.name}: no column matches {quoted(amount.column)} "
                "(a wide table has one column per year, e.g. def_exp_2019)"
            )
    return plan


def iter_records(
    table: SourceTable, mapping: Mapping, kind: str, counts: Counts
) -> Iterator[Record | tuple[int, str]]:
    """The records of every row, or (row number, problem)."""
    plan = plan_table(table, mapping, kind)
    for row in table.rows:
        if isinstance(row, tuple):
            yield row
            continue
        counts.rows += 1
        if any(row.cells.get(column, "") in values for column, values in mapping.skip.items()):
            counts.skipped_rows += 1
            continue
        if plan.years:
            said: set[str] = set()  # a row's problem in a shared column: once, not per year
            for column, year in plan.years:
                for found in _record(row, plan, mapping, counts, column, year):
                    if isinstance(found, tuple):
                        fresh = [p for p in found[1].split("; ") if p not in said]
                        said.update(fresh)
                        if not fresh:
                            continue
                        found = (found[0], "; ".join(fresh))
                    yield found
        else:
            yield from _record(row, plan, mapping, counts, None, None)


def _record(
    row: Row,
    plan: _Plan,
    mapping: Mapping,
    counts: Counts,
    amount_column: str | None,
    year: str | None,
) -> Iterator[Record | tuple[int, str]]:
    fields: dict[str, Any] = {}
    origin: dict[str, str] = {}
    problems: list[str] = []
    if year is not None:
        fields["fiscal_year"] = year
        origin["fiscal_year"] = f"column {named(amount_column or '')}"
    specs = sorted(plan.specs.items(), key=lambda item: item[0] != "fiscal_year")
    for name, spec in specs:
        if isinstance(spec, Template):
            fields[name] = spec.render(row.cells, year)
            origin[name] = _template_origin(spec, name)
            if name == "fiscal_year":
                year = fields[name]  # what {year} means in the other templates
            continue
        column = amount_column if spec.wide else spec.column
        assert column is not None
        label = f"column {named(column)}"
        origin[name] = label
        if column in row.refused:
            problems.append(f"{label}: {row.refused[column]}")
            continue
        text = row.cells.get(column, "")
        if name == "amount" and text in mapping.missing:
            counts.missing_cells += 1
            return
        if spec.values is not None:
            if text not in spec.values:
                problems.append(
                    f"{label}: {quoted(text)} is not in the map {spec.map_name} "
                    f"({len(spec.values)} values; add it to [maps.{spec.map_name}])"
                    if spec.map_name != "(inline)"
                    else f"{label}: {quoted(text)} is not in its inline map"
                )
                continue
            text = spec.values[text]
        if name == "amount" and spec.scale:
            try:
                text = decimal_str(canonical_decimal(parse_decimal(text).scaleb(spec.scale)))
            except ValueError as exc:
                problems.append(f"{label}: {exc}")
                continue
        fields[name] = text
        if name == "fiscal_year":
            year = text
    if problems:
        yield row.number, "; ".join(problems)
        return
    counts.records += 1
    source = {key: t.render(row.cells, year) for key, t in plan.source.items()} or None
    yield Record(row.number, {k: v for k, v in fields.items() if v != ""}, source, origin)


def _template_origin(spec: Template, name: str) -> str:
    columns = [c for c in spec.names if c != YEAR]
    if columns:
        return f"column {', '.join(map(named, columns))}"
    return f"{name} (from the mapping)"
