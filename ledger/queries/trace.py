"""``trace`` / ``explain``: every event behind one total, enough to recompute it by hand.

Rows, in order: the definition version's own events (opened, stages, GDP basis, status) and
the ``CategoryIncluded`` event of each counted category; every counted budget line with
``amount × share = contribution`` and the seqs of all its events; the GDP figure and exchange
rates used; the targets; and the total, ``Σ contributions``, with its share of GDP. The lines
are folded from their own events, independently of the stored sums, and the two must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from events.quoting import quoted
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.intake.lines import LineState, fold_line_event
from ledger.numbers import brief, grouped
from ledger.projections.calendar import weight_text
from ledger.projections.comparable import Convention, amount_text, parse_convention
from ledger.projections.conversions import Conversions, conversions_at
from ledger.projections.definitions import LATEST, DefinitionVersion
from ledger.projections.diagnostics import diagnose, tier_diagnostics
from ledger.projections.fold import EXACT, dec_str
from ledger.projections.measure import (
    Measure,
    MeasureRequest,
    exact_str,
    measure,
    parse_basis,
    rounded_str,
)
from ledger.projections.periods import YearLabel
from ledger.projections.sql import prefix_events
from ledger.queries.converted import figure_of
from ledger.queries.jurisdictions import each_jurisdiction, merged, question_context
from ledger.queries.question import (
    Context,
    no_version_error,
    parse_stages,
    parse_year,
    provenance,
    versions_for,
)
from ledger.queries.totals import ALL, applicable_targets, target_fields
from ledger.storage.store import EventStore
from ledger.tabular import AMOUNT, CONVERTED, Table

COLUMNS = [
    "role",
    "seq",
    "event",
    "ref",
    "category",
    "stage",
    "tier",
    "amount",
    "share",
    "contribution",
    "detail",
]
KINDS = {"amount": AMOUNT, "contribution": CONVERTED}  # amount: the line's own currency
SECONDARY = ("event", "stage", "ref", "tier")  # left out first if need be


@dataclass
class TraceRequest(MeasureRequest):
    """The options of ``defledger trace``: a measure, and whether to list lines that do not
    count."""

    all_lines: bool = False


def _row(role: str, seq: int | None, event: str, ref: str = "", **fields: Any) -> dict[str, Any]:
    return {"role": role, "seq": seq, "event": event, "ref": ref, **fields}


def _definition_rows(
    version: DefinitionVersion, m: Measure, tier: str, year_label: YearLabel
) -> list[dict[str, Any]]:
    label = version.label
    based = f" as a copy of @{version.based_on}" if version.based_on else ""
    rows = [
        _row(
            "definition",
            version.opened_seq,
            "DefinitionVersionOpened",
            label,
            detail=f"{label} opened{based}: {version.title}",
        )
    ]
    stages = version.stages_label()
    rows.append(
        _row(
            "definition",
            version.stages_seq,
            "StagesSet" if version.stages_seq else "(default)",
            label,
            detail=f"stages counted: {stages}" + ("" if version.stages_seq else " (never set)"),
        )
    )
    rows.append(
        _row(
            "definition",
            version.basis_seq,
            "GdpBasisSet" if version.basis_seq else "(default)",
            label,
            detail=f"GDP basis: {version.basis.label()}",
        )
    )
    if version.status_seq:
        since = f" from {year_label(version.effective_from)}" if version.effective_from else ""
        rows.append(
            _row(
                "definition",
                version.status_seq,
                "DefinitionStatusChanged",
                label,
                detail=f"status {version.status}{since}",
            )
        )
    for code, inclusion in sorted(version.categories.items()):
        if tier not in (ALL, inclusion.tier):
            continue
        rows.append(
            _row(
                "definition",
                inclusion.seq,
                "CategoryIncluded",
                label,
                category=code,
                tier=inclusion.tier,
                share=dec_str(inclusion.share),
                detail=f"{code} counts ×{dec_str(inclusion.share)} in {inclusion.tier}",
            )
        )
    return rows


def _lines(
    store: EventStore, jurisdiction: str, year: int, seq: int
) -> tuple[dict[str, LineState], dict[str, list[int]]]:
    lines: dict[str, LineState] = {}
    seqs: dict[str, list[int]] = {}
    for event in prefix_events(store, [f"line/{jurisdiction}/FY{year}/"], seq):
        key = fold_line_event(lines, event.seq, event.type, event.schema_version, event.payload)
        if key in lines:
            seqs.setdefault(key, []).append(event.seq)
    return lines, seqs


def _why_not(line: LineState, version: DefinitionVersion, m: Measure, tier: str) -> str | None:
    if line.withdrawn:
        return "withdrawn"
    if line.stage not in m.stages:
        if line.stage in version.counted_stages and version.stage_rule == LATEST:
            return f"stage {line.stage} is replaced by the year's latest ({','.join(m.stages)})"
        return f"stage {line.stage} is not counted"
    inclusion = version.categories.get(line.category)
    if inclusion is None:
        return f"category {line.category} is not included"
    if tier not in (ALL, inclusion.tier):
        return f"counts in tier {inclusion.tier}"
    return None


def trace_table(store: EventStore, req: TraceRequest) -> Table:
    """The trace of one measure per jurisdiction asked about, as one table."""
    year = parse_year(req.year)
    parse_stages(req.stages)
    if req.gdp_basis:
        parse_basis(req.gdp_basis)
    context, places = question_context(store, req.as_of, req.jurisdictions)
    convention = parse_convention(req.period, req.currency, req.via, req.prices)
    if convention.converts:
        conversions = conversions_at(store, context.as_of.seq)
        answers = each_jurisdiction(
            places,
            lambda j: _converted_trace(store, req, context, conversions, j, year, convention),
        )
        return merged("trace", answers)
    answers = each_jurisdiction(places, lambda j: _trace(store, req, context, j, year))
    return merged("trace", answers)


def _spec_for(req: TraceRequest, context: Context, years: list[int]) -> str:
    """``--definition``, or the only definition with a version in force for the years."""
    if req.definition:
        return req.definition
    state = context.state
    names = sorted(
        {version.definition for year in years for version in versions_for(state, (), year, [])}
    )
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise InvalidInput(
            f"choose a definition with --definition (in force for {years[0]}..{years[-1]}: {found})"
        )
    return names[0]


def _converted_trace(
    store: EventStore,
    req: TraceRequest,
    context: Context,
    conversions: Conversions,
    jurisdiction: str,
    year: int,
    convention: Convention,
) -> Table:
    """The trace of a converted figure: the full trace of each fiscal year it is made of
    (``fiscal_year``, ``weight``), then the calendarisation rule, the price index and the rates
    used, and the converted total with its formula."""
    fiscal_years = (
        [w.fiscal_year for w in conversions.rule(jurisdiction).weights(year)]
        if convention.period == "calendar"
        else [year]
    )
    spec = _spec_for(req, context, fiscal_years)
    figure = figure_of(
        context.state, conversions, jurisdiction, year, spec, convention,
        stages=parse_stages(req.stages), gdp_basis=req.gdp_basis, skip_unconvertible=False,
    )  # fmt: skip
    tier = req.tier or ALL
    rows: list[dict[str, Any]] = []
    for component in figure.components:
        label = component.measure.version.label
        sub = _trace(store, replace(req, definition=label), context, jurisdiction,
                     component.fiscal_year)  # fmt: skip
        weight = weight_text(component.weight)
        for row in sub.rows:
            row = {**row, "fiscal_year": component.fiscal_year, "weight": weight}
            if row["role"] == "total":
                part = component.weight * Fraction(Decimal(row["contribution"]))
                row.update(
                    role="component",
                    event="",
                    weighted=amount_text(part),
                    detail=f"FY{component.fiscal_year} {row['detail']}; × {weight} = "
                    f"{amount_text(part)}",
                )
            rows.append(row)
    if figure.rule is not None:
        rule = figure.rule
        rows.append(
            _row(
                "period",
                rule.seq,
                "CalendarisationRuleSet" if rule.seq else "(calendar years)",
                f"calendar-rule/{jurisdiction}",
                detail=f"{rule.describe()}: {rule.formula(year, figure.label)}"
                + (
                    f" (start month from YearBasisSet seq {rule.basis_seq})"
                    if rule.basis_seq and rule.seq
                    else ""
                ),
            )  # fmt: skip
        )
    if figure.price is not None:
        index = figure.price.index
        rows.append(
            _row(
                "prices",
                index.seq,
                "PriceIndexRecorded",
                f"price-index/{jurisdiction}/{index.series}/{index.vintage}",
                detail=figure.price.describe(),
            )  # fmt: skip
        )
    for step in figure.rates:
        r = step.record
        rows.append(
            _row(
                "rate",
                r.seq,
                "ExchangeRateRecorded",
                f"{r.base}-{r.quote}/{r.year_label()}",
                rate=dec_str(r.rate),
                detail=step.describe(),
            )  # fmt: skip
        )
    total = figure.total(None if tier == ALL else tier)
    share = figure.share(None if tier == ALL else tier)
    formula = figure.formula(None if tier == ALL else tier)
    rows.append(
        _row(
            "total",
            context.as_of.seq,
            "",
            figure.version_label,
            tier=tier,
            currency=figure.currency,
            contribution=amount_text(total),
            contribution_exact=exact_str(total),
            contribution_fraction=str(total),
            share_of_gdp_pct=rounded_str(share, req.places),
            share_of_gdp_pct_exact=exact_str(share),
            detail=formula,
        )  # fmt: skip
    )
    meta = {
        **provenance(context.meta, [c.measure for c in figure.components], req.places),
        "jurisdiction": jurisdiction,
        "year": year,
        "label": figure.label,
        "tier": tier,
        "total": amount_text(total),
        "total_exact": exact_str(total),
        "total_fraction": str(total),
        "currency": figure.currency,
        "share_of_gdp_pct": rounded_str(share, req.places),
        "share_of_gdp_pct_exact": exact_str(share),
        "conversion": figure.meta(),
    }
    caption = (
        f"{jurisdiction} {figure.label} {figure.version_label} tier {tier} "
        f"({convention.describe()}), as of seq {context.as_of.seq}: {formula}"
    )
    return Table("trace", [*COLUMNS[:1], "fiscal_year", "weight", *COLUMNS[1:]], rows, meta,
                 caption=caption, kinds=KINDS, secondary=SECONDARY)  # fmt: skip


def _trace(
    store: EventStore, req: TraceRequest, context: Context, jurisdiction: str, year: int
) -> Table:
    stages = parse_stages(req.stages)
    basis = parse_basis(req.gdp_basis) if req.gdp_basis else None
    tier = req.tier or ALL
    state = context.state
    year_label = context.periods.of(jurisdiction).label
    specs = (req.definition,) if req.definition else ()
    versions = versions_for(state, specs, year, [], year_label)
    if not versions:
        raise no_version_error(state, specs, [year], year_label)
    if len(versions) > 1:
        labels = ", ".join(v.label for v in versions)
        raise InvalidInput(
            f"several definitions are in force ({labels}); choose one with --definition"
        )
    version = versions[0]
    m = measure(state, jurisdiction, year, version, stages=stages, basis=basis)
    if tier != ALL and tier not in m.tiers:
        raise InvalidInput(
            f"unknown tier {quoted(tier)} (tiers of {version.label}: {', '.join(m.tiers)})"
        )
    rows = _definition_rows(version, m, tier, year_label)
    lines, seqs = _lines(store, jurisdiction, year, context.as_of.seq)
    total = Decimal(0)
    rates = {r.base: r for r in m.rates}
    for key in sorted(lines):
        line = lines[key]
        why = _why_not(line, version, m, tier)
        if why is not None:
            if req.all_lines:
                rows.append(_line_row(line, seqs[key], None, None, None, f"not counted: {why}"))
            continue
        inclusion = version.categories[line.category]
        rate = rates.get(line.currency)
        with localcontext(EXACT):
            amount = line.amount * rate.rate if rate else line.amount
            contribution = amount * inclusion.share
            total += contribution
        converted = (
            f"; {dec_str(line.amount)} {line.currency} × {dec_str(rate.rate)}" if rate else ""
        )
        rows.append(
            _line_row(line, seqs[key], inclusion, contribution, rate, converted.lstrip("; "))
        )
    if total != m.total(tier):
        raise IntegrityFailure(
            f"the lines' events give {dec_str(total)} but the stored projection gives "
            f"{dec_str(m.total(tier))}; run `defledger rebuild`"
        )
    if m.gdp is not None:
        g = m.gdp
        rows.append(
            _row(
                "gdp",
                g.seq,
                "GdpRecorded",
                f"{g.jurisdiction}/FY{g.fiscal_year}",
                amount=dec_str(g.amount),
                currency=g.currency,
                detail=f"vintage {g.vintage}; basis {g.basis}",
            )
        )
    for r in m.rates:
        rows.append(
            _row(
                "rate",
                r.seq,
                "ExchangeRateRecorded",
                f"{r.base}-{r.quote}/FY{r.fiscal_year}",
                detail=f"1 {r.base} = {dec_str(r.rate)} {r.quote}",
            )
        )
    for target in applicable_targets(state, m, tier):
        fields = target_fields(m, tier, target, req.places, year_label) if m.gdp else {}
        gap = (
            f"; target amount {grouped(Decimal(fields['target_amount']))}, "
            f"gap {grouped(Decimal(fields['gap']))}"
            if fields
            else ""
        )
        rows.append(
            _row(
                "target",
                target.seq,
                "TargetSet",
                target.target_id,
                tier=tier,
                detail=f"{dec_str(target.percent_of_gdp)}% of GDP by "
                f"{year_label(target.by_fiscal_year)} "
                f"({target.kind}){gap}",
                **fields,
            )
        )
    share = m.share(tier)
    found = [*diagnose(state, m, year_label), *tier_diagnostics(m, tier, year_label)]
    formula = f"Σ contributions = {grouped(total)} {m.currency}"
    if m.gdp is not None and share is not None:
        formula += (
            f"; {grouped(total)} / {grouped(m.gdp.amount)} × 100 = {brief(share)} % "
            f"≈ {rounded_str(share, req.places)} % (exact: JSON)"
        )
    rows.append(
        _row(
            "total",
            context.as_of.seq,
            "",
            version.label,
            tier=tier,
            contribution=dec_str(total),
            currency=m.currency,
            share_of_gdp_pct=rounded_str(share, req.places),
            share_of_gdp_pct_exact=exact_str(share),
            detail=formula,
        )
    )
    meta = {
        **provenance(context.meta, [m], req.places),
        "jurisdiction": jurisdiction,
        "fiscal_year": year,
        "year_basis": context.periods.of(jurisdiction).meta(),
        "tier": tier,
        "stages": list(m.stages),
        "total": dec_str(total),
        "share_of_gdp_pct": rounded_str(share, req.places),
        "share_of_gdp_pct_exact": exact_str(share),
        "diagnostics": [d.doc() for d in found],
    }
    caption = "\n".join(
        [
            f"{jurisdiction} {year_label(year)} {version.label} ({version.status}) tier {tier}, "
            f"as of seq {context.as_of.seq}: {formula}",
            *(f"Note: {d.message}" for d in found if d.shown),
        ]
    )
    return Table("trace", COLUMNS, rows, {**meta, "currency": m.currency}, caption, kinds=KINDS,
                 secondary=SECONDARY)  # fmt: skip


def _line_row(
    line: LineState,
    seqs: list[int],
    inclusion: Any,
    contribution: Decimal | None,
    rate: Any,
    detail: str,
) -> dict[str, Any]:
    events = ",".join(str(s) for s in seqs)
    parts = [line.agency, line.program, f"events {events}", detail]
    text = " · ".join(part for part in parts if part)
    if inclusion is not None:
        text += f" · included by seq {inclusion.seq}"
    return _row(
        "line",
        line.last_seq,
        "BudgetLine",
        line.key,
        category=line.category,
        stage=line.stage,
        tier=inclusion.tier if inclusion else "",
        amount=dec_str(line.amount),
        currency=line.currency,
        rate=dec_str(rate.rate) if rate else None,
        share=dec_str(inclusion.share) if inclusion else "",
        contribution=dec_str(contribution) if contribution is not None else "",
        events=seqs,
        included_by=inclusion.seq if inclusion else None,
        agency=line.agency,
        program=line.program,
        detail=text,
    )
