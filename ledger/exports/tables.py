"""The tables of a compliance bundle (events, lines, definitions, totals): their columns, and
their rows computed from stored events and from the projections' ``LedgerState``.

The same functions produce the rows at export time (from the database) and at verification
time (from ``events.jsonl``), so ``verify-export`` recomputes the files byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import Any

from ledger.exports.columns import FORMULA_PREFIXES, Column, TableSpec, csv_cell, csv_line
from ledger.intake.lines import LineState
from ledger.projections.fold import LedgerState
from ledger.storage.records import StoredEvent

_PHASE = "phase:id"

EVENTS = TableSpec(
    name="events",
    path="events.csv",
    title="Events",
    description="Every event up to the export's seq, one row each; events.jsonl has the exact "
    "hashed bytes.",
    columns=(
        Column("seq", "integer", "Global position, 1..n, no gaps.", True),
        Column("event_id", "string", "UUID of the event.", True),
        Column("recorded_at", "datetime", "Transaction time, UTC.", True),
        Column("stream", "string", "Stream the event belongs to.", True),
        Column("stream_version", "integer", "Position within the stream.", True),
        Column("type", "string", "Event type.", True),
        Column("schema_version", "integer", "Schema version of the payload.", True),
        Column("actor", "string", "Who recorded it.", True),
        Column("reason", "string", "Why, if stated."),
        Column("source_title", "string", "Title of the cited source."),
        Column("source_url", "string", "URL of the cited source."),
        Column("idempotency_key", "string", "Idempotency key, if any."),
        Column("payload", "string", "The payload as canonical JSON text.", True),
        Column("prev_hash", "string", "Hash of the previous event (hex).", True),
        Column("hash", "string", "Chain hash of this event (hex).", True),
    ),
    primary_key=("seq",),
)

LINES = TableSpec(
    name="lines",
    path="lines.csv",
    title="Budget lines",
    description="The state of every budget line as of the export (withdrawn lines included, "
    "with status withdrawn).",
    columns=(
        Column("jurisdiction", "string", "ISO 3166-1 alpha-2 code.", True),
        Column("fiscal_year", "integer", "Fiscal year.", True, "date:fiscal-year"),
        Column("line_id", "string", "Line id within the year.", True, "budget-line-id"),
        Column(
            "agency",
            "string",
            "Ministry or agency.",
            True,
            "administrative-classification:generic:name",
        ),
        Column(
            "program", "string", "Program or budget item.", False, "activity:generic:program:name"
        ),
        Column(
            "category", "string", "Category code.", True, "functional-classification:generic:code"
        ),
        Column(
            "category_name",
            "string",
            "Category name.",
            False,
            "functional-classification:generic:label",
        ),
        Column("amount", "number", "Exact amount in currency units.", True, "value"),
        Column("currency", "string", "ISO 4217 code.", True, "value-currency:code"),
        Column("stage", "string", "Budget stage (phase).", True, _PHASE),
        Column("status", "string", "active or withdrawn.", True),
        Column("recorded_seq", "integer", "Seq of the event that recorded the line.", True),
        Column("last_seq", "integer", "Seq of the line's latest event.", True),
    ),
    primary_key=("jurisdiction", "fiscal_year", "line_id"),
)

DEFINITIONS = TableSpec(
    name="definitions",
    path="definitions.csv",
    title="Definition versions",
    description="Every definition version with each category it counts (one row per version "
    "and category; a version with no category has one row with an empty category).",
    columns=(
        Column("definition", "string", "Definition name.", True),
        Column("version", "integer", "Version number.", True),
        Column("title", "string", "Title of the version."),
        Column("status", "string", "draft, proposed, adopted, withdrawn or superseded.", True),
        Column(
            "effective_from",
            "integer",
            "First fiscal year it applies to.",
            False,
            "date:fiscal-year",
        ),
        Column("based_on", "integer", "Version it was opened from."),
        Column("stages", "string", "Budget stages that count, separated by ';'.", True, _PHASE),
        Column(
            "stage_rule",
            "string",
            "sum (every stage counted adds up) or latest (only a year's latest stage level).",
            True,
        ),
        Column("gdp_basis", "string", "same-year or fixed-year.", True),
        Column("gdp_basis_fiscal_year", "integer", "Fiscal year of a fixed-year GDP basis."),
        Column("gdp_vintage", "string", "GDP vintage of the basis (empty: the latest)."),
        Column(
            "category",
            "string",
            "Category counted.",
            False,
            "functional-classification:generic:code",
        ),
        Column("category_name", "string", "Category name."),
        Column("share", "number", "Share of the category that counts, in (0, 1]."),
        Column("tier", "string", "Tier it counts in (core, related, ...)."),
        Column("included_seq", "integer", "Seq of the event that set the share and tier."),
        Column("opened_seq", "integer", "Seq of the event that opened the version.", True),
        Column("last_seq", "integer", "Seq of the version's latest event.", True),
    ),
)

TOTALS = TableSpec(
    name="totals",
    path="totals.csv",
    title="Totals",
    description="Totals per jurisdiction, fiscal year, definition version and tier, exact, "
    "with the GDP they are divided by and the share of GDP in percent.",
    columns=(
        Column("jurisdiction", "string", "ISO 3166-1 alpha-2 code.", True),
        Column("fiscal_year", "integer", "Fiscal year.", True, "date:fiscal-year"),
        Column("definition", "string", "Definition name.", True),
        Column("version", "integer", "Definition version.", True),
        Column("status", "string", "Status of the version.", True),
        Column("tier", "string", "Tier (core, related, ...).", True),
        Column("currency", "string", "ISO 4217 code of the total.", False, "value-currency:code"),
        Column("total", "number", "Exact total counted under the version.", False, "value"),
        Column("gdp", "number", "GDP divided by (exact)."),
        Column("gdp_fiscal_year", "integer", "Fiscal year of that GDP."),
        Column("gdp_vintage", "string", "Vintage of that GDP."),
        Column("share_of_gdp_pct", "number", "Total as a percentage of GDP."),
    ),
)

CLAIMS = TableSpec(
    name="claims",
    path="claims.csv",
    title="Claims",
    description="Every published claim recorded up to the export's seq, as recorded and with "
    "its status, checked against the ledger as of that seq: one row per definition version it "
    "was measured by (docs/claims.md).",
    columns=(
        Column("claim_id", "string", "Id of the claim.", True),
        Column("status", "string", "active, withdrawn or superseded.", True),
        Column("superseded_by", "string", "The claim that superseded it."),
        Column("claimant", "string", "Who made the claim.", True),
        Column("publication", "string", "Where it was published.", True),
        Column("url", "string", "Address of the publication."),
        Column("published", "string", "Publication date (ISO 8601).", True),
        Column("quote", "string", "The words published, in the original language.", True),
        Column("language", "string", "Language of the quote (BCP 47).", True),
        Column("translation", "string", "English translation of the quote."),
        Column("jurisdiction", "string", "ISO 3166-1 alpha-2 code.", True),
        Column("fiscal_year", "integer", "Fiscal year claimed about.", True, "date:fiscal-year"),
        Column("through_fiscal_year", "integer", "Last year of a span summed."),
        Column("compared_with", "integer", "Earlier year of a change."),
        Column("metric", "string", "What the value is of.", True),
        Column("kind", "string", "figure or target.", True),
        Column("comparison", "string", "equals, about, between, at-least, …", True),
        Column("value", "number", "The value as published (× 10^scale).", True),
        Column("value_high", "number", "Upper end of a range."),
        Column("decimals", "integer", "Precision as published (decimal places).", True),
        Column("scale", "integer", "Power of ten of a money value.", True),
        Column("currency", "string", "Currency of a money value."),
        Column("as_published", "string", "The figure as printed."),
        Column("definition", "string", "Definition the claim implies (empty: unspecified)."),
        Column("tier", "string", "Tier the claim is about (empty: all)."),
        Column("stages", "string", "Stages the claim counts, separated by ';'."),
        Column("gdp_basis", "string", "GDP basis the claim implies."),
        Column("target_id", "string", "Target of a gap."),
        Column("recorded_seq", "integer", "Seq of the ClaimRecorded event.", True),
        Column("claim_verdict", "string", "The claim's verdict.", True),
        Column(
            "measured_by", "string", "Definition version of this row (or the claim's spec).", True
        ),
        Column("measured_status", "string", "Status of that version."),
        Column("measured_stages", "string", "Stages counted, separated by ';'."),
        Column("verdict", "string", "Verdict under this version.", True),
        Column("ledger_value", "number", "The ledger's value, exact (50 significant digits)."),
        Column("ledger_as_published", "number", "The ledger's value rounded as the claim."),
        Column("gap", "number", "Ledger value minus the published one (exact)."),
        Column("missing", "string", "What the ledger lacks (undetermined)."),
        Column("derived_from_claim_seqs", "string", "Inputs derived from the claim (seqs)."),
        Column("input_seqs", "string", "Seqs of the events behind the value."),
    ),
    primary_key=("claim_id", "measured_by"),
)

TABLES: tuple[TableSpec, ...] = (EVENTS, LINES, DEFINITIONS, TOTALS, CLAIMS)


def event_row(event: StoredEvent) -> dict[str, Any]:
    source = event.source or {}
    return {
        "seq": event.seq,
        "event_id": event.event_id,
        "recorded_at": event.recorded_at,
        "stream": event.stream,
        "stream_version": event.stream_version,
        "type": event.type,
        "schema_version": event.schema_version,
        "actor": event.actor,
        "reason": event.reason,
        "source_title": source.get("title"),
        "source_url": source.get("url"),
        "idempotency_key": event.idempotency_key,
        "payload": event.payload_json,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


_EVENT_COLUMNS = {column.name: column for column in EVENTS.columns}


def _int_cell(value: Any, name: str) -> str:
    return str(value) if value.__class__ is int else csv_cell(value, _EVENT_COLUMNS[name])


def _text_cell(value: Any, name: str) -> str:
    if value.__class__ is str and not value.startswith(FORMULA_PREFIXES):
        return value
    return csv_cell(value, _EVENT_COLUMNS[name])


def event_csv_row(event: StoredEvent) -> list[str]:
    """``csv_row(event_row(event), EVENTS)`` without the dict and the per-column dispatch:
    the ``events.csv`` row of one event, cell for cell the same text (``tests/test_export_rows``
    checks it on generated events). Export and ``verify-export`` write one per event."""
    source = event.source or {}
    return [
        _int_cell(event.seq, "seq"),
        _text_cell(event.event_id, "event_id"),
        _text_cell(event.recorded_at, "recorded_at"),
        _text_cell(event.stream, "stream"),
        _int_cell(event.stream_version, "stream_version"),
        _text_cell(event.type, "type"),
        _int_cell(event.schema_version, "schema_version"),
        _text_cell(event.actor, "actor"),
        _text_cell(event.reason, "reason"),
        csv_cell(source.get("title"), _EVENT_COLUMNS["source_title"]),
        csv_cell(source.get("url"), _EVENT_COLUMNS["source_url"]),
        _text_cell(event.idempotency_key, "idempotency_key"),
        _text_cell(event.payload_json, "payload"),
        _text_cell(event.prev_hash, "prev_hash"),
        _text_cell(event.hash, "hash"),
    ]


def _or_empty(value: Any) -> Any:
    return "" if value is None else value


_ONLY_STR = {str}


def event_csv_line(event: StoredEvent) -> str:
    """The ``events.csv`` record of one event, CRLF included: ``csv_line(event_csv_row(event))``.

    The common event (integers where integers belong, texts that start like no formula, a
    payload with a ``"``, so quoted) needs no per-cell dispatch: its cells are its fields, and
    when no text holds ``"``, ``,``, CR or LF the record is one join checked by three scans;
    any other event takes the per-cell route (``tests/test_export_rows`` compares both routes
    with the csv module's record of the generic row)."""
    source = event.source or {}
    texts = (
        event.event_id, event.recorded_at, event.stream, event.type, event.actor,
        _or_empty(event.reason), _or_empty(source.get("title")), _or_empty(source.get("url")),
        _or_empty(event.idempotency_key), event.prev_hash, event.hash,
    )  # fmt: skip
    payload = event.payload_json
    seq, version, schema = event.seq, event.stream_version, event.schema_version
    if (
        seq.__class__ is int
        and version.__class__ is int
        and schema.__class__ is int
        and payload.__class__ is str
        and '"' in payload
        and {*map(type, texts)} == _ONLY_STR
        and not any(map(str.startswith, texts, repeat(FORMULA_PREFIXES)))
    ):
        (event_id, recorded_at, stream, kind, actor, reason, title, url, key, prev, digest) = texts
        joined = ",".join(texts)
        if (
            joined.count(",") == len(texts) - 1
            and '"' not in joined
            and "\n" not in joined
            and "\r" not in joined
        ):
            quoted = '"' + payload.replace('"', '""') + '"'
            return (
                f"{seq},{event_id},{recorded_at},{stream},{version},{kind},{schema},{actor},"
                f"{reason},{title},{url},{key},{quoted},{prev},{digest}\r\n"
            )
        return csv_line(
            (str(seq), event_id, recorded_at, stream, str(version), kind, str(schema), actor,
             reason, title, url, key, payload, prev, digest)
        )  # fmt: skip
    return csv_line(event_csv_row(event))


def _category_name(state: LedgerState, code: str | None) -> str | None:
    found = state.categories.get(code) if code else None
    return found.name if found else None


def line_row(state: LedgerState, ln: LineState) -> dict[str, Any]:
    """The ``lines.csv`` row of one line (category names from ``state``)."""
    return {
        "jurisdiction": ln.jurisdiction,
        "fiscal_year": ln.fiscal_year,
        "line_id": ln.line_id,
        "agency": ln.agency,
        "program": ln.program,
        "category": ln.category,
        "category_name": _category_name(state, ln.category),
        "amount": ln.amount,
        "currency": ln.currency,
        "stage": ln.stage,
        "status": "withdrawn" if ln.withdrawn else "active",
        "recorded_seq": ln.recorded_seq,
        "last_seq": ln.last_seq,
    }


def line_rows(
    state: LedgerState, lines: Iterable[LineState] | None = None
) -> Iterator[dict[str, Any]]:
    """The ``lines.csv`` rows, streamed: of ``lines`` (already sorted by jurisdiction, fiscal
    year, line id, as ``SpilledFold.lines`` gives them), or of ``state.lines`` sorted."""
    if lines is None:
        lines = sorted(
            state.lines.values(), key=lambda ln: (ln.jurisdiction, ln.fiscal_year, ln.line_id)
        )
    for ln in lines:
        yield line_row(state, ln)


def definition_rows(state: LedgerState) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key in sorted(state.definitions):
        version = state.definitions[key]
        base = {
            "definition": version.definition,
            "version": version.version,
            "title": version.title,
            "status": version.status,
            "effective_from": version.effective_from,
            "based_on": version.based_on,
            "stages": ";".join(version.counted_stages),
            "stage_rule": version.stage_rule,
            "gdp_basis": version.basis.kind,
            "gdp_basis_fiscal_year": version.basis.fiscal_year,
            "gdp_vintage": version.basis.vintage,
            "opened_seq": version.opened_seq,
            "last_seq": version.last_seq,
        }
        if not version.categories:
            rows.append(base)
        for code in sorted(version.categories):
            inclusion = version.categories[code]
            rows.append(
                {
                    **base,
                    "category": code,
                    "category_name": _category_name(state, code),
                    "share": inclusion.share,
                    "tier": inclusion.tier,
                    "included_seq": inclusion.seq,
                }
            )
    return rows


def totals_rows(state: LedgerState, as_of_seq: int) -> list[dict[str, Any]]:
    """Totals per jurisdiction × FY × definition@version × tier (``ledger.queries.totals``)."""
    from ledger.queries.totals import all_totals_rows

    return list(all_totals_rows(state, as_of_seq))


def table_rows(state: LedgerState, as_of_seq: int) -> dict[str, list[dict[str, Any]]]:
    """The rows of every table but events, by table name (lines from ``state.lines``)."""
    return {
        LINES.name: list(line_rows(state)),
        DEFINITIONS.name: definition_rows(state),
        TOTALS.name: totals_rows(state, as_of_seq),
    }
