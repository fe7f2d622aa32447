"""``totals``: per fiscal year and definition version, per tier, with the share of GDP, the
year-on-year change and the gap to each target; and ``all_totals_rows`` for exports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from events.quoting import quoted
from ledger.errors import InvalidInput
from ledger.numbers import grouped
from ledger.projections.comparable import parse_convention
from ledger.projections.definitions import DefinitionVersion, GdpBasis, parse_spec
from ledger.projections.diagnostics import Diagnostic, diagnose, tier_diagnostics
from ledger.projections.fold import EXACT, LedgerState, Target, dec_str
from ledger.projections.measure import (
    Measure,
    describe_missing_gdp,
    exact_str,
    fiscal_years_with_lines,
    growth_percent,
    measure,
    parse_basis,
    resolve_gdp,
    rounded_str,
)
from ledger.projections.periods import Periods, YearLabel, describe_basis, fy_label
from ledger.queries.jurisdictions import question_context
from ledger.queries.question import (
    no_version_error,
    parse_stages,
    parse_years,
    provenance,
    versions_for,
)
from ledger.storage.store import EventStore
from ledger.tabular import AMOUNT, PERCENT, PP, Table

ALL = "all"
# Fiscal years × definition versions one ``totals`` measures: each is a measure with its rows,
# so the answer (and its memory) grows with the product; a ledger with thousands of
# definitions asked for FY1900..FY2200 would be a million measures.
MAX_CELLS = 10_000
NOTES_PER_KIND = 3  # notes of one diagnostic code printed in full under a table
CAPTION_GDP = 12  # GDP figures listed one per line under a table; more are summed up in one
COLUMNS = [
    "jurisdiction", "fiscal_year", "definition", "version", "status", "tier", "stages",
    "currency", "total", "gdp", "gdp_basis", "share_of_gdp_pct",
]  # fmt: skip
CHANGE_COLUMNS = ["change_total", "change_pct", "change_pp"]
TARGET_COLUMNS = [
    "target", "target_pct", "by_fiscal_year", "kind", "target_amount", "gap", "gap_pp", "met",
]  # fmt: skip
KINDS = {
    "total": AMOUNT, "gdp": AMOUNT, "change_total": AMOUNT, "target_amount": AMOUNT,
    "gap": AMOUNT, "share_of_gdp_pct": PERCENT, "target_pct": PERCENT, "change_pct": PERCENT,
    "change_pp": PP, "gap_pp": PP,
}  # fmt: skip
SECONDARY = ("gdp_basis", "gdp", "stages", "status", "currency")  # left out first if need be
EXPORT_KEYS = (
    "jurisdiction", "fiscal_year", "definition", "version", "status", "tier", "currency", "total",
    "gdp", "gdp_fiscal_year", "gdp_vintage", "share_of_gdp_pct",
)  # fmt: skip


@dataclass
class TotalsRequest:
    """The options of ``defledger totals``."""

    jurisdictions: tuple[str, ...] = ()
    years: str | None = None
    definitions: tuple[str, ...] = ()
    tier: str | None = None
    stages: tuple[str, ...] = ()
    gdp_basis: str | None = None
    as_of: str | None = None
    change: bool = False
    targets: bool = False
    places: int = 2
    by_category: bool = False
    claims: bool = False
    period: str | None = None
    currency: str | None = None
    via: str | None = None
    prices: str | None = None


def tiers_of(m: Measure, tier: str | None) -> list[str]:
    """The tier rows of a measure: each tier, then ``all``; or just the one asked for."""
    names = [*m.version.tiers(), ALL]
    return names if tier is None else [t for t in names if t == tier]


def applicable_targets(state: LedgerState, m: Measure, tier: str) -> list[Target]:
    """Targets measured by this definition (or by any) and this tier (None: all tiers)."""
    found = [
        t
        for (j, _), t in sorted(state.targets.items())
        if j == m.jurisdiction
        and t.definition in (None, m.version.definition)
        and (t.tier == tier or (t.tier is None and tier == ALL))
    ]
    return found


def target_fields(
    m: Measure, tier: str, target: Target, places: int, year_label: YearLabel = fy_label
) -> dict[str, Any]:
    """The gap to one target, in money and in percentage points (exact and rounded)."""
    if m.gdp is None:
        raise InvalidInput(
            f"cannot measure the gap to target {target.target_id}: "
            + describe_missing_gdp(m.jurisdiction, m.fiscal_year, m.version.basis, year_label)
        )
    with localcontext(EXACT):
        amount = target.percent_of_gdp * m.gdp.amount / 100
        gap = amount - m.total(tier)
    share = m.share(tier)
    assert share is not None
    gap_pp = Fraction(target.percent_of_gdp) - share
    met = m.total(tier) >= amount if target.kind == "floor" else m.total(tier) <= amount
    return {
        "target": target.target_id,
        "target_pct": dec_str(target.percent_of_gdp),
        "by_fiscal_year": target.by_fiscal_year,
        "kind": target.kind,
        "target_amount": dec_str(amount),
        "gap": dec_str(gap),
        "gap_pp": rounded_str(gap_pp, places),
        "gap_pp_exact": exact_str(gap_pp),
        "met": met,
        "target_seq": target.seq,
    }


def measure_row(
    m: Measure, tier: str, places: int, year_label: YearLabel = fy_label
) -> dict[str, Any]:
    """One row of ``totals``; total and share empty when the measure left lines out (no
    exchange rate: its diagnostics say which)."""
    complete = m.complete(tier)
    share = m.share(tier) if complete else None
    return {
        "jurisdiction": m.jurisdiction,
        "fiscal_year": m.fiscal_year,
        "definition": m.version.definition,
        "version": m.version.version,
        "status": m.version.status,
        "tier": tier,
        "stages": ",".join(m.stages),
        "currency": m.currency,
        "total": dec_str(m.total(tier)) if complete else "",
        "gdp": dec_str(m.gdp.amount) if m.gdp else "",
        "gdp_basis": m.gdp.label(year_label) if m.gdp else "",
        "share_of_gdp_pct": rounded_str(share, places),
        "share_of_gdp_pct_exact": exact_str(share),
        "gdp_fiscal_year": m.gdp.fiscal_year if m.gdp else None,
        "gdp_vintage": m.gdp.vintage if m.gdp else None,
        "gdp_seq": m.gdp.seq if m.gdp else None,
    }


def _change(m: Measure, previous: Measure | None, tier: str, places: int) -> dict[str, Any]:
    """The change from the year before: in money, in percent of the year before's total (the
    growth budgets are reported by: +16.5 %), and in percentage points of GDP. Exact; the
    percentages rounded half up to ``places`` for display, exact beside them (``_exact``).
    Empty when either year's total left lines out (no exchange rate)."""
    empty = {"change_total": "", "change_pct": "", "change_pct_exact": "", "change_pp": "",
             "change_pp_exact": ""}  # fmt: skip
    if previous is None or not (m.complete(tier) and previous.complete(tier)):
        return empty
    if previous.currency != m.currency:
        return {**empty, "previous_version": previous.version.version}  # no common unit
    with localcontext(EXACT):
        delta = m.total(tier) - previous.total(tier)
    growth = growth_percent(m.total(tier), previous.total(tier))
    now, before = m.share(tier), previous.share(tier)
    pp = None if now is None or before is None else now - before
    return {
        "change_total": dec_str(delta),
        "change_pct": rounded_str(growth, places),
        "change_pct_exact": exact_str(growth),
        "change_pp": rounded_str(pp, places),
        "change_pp_exact": exact_str(pp),
        "previous_version": previous.version.version,
    }


def _previous(
    state: LedgerState, m: Measure, spec: str | None, req: TotalsRequest, basis: GdpBasis | None
) -> Measure | None:
    """The same question for the year before (same version when one was named)."""
    year = m.fiscal_year - 1
    if not state.group(m.jurisdiction, year):
        return None
    spec = spec or m.version.definition
    versions = versions_for(state, (spec,), year, [])
    if not versions:
        return None
    return measure(
        state, m.jurisdiction, year, versions[0], stages=parse_stages(req.stages), basis=basis,
        skip_unconvertible=True,
    )  # fmt: skip


def totals_table(store: EventStore, req: TotalsRequest) -> Table:
    """The ``totals`` answer as a Table (rows + provenance meta), one row per jurisdiction ×
    fiscal year × definition version × tier; converted on request (``ledger.queries.converted``:
    calendar years, constant prices, another currency)."""
    convention = parse_convention(req.period, req.currency, req.via, req.prices)
    if convention.converts:
        from ledger.queries.converted import converted_totals

        return converted_totals(store, req, convention)
    stages = parse_stages(req.stages)
    basis = parse_basis(req.gdp_basis) if req.gdp_basis else None
    context, places = question_context(store, req.as_of, req.jurisdictions)
    state, periods = context.state, context.periods
    label = periods.common(places).label  # a year not about one jurisdiction
    seq = context.as_of.seq
    notes: list[str] = []
    named = {parse_spec(spec) for spec in req.definitions}
    cells: list[tuple[str, int, list[DefinitionVersion]]] = []
    asked: list[int] = []
    for jurisdiction in places:
        years = (
            parse_years(req.years) if req.years else fiscal_years_with_lines(state, jurisdiction)
        )
        if not years:
            if len(places) == 1:
                raise InvalidInput(
                    f"no budget lines are recorded for {jurisdiction} as of seq {seq}"
                )
            notes.append(f"no budget lines are recorded for {jurisdiction} as of seq {seq}")
            continue
        asked += years
        for year in years:
            if not state.group(jurisdiction, year):
                notes.append(
                    f"no budget lines for {jurisdiction} {periods.label(jurisdiction, year)} "
                    f"as of seq {seq}"
                )
                continue
            versions = versions_for(state, req.definitions, year, notes, label)
            cells.append((jurisdiction, year, versions))
    count = sum(len(versions) for _, _, versions in cells)
    if count > MAX_CELLS:
        raise InvalidInput(
            f"this would measure {count:,} jurisdiction × fiscal year × definition version "
            f"cells; the limit is {MAX_CELLS:,}: narrow -j or --fy, or name the definitions "
            "with --definition"
        )
    if not cells:
        span = periods.span(places, asked)
        raise InvalidInput(
            f"no budget lines are recorded for {', '.join(places)} {span} as of seq {seq}"
        )
    measures: list[tuple[Measure, str | None]] = []
    for jurisdiction, year, versions in cells:
        for version in versions:
            year_label = periods.of(jurisdiction).label
            if basis is not None and resolve_gdp(state, jurisdiction, year, basis) is None:
                raise InvalidInput(describe_missing_gdp(jurisdiction, year, basis, year_label))
            m = measure(
                state, jurisdiction, year, version, stages=stages, basis=basis,
                skip_unconvertible=True,
            )  # fmt: skip
            if stages is not None and not m.stages:
                notes.append(f"{version.label} does not count stage {', '.join(stages)}")
            exact = (version.definition, version.version) in named
            measures.append((m, version.label if exact else None))
    if not measures:
        raise no_version_error(state, req.definitions, sorted(set(asked)), label)
    if req.tier is not None and not any(tiers_of(m, req.tier) for m, _ in measures):
        known = sorted({t for m, _ in measures for t in tiers_of(m, None)})
        raise InvalidInput(f"unknown tier {quoted(req.tier)} (tiers: {', '.join(known)})")
    rows, shown = _rows(state, periods, measures, req, basis)
    notes += diagnostic_notes(shown)
    columns = [*COLUMNS[:6], *(["category"] if req.by_category else []), *COLUMNS[6:]]
    columns += CHANGE_COLUMNS if req.change else []
    columns += TARGET_COLUMNS if req.targets else []
    if req.claims:
        _add_claims(store, context.as_of.seq, state, rows, basis)
        columns.append("claims")
    used = [m for m, _ in measures]
    meta = {
        **provenance(context.meta, used, req.places),
        "jurisdiction": places[0] if len(places) == 1 else None,
        "jurisdictions": places,
        "year_bases": periods.meta(places),
        "notes": list(dict.fromkeys(notes)),
    }
    return Table("totals", columns, rows, meta, caption=_caption(meta, periods, places),
                 kinds=KINDS, secondary=SECONDARY)  # fmt: skip


def _rows(
    state: LedgerState,
    periods: Periods,
    measures: list[tuple[Measure, str | None]],
    req: TotalsRequest,
    basis: GdpBasis | None,
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """The rows, each with its ``diagnostics``, and the diagnostics to print as notes."""
    rows: list[dict[str, Any]] = []
    shown: list[Diagnostic] = []
    for m, spec in measures:
        previous = _previous(state, m, spec, req, basis) if req.change else None
        year_label = periods.of(m.jurisdiction).label
        found = diagnose(state, m, year_label)
        shown += [d for d in found if d.shown]
        for tier in tiers_of(m, req.tier):
            row = measure_row(m, tier, req.places, year_label)
            own = tier_diagnostics(m, tier, year_label)
            shown += own
            row["diagnostics"] = [d.doc() for d in [*found, *own]]
            if req.by_category:
                row["category"] = "*"
                for (cat_tier, category), amount in sorted(m.by_category.items()):
                    if tier in (ALL, cat_tier):
                        rows.append(_category_row(m, row, category, amount, req))
            if req.change:
                row.update(_change(m, previous, tier, req.places))
            if req.targets and m.complete(tier):
                targets = applicable_targets(state, m, tier)
                rows.extend(
                    {**row, **target_fields(m, tier, t, req.places, year_label)} for t in targets
                )
                if targets:
                    continue
            rows.append(row)
    return rows, shown


def diagnostic_notes(shown: list[Diagnostic]) -> list[str]:
    """The notes printed under the table: each diagnostic's message, or, for a code with more
    than ``NOTES_PER_KIND`` of them, its first message and how many more (JSON lists every one
    in its row's ``diagnostics``)."""
    groups: dict[str, list[Diagnostic]] = {}
    for d in {d.message: d for d in shown}.values():
        groups.setdefault(d.code, []).append(d)
    notes: list[str] = []
    for found in groups.values():
        if len(found) <= NOTES_PER_KIND:
            notes += [d.message for d in found]
        else:
            lines = sum(d.lines for d in found)
            where = f", {lines} lines in all" if lines else ""
            notes.append(
                f"{found[0].message} (and {len(found) - 1} more {found[0].code} diagnostics"
                f"{where}: --format json lists each in its row)"
            )
    return notes


def _add_claims(
    store: EventStore,
    seq: int,
    state: LedgerState,
    rows: list[dict[str, Any]],
    basis: GdpBasis | None,
) -> None:
    """``--claims``: on each row, the active claims about the figure it shows (jurisdiction,
    fiscal year, definition version, tier, stages and, for a share, GDP basis), each with its
    verdict under that version."""
    from events.claims import MONEY_METRICS
    from ledger.queries.claims import check_claims, claims_at, select_claims

    chosen = select_claims(claims_at(store, seq), (), False)
    about: dict[tuple[Any, ...], list[str]] = {}
    for result in check_claims(store, seq, chosen, state):
        claim = result.claim
        for o in result.outcomes:
            if o.status is None:  # measured by no version (none in force, none recorded)
                continue
            version = state.definitions[parse_spec(o.label)]  # type: ignore[index]
            claimed_basis = claim.gdp_basis or version.basis.label()
            shown_basis = basis.label() if basis else version.basis.label()
            if claim.metric not in MONEY_METRICS and claimed_basis != shown_basis:
                continue  # a share of another GDP than the row's
            stages = ",".join(o.stages)
            key = (claim.jurisdiction, claim.fiscal_year, o.label, o.tier or ALL, stages)
            about.setdefault(key, []).append(f"{claim.claim_id}: {o.verdict.text}")
    for row in rows:
        label = f"{row['definition']}@{row['version']}"
        key = (row["jurisdiction"], row["fiscal_year"], label, row["tier"], row["stages"])
        row["claims"] = "; ".join(about.get(key, []))


def _category_row(
    m: Measure, row: dict[str, Any], category: str, amount: Decimal, req: TotalsRequest
) -> dict[str, Any]:
    from ledger.projections.measure import percent

    complete = all(category != cat for cat, *_ in m.unconverted)
    share = percent(amount, m.gdp.amount) if m.gdp and complete else None
    return {
        **row,
        "category": category,
        "total": dec_str(amount) if complete else "",
        "share_of_gdp_pct": rounded_str(share, req.places),
        "share_of_gdp_pct_exact": exact_str(share),
    }


def _caption(meta: dict[str, Any], periods: Periods, places: list[str]) -> str:
    as_of = meta["as_of"]
    spec = as_of["spec"]
    moment = f"as of seq {as_of['seq']}" + (
        " (head)"
        if not spec
        else ""
        if spec.strip().lstrip("#") == str(as_of["seq"])
        else f" ({spec})"
    )
    lines = [
        f"Share of GDP = total / GDP × 100, rounded half-up to {meta['places']} "
        f"place{'' if meta['places'] == 1 else 's'}; {moment}."
    ]
    label = periods.common(places).label
    if len(meta["gdp"]) > CAPTION_GDP:
        gdp = meta["gdp"]
        vintages = ", ".join(sorted({g["vintage"] for g in gdp}))
        bases = ", ".join(sorted({g["basis"] for g in gdp}))
        seqs = sorted(g["seq"] for g in gdp)
        lines.append(
            f"GDP: {len(gdp)} figures (vintage {vintages}, seq {seqs[0]}..{seqs[-1]}, basis "
            f"{bases}); the gdp column gives each, meta.gdp lists them."
        )
    for g in meta["gdp"] if len(meta["gdp"]) <= CAPTION_GDP else []:
        year = periods.label(g["jurisdiction"], g["fiscal_year"])
        lines.append(
            f"GDP {g['jurisdiction']} {year} = {grouped(Decimal(g['amount']))} {g['currency']} "
            f"(vintage {g['vintage']}, seq {g['seq']}, basis {g['basis']})."
        )
    for r in meta["exchange_rates"]:
        lines.append(
            f"Rate {label(r['fiscal_year'])}: 1 {r['base']} = {r['rate']} {r['quote']} "
            f"(seq {r['seq']})."
        )
    recorded: dict[str, list[str]] = {}
    for place in places:
        if periods.of(place).seq is not None:
            recorded.setdefault(describe_basis(periods.of(place)), []).append(place)
    for description, which in recorded.items():
        lines.append(f"Years of {', '.join(which)}: {description} (YearBasisSet).")
    for d in meta["definitions"]:
        since = f" from {label(d['effective_from'])}" if d["effective_from"] else ""
        rule = ""
        if d.get("stage_rule") == "latest":
            rule = f" (counts each year's latest stage of {','.join(d['stages'])})"
        lines.append(f"{d['definition']}@{d['version']}: {d['status']}{since} — {d['title']}{rule}")
    lines += [f"Note: {note}" for note in meta.get("notes", [])]
    return "\n".join(lines)


def all_totals_rows(
    state_or_store: LedgerState | EventStore, as_of_seq: int | None
) -> list[dict[str, Any]]:
    """One row per jurisdiction × FY (with lines) × definition@version (every version, any
    status) × tier, plus tier ``all``; decimals as exact strings, GDP fields empty without a
    GDP figure (and total/currency empty when a currency cannot be converted). Works on a
    ``LedgerState`` (offline: it must be the fold of the first ``as_of_seq`` events) or on a
    store (as of ``as_of_seq``; None: the head). Sorted deterministically."""
    if isinstance(state_or_store, LedgerState):
        state = state_or_store
        if as_of_seq is not None and as_of_seq != state.last_seq:
            raise InvalidInput(
                f"the state is at seq {state.last_seq}, not {as_of_seq}: fold the first "
                f"{as_of_seq} events"
            )
    else:
        from ledger.projections.persisted import state_at

        state = state_at(state_or_store, as_of_seq)
    rows: list[dict[str, Any]] = []
    for jurisdiction, year in sorted(state.sums):
        for key in sorted(state.definitions):
            version = state.definitions[key]
            try:
                m: Measure | None = measure(state, jurisdiction, year, version)
            except InvalidInput:
                m = None
            for tier in [*version.tiers(), ALL]:
                rows.append(_export_row(jurisdiction, year, version, m, tier))
    return rows


def _export_row(
    jurisdiction: str, year: int, version: Any, m: Measure | None, tier: str
) -> dict[str, Any]:
    gdp = m.gdp if m else None
    return {
        "jurisdiction": jurisdiction,
        "fiscal_year": year,
        "definition": version.definition,
        "version": version.version,
        "status": version.status,
        "tier": tier,
        "currency": m.currency if m else "",
        "total": dec_str(m.total(tier)) if m else "",
        "gdp": dec_str(gdp.amount) if gdp else "",
        "gdp_fiscal_year": gdp.fiscal_year if gdp else "",
        "gdp_vintage": gdp.vintage if gdp else "",
        "share_of_gdp_pct": exact_str(m.share(tier)) if m and gdp else "",
    }
