"""The history as tables: ``log`` (filtered, streamed) and ``show`` (one event in full)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from events import EVENT_CLASSES, SCHEMA_VERSIONS, event_payload
from events.quoting import quoted
from ledger.errors import InvalidInput
from ledger.numbers import grouped
from ledger.projections.periods import describe_basis, year_basis_of
from ledger.queries.asof import parse_time, seq_named
from ledger.storage.records import (
    DECODE_ERRORS,
    PendingEvent,
    StoredEvent,
    StreamWrite,
    current_payload,
    event_type_of,
    unreadable,
)
from ledger.storage.store import EventStore
from ledger.tabular import Table

PAGE = 100  # events on a page of the log (web view, feed) unless asked otherwise
MAX_PAGE = 1000  # the most a page may hold
LOG_COLUMNS = ["seq", "recorded_at", "actor", "type", "stream", "summary", "reason"]


def summary(event: StoredEvent) -> str:
    """A short human description of an event's payload (``IntegrityFailure`` naming the seq
    if the stored payload lacks what its type has)."""
    try:
        return _summary(event)
    except DECODE_ERRORS as exc:
        raise unreadable(event.seq, event.type, event.schema_version, exc) from None


def _summary(event: StoredEvent) -> str:
    p = current_payload(event.type, event.schema_version, event.payload)  # a v1 line too
    return payload_summary(event.type, p)


def payload_summary(event_type: str, p: dict[str, Any]) -> str:
    """A short human description of a payload in today's schema (stored or about to be)."""
    match event_type:
        case "CategoryDefined":
            return f"{p['code']} {p['name']}"
        case "DefinitionVersionOpened":
            base = f" from @{p['based_on']}" if p.get("based_on") else ""
            return f"{p['definition']}@{p['version']}{base}: {p['title']}"
        case "CategoryIncluded":
            return f"{p['definition']}@{p['version']} + {p['category']} ×{p['share']} ({p['tier']})"
        case "CategoryExcluded":
            return f"{p['definition']}@{p['version']} − {p['category']}"
        case "StagesSet":
            rule = " (latest)" if p.get("rule") == "latest" else ""
            return f"{p['definition']}@{p['version']} stages {','.join(p['stages'])}{rule}"
        case "GdpBasisSet":
            year = f" FY{p['fiscal_year']}" if p.get("fiscal_year") else ""
            return f"{p['definition']}@{p['version']} GDP basis {p['basis']}{year}"
        case "DefinitionStatusChanged":
            since = f" from FY{p['effective_from']}" if p.get("effective_from") else ""
            return f"{p['definition']}@{p['version']} → {p['status']}{since}"
        case "BudgetLineRecorded":
            return f"{p['category']} {_amount(p['amount'])} {p['currency']} ({p['stage']})"
        case "BudgetLineRevised":
            return f"amount → {_amount(p['amount'])}"
        case "BudgetLineReclassified":
            return f"category → {p['category']}"
        case "GdpRecorded":
            figure = f"{_amount(p['amount'])} {p['currency']}"
            return f"{p['jurisdiction']} FY{p['fiscal_year']} {figure} [{p['vintage']}]"
        case "TargetSet":
            return (
                f"{p['target_id']}: {p['percent_of_gdp']}% by FY{p['by_fiscal_year']} ({p['kind']})"
            )
        case "ExchangeRateRecorded":
            year = p["fiscal_year"] if p.get("period") == "calendar" else f"FY{p['fiscal_year']}"
            vintage = f" [{p['vintage']}]" if p.get("vintage") else ""
            return f"1 {p['base']} = {p['rate']} {p['quote']} {year}{vintage}"
        case "ClaimRecorded":
            about = f"FY{p['fiscal_year']} {p['metric']} {p['value']}"
            return f"{p['claim_id']}: {p['claimant']}, {about}"
        case "ClaimWithdrawn":
            return f"{p['claim_id']} withdrawn"
        case "ClaimSuperseded":
            return f"{p['claim_id']} superseded by {p['by']}"
        case "YearBasisSet":
            return f"{p['jurisdiction']} {describe_basis(year_basis_of(p))}"
        case "CalendarisationRuleSet":
            months = f" from month {p['start_month']}" if p.get("start_month") else ""
            return f"{p['jurisdiction']} calendar years by {p['method']}{months}"
        case "PriceIndexRecorded":
            years = [int(v["year"]) for v in p["values"]]
            return (
                f"{p['jurisdiction']} {p['series']} [{p['vintage']}] base {p['base_year']}, "
                f"{min(years)}..{max(years)}"
            )
        case "ProgrammeDefined":
            return (
                f"{p['programme_id']}: {p['envelope']} {p['currency']} FY{p['first_year']}.."
                f"FY{p['last_year']} ({p['basis']})"
            )
        case "ObligationRecorded":
            return f"{p['category']} {p['amount']} {p['currency']} {p['kind']} ({p['stage']})"
    return ""


def _amount(text: str) -> str:
    """An amount in a summary, with thousands separators (the payload keeps it exact)."""
    try:
        return grouped(Decimal(text))
    except (InvalidOperation, ValueError, TypeError):
        return str(text)


def flat_event(event: StoredEvent) -> dict[str, Any]:
    """The JSON Lines form: type, the payload fields, provenance, then the rest of the envelope.
    ``import`` reads it back (envelope keys are ignored, ``schema_version`` upcasts)."""
    return {
        "type": event.type,
        **event.payload,
        "actor": event.actor,
        "reason": event.reason,
        "source": event.source,
        "idempotency_key": event.idempotency_key,
        "schema_version": event.schema_version,
        "seq": event.seq,
        "event_id": event.event_id,
        "stream": event.stream,
        "stream_version": event.stream_version,
        "recorded_at": event.recorded_at,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def flat_pending(pending: PendingEvent, stream_version: int | None = None) -> dict[str, Any]:
    """An event not yet stored, in ``flat_event``'s form as far as it is known: no seq, id,
    time or hashes yet (``import`` reads it back the same way)."""
    event_type = event_type_of(pending.event)
    row: dict[str, Any] = {
        "type": event_type,
        **event_payload(pending.event),
        "actor": pending.provenance.actor,
        "reason": pending.provenance.reason,
        "source": None
        if pending.provenance.source is None
        else pending.provenance.source.model_dump(mode="json"),
        "idempotency_key": pending.provenance.idempotency_key,
        "schema_version": SCHEMA_VERSIONS[event_type],
        "stream": pending.stream,
    }
    if stream_version is not None:
        row["stream_version"] = stream_version
    return row


def planned_rows(writes: list[StreamWrite]) -> list[dict[str, Any]]:
    """The events of planned stream writes, in order, with the stream version each would get."""
    rows = []
    for write in writes:
        start = write.expected_version or 0
        for offset, pending in enumerate(write.events, start=1):
            rows.append(flat_pending(pending, start + offset))
    return rows


def iter_log(
    store: EventStore,
    *,
    stream: str | None = None,
    types: tuple[str, ...] = (),
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
    start: int = 1,
    stop: int | None = None,
) -> Iterator[StoredEvent]:
    unknown = [t for t in types if t not in EVENT_CLASSES]
    if unknown:
        raise InvalidInput(f"unknown event type {quoted(unknown[0])} (see docs/events.md)")
    prefix = stream[:-1] if stream and stream.endswith("*") else None
    # --since/--until: a seq or an event id bounds the seqs; anything else is a time
    first = seq_named(store, since) if since else None
    last = seq_named(store, until) if until else None
    if first is not None:
        start = max(start, first)
    if last is not None:
        stop = last if stop is None else min(stop, last)
    if stop is not None and stop < start:
        return iter(())
    return store.read(
        stream=None if prefix is not None else stream,
        stream_prefix=prefix,
        types=list(types) or None,
        actor=actor,
        since=parse_time(since) if since and first is None else None,
        until=parse_time(until) if until and last is None else None,
        start=start,
        stop=stop,
    )


def log_table(
    store: EventStore,
    limit: int | None = None,
    full: bool = False,
    streamed: bool = False,
    **filters: Any,
) -> Table:
    """The filtered history; ``limit`` keeps the last N matching events (without a filter,
    only those are read: seqs are gapless, so they are the last N seqs). ``streamed``: the
    rows are read as they are written (``Table.stream``, for JSON Lines and CSV; the store
    must stay open until then), so memory does not grow with the ledger; the meta then has no
    count."""
    from collections import deque

    head = store.head()
    if limit is not None and not any(filters.values()):
        filters["start"] = max(1, (head.seq if head else 0) - limit + 1)
    if head is not None:
        filters.setdefault("stop", head.seq)  # the rows and the meta's head agree
    events: Any = iter_log(store, **filters)
    if limit is not None:
        events = deque(events, maxlen=limit)
    meta: dict[str, Any] = {
        "head_seq": head.seq if head else 0,
        "head_hash": head.hash if head else None,
    }
    rows = (flat_event(event) if full else log_row(event) for event in events)
    if streamed:  # JSON Lines (full) or CSV (LOG_COLUMNS)
        return Table("events", LOG_COLUMNS, [], meta, stream=rows)
    listed = list(rows)
    meta["count"] = len(listed)
    columns = list(listed[0]) if full and listed else LOG_COLUMNS
    return Table("events", columns, listed, meta, secondary=("reason", "stream", "actor"))


def log_page(
    store: EventStore,
    after: int = 0,
    limit: int = PAGE,
    full: bool = False,
    upto: int | None = None,
    **filters: Any,
) -> Table:
    """One page of the filtered history: the first ``limit`` (at most ``MAX_PAGE``) matching
    events with a seq above ``after`` (and at most ``upto``, an as-of seq), oldest first.
    ``meta.next_after`` is the seq to ask after for the next page (the last one here, or
    ``after`` when there is none);
    ``meta.more`` says whether a matching event follows. Without filters the page is exactly
    seqs ``after + 1 … after + limit`` (seqs have no gaps): a feed a consumer follows."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit {limit} is not in 1..{MAX_PAGE}")
    if after < 0:
        raise InvalidInput(f"after {after} is negative")
    head = store.head()
    head_seq = head.seq if head else 0
    last = head_seq if upto is None else min(upto, head_seq)
    if after > last:
        raise InvalidInput(f"after {after} is beyond seq {last}, the last event asked for")
    stop = last if any(filters.values()) else min(last, after + limit + 1)
    events = iter_log(store, start=after + 1, stop=stop, **filters)
    try:
        page = list(islice(events, limit + 1))
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    more = len(page) > limit
    page = page[:limit]
    rows = [flat_event(e) if full else log_row(e) for e in page]
    meta = {
        "head_seq": head_seq,
        "head_hash": head.hash if head else None,
        "count": len(rows),
        "after": after,
        "limit": limit,
        "next_after": page[-1].seq if page else after,
        "more": more,
    }
    columns = list(rows[0]) if full and rows else LOG_COLUMNS
    return Table("events", columns, rows, meta, secondary=("reason", "stream", "actor"))


def log_row(event: StoredEvent) -> dict[str, Any]:
    """An event as a row of ``log``'s table."""
    return {
        "seq": event.seq,
        "recorded_at": event.recorded_at,
        "actor": event.actor,
        "type": event.type,
        "stream": event.stream,
        "summary": summary(event),
        "reason": event.reason,
    }


def show_table(store: EventStore, rev: int | str) -> Table:
    """One event (a seq, or a text naming a seq or an event id) with its whole envelope, as
    field/value rows (JSON: the envelope object)."""
    seq = rev if isinstance(rev, int) else seq_named(store, rev)
    if seq is None:
        raise InvalidInput(f"{quoted(str(rev))} is not a seq or an event id")
    event = store.get(seq)
    envelope = event.envelope()
    rows = [{"field": key, "value": value} for key, value in envelope.items()]
    return Table("event", ["field", "value"], rows, {"seq": seq}, document=envelope, wrap=True)
