"""The share of GDP over the years: every definition version measured for every fiscal year
with budget lines of one jurisdiction (tier ``all``), each point saying whether that version
was in force that year, and the jurisdiction's targets: what the web view's overview chart
draws (``ledger.reports.trend``) and ``/api/v1/series`` returns."""

from __future__ import annotations

from typing import Any

from ledger.errors import InvalidInput
from ledger.projections.definitions import in_force, version_meta
from ledger.projections.fold import dec_str
from ledger.projections.measure import exact_str, fiscal_years_with_lines, measure, rounded_str
from ledger.queries.jurisdictions import question_context
from ledger.queries.question import provenance
from ledger.queries.totals import MAX_CELLS
from ledger.storage.store import EventStore
from ledger.tabular import Table

COLUMNS = [
    "jurisdiction", "fiscal_year", "definition", "version", "status", "in_force",
    "counts_anything", "currency", "total", "gdp_basis", "share_of_gdp_pct",
]  # fmt: skip


def share_series(
    store: EventStore, jurisdiction: str | None, as_of: str | None, places: int = 2
) -> Table:
    """One row per fiscal year × definition version of ``jurisdiction`` (None: the ledger's
    default) as of ``as_of``: total and share of GDP (exact in ``share_of_gdp_pct_exact``,
    empty without a GDP figure or when a line's currency cannot be converted), whether it was
    in force and whether it counts any line (``totals`` says why not); ``meta.targets`` holds
    the jurisdiction's targets."""
    context, places_asked = question_context(store, as_of, (jurisdiction,) if jurisdiction else ())
    if len(places_asked) != 1:
        raise InvalidInput("the share of GDP over the years is about one jurisdiction")
    place = places_asked[0]
    state = context.state
    years = fiscal_years_with_lines(state, place)
    versions = [state.definitions[key] for key in sorted(state.definitions)]
    if len(years) * len(versions) > MAX_CELLS:
        raise InvalidInput(
            f"{len(years)} fiscal years × {len(versions)} definition versions is more than "
            f"{MAX_CELLS:,} measures"
        )
    label = context.periods.of(place).label
    rows: list[dict[str, Any]] = []
    measures = []
    for year in years:
        for version in versions:
            m = measure(state, place, year, version, skip_unconvertible=True)
            measures.append(m)
            complete = m.complete()
            share = m.share() if complete else None
            current = in_force(state.definitions, version.definition, year)
            rows.append(
                {
                    **{k: v for k, v in version_meta(version).items() if k in COLUMNS},
                    "jurisdiction": place,
                    "fiscal_year": year,
                    "year_label": label(year),
                    "in_force": current is not None and current.version == version.version,
                    "counts_anything": bool(m.by_category),
                    "currency": m.currency,
                    "total": dec_str(m.total()) if complete else "",
                    "gdp_basis": m.gdp.label(label) if m.gdp else "",
                    "share_of_gdp_pct": rounded_str(share, places),
                    "share_of_gdp_pct_exact": exact_str(share),
                }
            )
    targets = [
        {
            "target_id": t.target_id,
            "percent_of_gdp": dec_str(t.percent_of_gdp),
            "by_fiscal_year": t.by_fiscal_year,
            "by_label": label(t.by_fiscal_year),
            "kind": t.kind,
            "definition": t.definition,
            "tier": t.tier,
            "description": t.description,
            "seq": t.seq,
        }
        for (j, _), t in sorted(state.targets.items())
        if j == place
    ]
    meta = {
        **provenance(context.meta, measures, places),
        "jurisdiction": place,
        "targets": targets,
    }
    return Table("series", COLUMNS, rows, meta)
