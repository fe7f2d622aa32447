"""``replay``: how one measure came to be, event by event.

The events that can move a measure (the year's budget lines, the definition's versions, the
jurisdiction's GDP figures, exchange rates) are read in seq order and folded from nothing; after
each one the measure is computed again, and a row is written whenever the version measured, the
total or the share changed.
"""

from __future__ import annotations

from decimal import localcontext
from fractions import Fraction
from typing import Any, cast

from events.quoting import quoted
from ledger.errors import InvalidInput
from ledger.projections.comparable import (
    Comparable,
    Convention,
    amount_fields,
    comparable,
    parse_convention,
)
from ledger.projections.conversions import PREFIXES as CONVERSION_PREFIXES
from ledger.projections.conversions import Conversions, conversions_at
from ledger.projections.definitions import DefinitionVersion, in_force, parse_spec
from ledger.projections.fold import EXACT, LedgerState, apply_raw, dec_str
from ledger.projections.measure import (
    Measure,
    MeasureRequest,
    exact_str,
    measure,
    parse_basis,
    rounded_str,
)
from ledger.projections.sql import prefix_events
from ledger.queries.history import summary
from ledger.queries.jurisdictions import each_jurisdiction, merged, question_context
from ledger.queries.question import (
    Context,
    parse_stages,
    parse_year,
    provenance,
)
from ledger.storage.store import EventStore
from ledger.tabular import AMOUNT, PERCENT, PP, Table

KINDS = {"total": AMOUNT, "change_total": AMOUNT, "share_of_gdp_pct": PERCENT, "change_pp": PP}
COLUMNS = [
    "seq", "recorded_at", "actor", "event", "summary", "version", "total", "share_of_gdp_pct",
    "change_total", "change_pp",
]  # fmt: skip


class ReplayRequest(MeasureRequest):
    """The options of ``defledger replay``."""


def _selected(
    state: LedgerState, name: str, version: int | None, year: int
) -> DefinitionVersion | None:
    if version is not None:
        return state.definitions.get((name, version))
    return in_force(state.definitions, name, year)


def replay_table(store: EventStore, req: ReplayRequest) -> Table:
    """The replay of one measure per jurisdiction asked about, as one table."""
    year = parse_year(req.year)
    parse_stages(req.stages)
    if req.gdp_basis:
        parse_basis(req.gdp_basis)
    context, places = question_context(store, req.as_of, req.jurisdictions)
    convention = parse_convention(req.period, req.currency, req.via, req.prices)
    answers = each_jurisdiction(places, lambda j: _replay(store, req, context, j, year, convention))
    return merged("replay", answers)


def _replay(
    store: EventStore,
    req: ReplayRequest,
    context: Context,
    jurisdiction: str,
    year: int,
    convention: Convention,
) -> Table:
    stages = parse_stages(req.stages)
    basis = parse_basis(req.gdp_basis) if req.gdp_basis else None
    tier = req.tier or "all"
    names = sorted({name for name, _ in context.state.definitions})
    if req.definition:
        name, number = parse_spec(req.definition)
        if name not in names or (
            number is not None and (name, number) not in context.state.definitions
        ):
            raise InvalidInput(
                f"unknown definition {quoted(req.definition)} "
                f"(definitions: {', '.join(names) or 'none'})"
            )
    elif len(names) == 1:
        name, number = names[0], None
    else:
        raise InvalidInput(
            f"choose a definition with --definition (definitions: {', '.join(names) or 'none'})"
        )
    fiscal_years = [year]
    if convention.period == "calendar":
        rule = conversions_at(store, context.as_of.seq).rule(jurisdiction)
        fiscal_years = [w.fiscal_year for w in rule.weights(year)]
    prefixes = [f"line/{jurisdiction}/FY{fy}/" for fy in fiscal_years]
    prefixes += [f"definition/{name}/", f"gdp/{jurisdiction}/", "fx/"]
    if convention.converts:
        return _converted_replay(
            store, req, context, jurisdiction, year, convention, name, number,
            prefix_events(store, [*prefixes, *CONVERSION_PREFIXES], context.as_of.seq),
        )  # fmt: skip
    events = prefix_events(store, prefixes, context.as_of.seq)
    state = LedgerState()
    rows: list[dict[str, Any]] = []
    measures: list[Measure] = []
    last: tuple[str, str, str] | None = None
    previous: tuple[Any, Fraction | None] | None = None
    for event in events:
        with localcontext(EXACT):
            apply_raw(state, event.seq, event.type, event.schema_version, event.payload)
        version = _selected(state, name, number, year)
        if version is None:
            continue
        try:
            m = measure(state, jurisdiction, year, version, stages=stages, basis=basis)
        except InvalidInput as exc:
            if last != (version.label, "error", str(exc)):
                rows.append(_row(event, version.label, None, None, None, req.places, note=str(exc)))
                last = (version.label, "error", str(exc))
            continue
        if tier != "all" and tier not in m.tiers:
            continue
        total, share = m.total(tier), m.share(tier)
        key = (version.label, dec_str(total), exact_str(share))
        if key == last:
            continue
        rows.append(_row(event, version.label, m, total, share, req.places, previous=previous))
        measures.append(m)
        last, previous = key, (total, share)
    meta = {
        **provenance(context.meta, measures[-1:], req.places),
        "jurisdiction": jurisdiction,
        "fiscal_year": year,
        "year_basis": context.periods.of(jurisdiction).meta(),
        "definition": req.definition or name,
        "tier": tier,
        "events_read": len(events),
    }
    caption = (
        f"{len(rows)} changes of {jurisdiction} {context.periods.label(jurisdiction, year)} "
        f"{req.definition or name} ({tier}) in "
        f"{len(events)} events up to seq {context.as_of.seq}; shares rounded half-up to "
        f"{req.places} places."
    )
    return Table("replay", COLUMNS, rows, meta, caption=caption, kinds=KINDS,
                 secondary=("actor", "recorded_at", "event"))  # fmt: skip


def _row(
    event: Any,
    label: str,
    m: Measure | None,
    total: Any,
    share: Fraction | None,
    places: int,
    previous: tuple[Any, Fraction | None] | None = None,
    note: str = "",
) -> dict[str, Any]:
    change, change_pp = None, None
    if previous is not None and total is not None:
        with localcontext(EXACT):
            change = total - previous[0]
        if share is not None and previous[1] is not None:
            change_pp = share - previous[1]
    return {
        **_event_fields(event),
        "version": label,
        "total": "" if total is None else dec_str(total),
        "currency": m.currency if m else "",
        "share_of_gdp_pct": rounded_str(share, places),
        "share_of_gdp_pct_exact": exact_str(share),
        "gdp_seq": m.gdp.seq if m and m.gdp else None,
        "change_total": "" if change is None else dec_str(change),
        "change_pp": rounded_str(change_pp, places),
        "change_pp_exact": exact_str(change_pp),
        "note": note,
    }


def _converted_replay(
    store: EventStore,
    req: ReplayRequest,
    context: Context,
    jurisdiction: str,
    year: int,
    convention: Convention,
    name: str,
    number: int | None,
    events: list[Any],
) -> Table:
    """``replay`` of a converted figure: the events of every fiscal year it is made of, of the
    definition, the GDP, the rule, the rates and the price indexes, folded from nothing; a row
    whenever the figure (or why it cannot be given) changed."""
    stages = parse_stages(req.stages)
    basis = parse_basis(req.gdp_basis) if req.gdp_basis else None
    tier = req.tier or "all"
    measured = None if tier == "all" else tier
    state, conversions = LedgerState(), Conversions()
    rows: list[dict[str, Any]] = []
    last: tuple[str, ...] | None = None
    previous: tuple[Fraction, Fraction | None] | None = None
    figure: Comparable | None = None

    def version_for(fiscal_year: int) -> DefinitionVersion:
        found = _selected(state, name, number, fiscal_year)
        if found is None:
            raise InvalidInput(f"no version of {name} is in force for FY{fiscal_year}")
        return found

    for event in events:
        with localcontext(EXACT):
            apply_raw(state, event.seq, event.type, event.schema_version, event.payload)
        conversions.apply(event.seq, event.type, event.schema_version, event.payload, event.source)
        try:
            found = comparable(
                state, conversions, jurisdiction, year, version_for, convention, stages=stages,
                basis=basis,
            )  # fmt: skip
        except InvalidInput as exc:
            if last != ("error", str(exc)):
                rows.append({**_event_fields(event), "version": "", "total": "", "note": str(exc)})
                last = ("error", str(exc))
            continue
        if not found.counts_something and figure is None:
            continue
        figure = found
        total, share = found.total(measured), found.share(measured)
        key = (found.version_label, str(total), str(share), found.conversion_text())
        if key == last:
            continue
        change = None if previous is None else total - previous[0]
        change_pp = (
            None
            if previous is None or share is None or previous[1] is None
            else (share - previous[1])
        )
        rows.append(
            {
                **_event_fields(event),
                "version": found.version_label,
                **amount_fields("total", total),
                "currency": found.currency,
                "share_of_gdp_pct": rounded_str(share, req.places),
                "share_of_gdp_pct_exact": exact_str(share),
                **amount_fields("change_total", change),
                "change_pp": rounded_str(change_pp, req.places),
                "change_pp_exact": exact_str(change_pp),
                "conversion": found.conversion_text(),
                "note": "",
            }
        )
        last, previous = key, (total, share)
    meta = {
        **provenance(
            context.meta, [c.measure for c in figure.components] if figure else [], req.places
        ),
        "jurisdiction": jurisdiction,
        "year": year,
        "convention": convention.describe(),
        "conversion": figure.meta() if figure else None,
        "definition": req.definition or name,
        "tier": tier,
        "events_read": len(events),
    }
    label = str(year) if convention.period == "calendar" else f"FY{year}"
    caption = (
        f"{len(rows)} changes of {jurisdiction} {label} {req.definition or name} ({tier}; "
        f"{convention.describe()}) in {len(events)} events up to seq {context.as_of.seq}; "
        f"shares rounded half-up to {req.places} places."
    )
    return Table("replay", [*COLUMNS, "conversion", "note"], rows, meta, caption=caption,
                 kinds=KINDS, secondary=("actor", "recorded_at", "event"))  # fmt: skip


def _event_fields(event: Any) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "recorded_at": event.recorded_at,
        "actor": event.actor,
        "event": event.type,
        "summary": summary(cast(Any, event)),
        "stream": event.stream,
    }
