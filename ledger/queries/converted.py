"""``totals`` made comparable on request (``--period calendar``, ``--prices constant:YEAR``,
``--currency CODE``, ``--via``): per jurisdiction × year × definition × tier, each figure with
the fiscal years, weights, price index and rates behind it (``ledger.projections.comparable``).

A calendar year is shown only when every fiscal year it is made of has budget lines and a
version of the definition in force; otherwise a note says which part is missing, so no
calendar figure is ever half a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from events.quoting import quoted
from ledger.errors import InvalidInput
from ledger.projections.calendar import CalendarRule
from ledger.projections.comparable import Comparable, Convention, amount_fields, comparable
from ledger.projections.conversions import Conversions, conversions_at
from ledger.projections.definitions import DefinitionVersion, definition_names, parse_spec, select
from ledger.projections.diagnostics import Diagnostic, diagnose
from ledger.projections.fold import LedgerState
from ledger.projections.measure import (
    exact_str,
    fiscal_years_with_lines,
    parse_basis,
    rounded_str,
)
from ledger.queries.jurisdictions import question_context
from ledger.queries.question import parse_stages, parse_years, provenance
from ledger.queries.totals import KINDS, SECONDARY, diagnostic_notes
from ledger.storage.store import EventStore
from ledger.tabular import Table

if TYPE_CHECKING:
    from ledger.queries.totals import TotalsRequest

ALL = "all"
COLUMNS = [
    "jurisdiction", "year", "definition", "version", "status", "tier", "stages", "prices",
    "currency", "total", "share_of_gdp_pct", "conversion",
]  # fmt: skip
CHANGE_COLUMNS = ["change_total", "change_pct", "change_pp"]


def default_years(
    state: LedgerState, conversions: Conversions, jurisdiction: str, convention: Convention
) -> list[int]:
    """Every year whose fiscal years all have budget lines."""
    fiscal = fiscal_years_with_lines(state, jurisdiction)
    if convention.period != "calendar" or not fiscal:
        return fiscal
    rule = conversions.rule(jurisdiction)
    have = set(fiscal)
    return [
        year
        for year in range(fiscal[0] - 1, fiscal[-1] + 2)
        if all(w.fiscal_year in have for w in rule.weights(year))
    ]


def figure_of(
    state: LedgerState,
    conversions: Conversions,
    jurisdiction: str,
    year: int,
    spec: str,
    convention: Convention,
    *,
    stages: tuple[str, ...] | None = None,
    gdp_basis: str | None = None,
    skip_unconvertible: bool = True,
) -> Comparable:
    """The figure ``spec`` (``NAME@N``, or ``NAME``: the version in force for each fiscal year)
    gives for ``year`` under ``convention``; ``InvalidInput`` saying which fiscal year has no
    lines or no version in force."""
    rule: CalendarRule | None = (
        conversions.rule(jurisdiction) if convention.period == "calendar" else None
    )
    label = str(year) if rule else f"FY{year}"
    fiscal_years = [w.fiscal_year for w in rule.weights(year)] if rule else [year]
    for fiscal_year in fiscal_years:
        if not state.group(jurisdiction, fiscal_year):
            part = f" (part of {label})" if rule else ""
            raise InvalidInput(f"no budget lines for {jurisdiction} FY{fiscal_year}{part}")

    def version_for(fiscal_year: int) -> DefinitionVersion:
        found = select(state.definitions, spec, fiscal_year)
        if found is None:
            part = f" (part of {label})" if rule else ""
            raise InvalidInput(
                f"no adopted version of {parse_spec(spec)[0]} is in force for FY{fiscal_year}{part}"
            )
        return found

    basis = parse_basis(gdp_basis) if gdp_basis else None
    return comparable(
        state, conversions, jurisdiction, year, version_for, convention, stages=stages,
        basis=basis, skip_unconvertible=skip_unconvertible,
    )  # fmt: skip


def figure_row(figure: Comparable, tier: str, places: int) -> dict[str, Any]:
    """One row: the converted total and share, the steps behind them (``conversion``), and in
    JSON the components, price index and rates."""
    complete = figure.complete(tier)
    total = figure.total(tier) if complete else None
    share = figure.share(tier) if complete else None
    versions = figure.versions
    return {
        "jurisdiction": figure.jurisdiction,
        "year": figure.label,
        "period": figure.convention.period,
        "definition": versions[-1].definition,
        "version": "+".join(str(v.version) for v in versions),
        "status": versions[-1].status,
        "tier": tier,
        "stages": ",".join(figure.stages),
        "prices": figure.convention.prices_text(),
        "currency": figure.currency,
        **amount_fields("total", total),
        "share_of_gdp_pct": rounded_str(share, places),
        "share_of_gdp_pct_exact": exact_str(share),
        "conversion": figure.conversion_text(),
        "formula": figure.formula(None if tier == ALL else tier),
        **{k: v for k, v in figure.meta().items() if k not in ("jurisdiction", "year", "label")},
    }


def change_fields(
    figure: Comparable, previous: Comparable | None, tier: str, places: int
) -> dict[str, Any]:
    empty = {"change_total": "", "change_pct": "", "change_pp": ""}
    if previous is None or not (figure.complete(tier) and previous.complete(tier)):
        return empty
    now, before = figure.total(tier), previous.total(tier)
    growth = None if before == 0 else (now - before) * 100 / before
    share_now, share_before = figure.share(tier), previous.share(tier)
    pp = None if share_now is None or share_before is None else share_now - share_before
    return {
        "change_total": amount_fields("change", now - before)["change"],
        "change_total_exact": exact_str(now - before),
        "change_pct": rounded_str(growth, places),
        "change_pct_exact": exact_str(growth),
        "change_pp": rounded_str(pp, places),
        "change_pp_exact": exact_str(pp),
    }


def converted_totals(store: EventStore, req: TotalsRequest, convention: Convention) -> Table:
    """The ``totals`` answer under ``convention``."""
    if req.targets or req.claims:
        raise InvalidInput(
            "--target and --claims compare figures as recorded (fiscal years, current prices, "
            "own currency): leave out --period, --prices and --currency"
        )
    stages = parse_stages(req.stages)
    if req.gdp_basis:
        parse_basis(req.gdp_basis)
    context, places = question_context(store, req.as_of, req.jurisdictions)
    state = context.state
    seq = context.as_of.seq
    conversions = conversions_at(store, seq)
    if not state.definitions:
        raise InvalidInput("no definition is recorded (open one: defledger record definition …)")
    specs = req.definitions or tuple(definition_names(state.definitions))
    notes: list[str] = []
    figures: list[Comparable] = []
    errors: list[InvalidInput] = []
    for jurisdiction in places:
        years = (
            parse_years(req.years)
            if req.years
            else default_years(state, conversions, jurisdiction, convention)
        )
        for year in years:
            for spec in specs:
                try:
                    figures.append(
                        figure_of(
                            state,
                            conversions,
                            jurisdiction,
                            year,
                            spec,
                            convention,
                            stages=stages,
                            gdp_basis=req.gdp_basis,
                        )  # fmt: skip
                    )
                except InvalidInput as exc:
                    errors.append(exc)
                    notes.append(f"{jurisdiction} {year} {spec}: {exc}")
    if not figures:
        if errors:
            raise errors[0]
        raise InvalidInput(f"no budget lines are recorded for {', '.join(places)} as of seq {seq}")
    if req.tier is not None and not any(req.tier in [*f.tiers(), ALL] for f in figures):
        known = sorted({t for f in figures for t in f.tiers()})
        raise InvalidInput(f"unknown tier {quoted(req.tier)} (tiers: {', '.join(known)})")
    rows: list[dict[str, Any]] = []
    shown: list[Diagnostic] = []
    for figure in figures:
        previous = _previous(state, conversions, figure, req, convention) if req.change else None
        for tier in [t for t in [*figure.tiers(), ALL] if req.tier in (None, t)]:
            row = figure_row(figure, tier, req.places)
            found = [d for c in figure.components for d in diagnose(state, c.measure)]
            row["diagnostics"] = [d.doc() for d in found]
            shown += [d for d in found if d.shown]
            if req.by_category:
                row["category"] = "*"
                rows.extend(_category_rows(figure, row, tier, req.places))
            if req.change:
                row.update(change_fields(figure, previous, tier, req.places))
            rows.append(row)
    notes += diagnostic_notes(shown)
    measures = [c.measure for f in figures for c in f.components]
    columns = [*COLUMNS[:6], *(["category"] if req.by_category else []), *COLUMNS[6:]]
    columns += CHANGE_COLUMNS if req.change else []
    meta = {
        **provenance(context.meta, measures, req.places),
        "jurisdiction": places[0] if len(places) == 1 else None,
        "jurisdictions": places,
        "year_bases": context.periods.meta(places),
        "convention": {
            "period": convention.period,
            "prices": convention.prices_text(),
            "currency": convention.currency_text(),
            "order": ORDER_TEXT,
        },
        "calendarisation_rules": _rules(conversions, places, convention),
        "notes": list(dict.fromkeys(notes)),
    }
    return Table("totals", columns, rows, meta, caption=conversion_caption(figures, meta),
                 kinds=KINDS, secondary=SECONDARY)  # fmt: skip


ORDER_TEXT = (
    "period (calendar years: the fiscal years weighted by the rule), then prices (× I(base) / "
    "I(year)), then currency (the rate of the figure's year, or of the base year at constant "
    "prices)"
)


def _rules(
    conversions: Conversions, places: list[str], convention: Convention
) -> list[dict[str, Any]]:
    if convention.period != "calendar":
        return []
    found = []
    for place in places:
        try:
            found.append(conversions.rule(place).meta())
        except InvalidInput:
            continue
    return found


def _previous(
    state: LedgerState,
    conversions: Conversions,
    figure: Comparable,
    req: TotalsRequest,
    convention: Convention,
) -> Comparable | None:
    spec = req.definitions[0] if len(req.definitions) == 1 else figure.versions[-1].definition
    try:
        return figure_of(
            state, conversions, figure.jurisdiction, figure.year - 1, spec, convention,
            stages=parse_stages(req.stages), gdp_basis=req.gdp_basis,
        )  # fmt: skip
    except InvalidInput:
        return None


def _category_rows(
    figure: Comparable, row: dict[str, Any], tier: str, places: int
) -> list[dict[str, Any]]:
    rows = []
    gdp = figure.gdp
    for (cat_tier, category), amount in sorted(figure.by_category().items()):
        if tier not in (ALL, cat_tier):
            continue
        nominal = amount / figure.factor
        share = None if gdp is None else nominal * 100 / gdp
        rows.append(
            {
                **row,
                "category": category,
                **amount_fields("total", amount),
                "share_of_gdp_pct": rounded_str(share, places),
                "share_of_gdp_pct_exact": exact_str(share),
            }
        )
    return rows


def conversion_caption(figures: list[Comparable], meta: dict[str, Any]) -> str:
    """What was converted and by what: the rule, the price index and every rate, each with its
    seq, vintage and source; how the share is computed; the definitions."""
    as_of = meta["as_of"]
    lines = [
        f"Converted on request ({figures[0].convention.describe()}), as of seq {as_of['seq']}; "
        f"order: {ORDER_TEXT}. Recorded figures are unchanged."
    ]
    rules: dict[str, CalendarRule] = {}
    prices: dict[str, str] = {}
    rates: dict[int, str] = {}
    for figure in figures:
        if figure.rule is not None:
            rules[figure.jurisdiction] = figure.rule
        if figure.price is not None:
            index = figure.price.index
            source = f"; source: {index.source}" if index.source else ""
            prices[index.describe()] = f"Prices: {index.describe()}{source}."
        for step in figure.rates:
            source = f"; source: {step.record.source}" if step.record.source else ""
            rates[step.record.seq] = f"Rate: {step.record.describe()}{source}."
    for place, rule in rules.items():
        seq = f"seq {rule.seq}" if rule.seq else "no rule needed"
        source = f"; source: {rule.source}" if rule.source else ""
        lines.append(
            f"Calendar years of {place} ({seq}): {rule.describe()}: {rule.general_formula()}"
            f"{source}."
        )
    lines += list(prices.values()) + [rates[k] for k in sorted(rates)]
    lines.append(
        "Share of GDP = total / GDP × 100 in the figures' own currency and current prices "
        "(a calendar year's GDP is weighted like its total); rounded half-up to "
        f"{meta['places']} places. A converted amount that is no finite decimal is shown to "
        "cents (JSON: total_exact, total_fraction)."
    )
    for d in meta["definitions"]:
        lines.append(f"{d['definition']}@{d['version']}: {d['status']} — {d['title']}")
    lines += [f"Note: {note}" for note in meta.get("notes", [])]
    return "\n".join(lines)
