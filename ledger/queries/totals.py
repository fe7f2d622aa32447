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
from ledger.projections.definitions import DefinitionVersion, GdpBasis, parse_spec
from ledger.projections.fold import EXACT, LedgerState, Target, dec_str
from ledger.projections.measure import (
    Measure,
    describe_missing_gdp,
    exact_str,
    fiscal_years_with_lines,
    measure,
    parse_basis,
    resolve_gdp,
    rounded_str,
)
from ledger.queries.question import (
    no_version_error,
    open_context,
    parse_jurisdiction,
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
COLUMNS = [
    "jurisdiction", "fiscal_year", "definition", "version", "status", "tier", "stages",
    "currency", "total", "gdp", "gdp_basis", "share_of_gdp_pct",
]  # fmt: skip
CHANGE_COLUMNS = ["change_total", "change_pp"]
TARGET_COLUMNS = [
    "target", "target_pct", "by_fiscal_year", "kind", "target_amount", "gap", "gap_pp", "met",
]  # fmt: skip
KINDS = {
    "total": AMOUNT, "gdp": AMOUNT, "change_total": AMOUNT, "target_amount": AMOUNT,
    "gap": AMOUNT, "share_of_gdp_pct": PERCENT, "target_pct": PERCENT, "change_pp": PP,
    "gap_pp": PP,
}  # fmt: skip
SECONDARY = ("gdp_basis", "gdp", "stages", "status", "currency")  # left out first if need be
EXPORT_KEYS = (
    "jurisdiction", "fiscal_year", "definition", "version", "status", "tier", "currency", "total",
    "gdp", "gdp_fiscal_year", "gdp_vintage", "share_of_gdp_pct",
)  # fmt: skip


@dataclass
class TotalsRequest:
    """The options of ``defledger totals``."""

    jurisdiction: str = "JP"
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


def target_fields(m: Measure, tier: str, target: Target, places: int) -> dict[str, Any]:
    """The gap to one target, in money and in percentage points (exact and rounded)."""
    if m.gdp is None:
        raise InvalidInput(
            f"cannot measure the gap to target {target.target_id}: "
            + describe_missing_gdp(m.jurisdiction, m.fiscal_year, m.version.basis)
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


def measure_row(m: Measure, tier: str, places: int) -> dict[str, Any]:
    share = m.share(tier)
    return {
        "jurisdiction": m.jurisdiction,
        "fiscal_year": m.fiscal_year,
        "definition": m.version.definition,
        "version": m.version.version,
        "status": m.version.status,
        "tier": tier,
        "stages": ",".join(m.stages),
        "currency": m.currency,
        "total": dec_str(m.total(tier)),
        "gdp": dec_str(m.gdp.amount) if m.gdp else "",
        "gdp_basis": m.gdp.label() if m.gdp else "",
        "share_of_gdp_pct": rounded_str(share, places),
        "share_of_gdp_pct_exact": exact_str(share),
        "gdp_fiscal_year": m.gdp.fiscal_year if m.gdp else None,
        "gdp_vintage": m.gdp.vintage if m.gdp else None,
        "gdp_seq": m.gdp.seq if m.gdp else None,
    }


def _change(m: Measure, previous: Measure | None, tier: str, places: int) -> dict[str, Any]:
    if previous is None:
        return {"change_total": "", "change_pp": "", "change_pp_exact": ""}
    with localcontext(EXACT):
        delta = m.total(tier) - previous.total(tier)
    now, before = m.share(tier), previous.share(tier)
    pp = None if now is None or before is None else now - before
    return {
        "change_total": dec_str(delta),
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
        state, m.jurisdiction, year, versions[0], stages=parse_stages(req.stages), basis=basis
    )


def totals_table(store: EventStore, req: TotalsRequest) -> Table:
    """The ``totals`` answer as a Table (rows + provenance meta)."""
    jurisdiction = parse_jurisdiction(req.jurisdiction)
    stages = parse_stages(req.stages)
    basis = parse_basis(req.gdp_basis) if req.gdp_basis else None
    context = open_context(store, req.as_of, jurisdiction)
    state = context.state
    years = parse_years(req.years) if req.years else fiscal_years_with_lines(state, jurisdiction)
    if not years:
        raise InvalidInput(
            f"no budget lines are recorded for {jurisdiction} as of seq {context.as_of.seq}"
        )
    notes: list[str] = []
    named = {parse_spec(spec) for spec in req.definitions}
    cells: list[tuple[int, list[DefinitionVersion]]] = []
    for year in years:
        if not state.group(jurisdiction, year):
            notes.append(
                f"no budget lines for {jurisdiction} FY{year} as of seq {context.as_of.seq}"
            )
            continue
        cells.append((year, versions_for(state, req.definitions, year, notes)))
    count = sum(len(versions) for _, versions in cells)
    if count > MAX_CELLS:
        raise InvalidInput(
            f"this would measure {count:,} fiscal year × definition version cells; the limit is "
            f"{MAX_CELLS:,}: narrow --fy or name the definitions with --definition"
        )
    measures: list[tuple[Measure, str | None]] = []
    for year, versions in cells:
        for version in versions:
            if basis is not None and resolve_gdp(state, jurisdiction, year, basis) is None:
                raise InvalidInput(describe_missing_gdp(jurisdiction, year, basis))
            m = measure(state, jurisdiction, year, version, stages=stages, basis=basis)
            if stages is not None and not m.stages:
                notes.append(f"{version.label} does not count stage {', '.join(stages)}")
            if m.gdp is None:
                notes.append(describe_missing_gdp(jurisdiction, year, basis or version.basis))
            exact = (version.definition, version.version) in named
            measures.append((m, version.label if exact else None))
    if not any(state.group(jurisdiction, year) for year in years):
        span = f"FY{years[0]}" + (f"..FY{years[-1]}" if len(years) > 1 else "")
        raise InvalidInput(
            f"no budget lines are recorded for {jurisdiction} {span} as of seq {context.as_of.seq}"
        )
    if not measures:
        raise no_version_error(state, req.definitions, years)
    if req.tier is not None and not any(tiers_of(m, req.tier) for m, _ in measures):
        known = sorted({t for m, _ in measures for t in tiers_of(m, None)})
        raise InvalidInput(f"unknown tier {quoted(req.tier)} (tiers: {', '.join(known)})")
    rows = _rows(state, measures, req, basis)
    columns = [*COLUMNS[:6], *(["category"] if req.by_category else []), *COLUMNS[6:]]
    columns += CHANGE_COLUMNS if req.change else []
    columns += TARGET_COLUMNS if req.targets else []
    used = [m for m, _ in measures]
    meta = {
        **provenance(context.meta, used, req.places),
        "jurisdiction": jurisdiction,
        "notes": list(dict.fromkeys(notes)),
    }
    return Table("totals", columns, rows, meta, caption=_caption(meta), kinds=KINDS,
                 secondary=SECONDARY)  # fmt: skip


def _rows(
    state: LedgerState,
    measures: list[tuple[Measure, str | None]],
    req: TotalsRequest,
    basis: GdpBasis | None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for m, spec in measures:
        previous = _previous(state, m, spec, req, basis) if req.change else None
        for tier in tiers_of(m, req.tier):
            row = measure_row(m, tier, req.places)
            if req.by_category:
                row["category"] = "*"
                for (cat_tier, category), amount in sorted(m.by_category.items()):
                    if tier in (ALL, cat_tier):
                        rows.append(_category_row(m, row, category, amount, req))
            if req.change:
                row.update(_change(m, previous, tier, req.places))
            if req.targets:
                targets = applicable_targets(state, m, tier)
                rows.extend({**row, **target_fields(m, tier, t, req.places)} for t in targets)
                if targets:
                    continue
            rows.append(row)
    return rows


def _category_row(
    m: Measure, row: dict[str, Any], category: str, amount: Decimal, req: TotalsRequest
) -> dict[str, Any]:
    from ledger.projections.measure import percent

    share = percent(amount, m.gdp.amount) if m.gdp else None
    return {
        **row,
        "category": category,
        "total": dec_str(amount),
        "share_of_gdp_pct": rounded_str(share, req.places),
        "share_of_gdp_pct_exact": exact_str(share),
    }


def _caption(meta: dict[str, Any]) -> str:
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
    for g in meta["gdp"]:
        lines.append(
            f"GDP {g['jurisdiction']} FY{g['fiscal_year']} = {grouped(Decimal(g['amount']))} "
            f"{g['currency']} "
            f"(vintage {g['vintage']}, seq {g['seq']}, basis {g['basis']})."
        )
    for r in meta["exchange_rates"]:
        lines.append(
            f"Rate FY{r['fiscal_year']}: 1 {r['base']} = {r['rate']} {r['quote']} (seq {r['seq']})."
        )
    for d in meta["definitions"]:
        since = f" from FY{d['effective_from']}" if d["effective_from"] else ""
        lines.append(f"{d['definition']}@{d['version']}: {d['status']}{since} — {d['title']}")
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
