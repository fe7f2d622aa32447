"""Diffs by calendar year (``diff … --period calendar``, ``what-if … --period calendar``): the
sections of the fiscal years a calendar year is made of, combined with the weights of the
jurisdiction's calendarisation rule (``ledger.projections.calendar``).

Every amount of a diff is linear in the figures, so a calendar year's diff is the weighted sum
of its fiscal years' diffs, change by change (matched by part, kind and key) and line by line
(a line is named by its fiscal year: ``FY2023/MOD-DBP``); the changes still sum exactly to
B − A. A share of GDP divides the calendar total by the calendar GDP (the fiscal years' GDP,
weighted like the total). Percentage-point effects are given change by change when the GDP is
the same all along the walk; when the walk changes it (a GDP-basis change, a GDP revision) they
are not split for a calendar year, and a note says so. Weights must be finite decimals (years
starting in January, April, July or October), as every diff amount is an exact decimal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal, localcontext
from fractions import Fraction

from ledger.errors import InvalidInput
from ledger.projections.calendar import CalendarRule, weight_text
from ledger.projections.conversions import conversions_at
from ledger.projections.fold import EXACT, LedgerState
from ledger.projections.measure import GdpUsed, Measure, fiscal_years_with_lines
from ledger.queries.question import parse_years
from ledger.reports.model import Change, LineEffect, Section, Side, check_sums
from ledger.reports.valuation import Evaluation
from ledger.storage.store import EventStore

SectionOf = Callable[[int], Section]


def calendar_rule(store: EventStore, seq: int, jurisdiction: str) -> CalendarRule:
    return conversions_at(store, seq).rule(jurisdiction)


def calendar_years(
    state: LedgerState, rule: CalendarRule, jurisdiction: str, fy: str | None
) -> list[int]:
    """The calendar years asked for, or the latest one all of whose fiscal years have lines."""
    if fy:
        return parse_years(fy)
    have = set(fiscal_years_with_lines(state, jurisdiction))
    found = [
        year
        for year in range(min(have, default=0) - 1, max(have, default=-2) + 2)
        if have and all(w.fiscal_year in have for w in rule.weights(year))
    ]
    if not found:
        raise InvalidInput(
            f"no calendar year of {jurisdiction} has budget lines in every fiscal year it is "
            "made of; give --fy"
        )
    return [found[-1]]


def _weights(rule: CalendarRule, year: int) -> list[tuple[int, Decimal]]:
    weights = []
    for w in rule.weights(year):
        exact = Decimal(w.weight.numerator) / Decimal(w.weight.denominator)
        if Fraction(exact) != w.weight:
            raise InvalidInput(
                f"a diff by calendar year needs weights that are finite decimals: "
                f"{rule.jurisdiction}'s year starting in month {rule.start_month} gives "
                f"{weight_text(w.weight)}"
            )
        weights.append((w.fiscal_year, exact))
    return weights


def calendar_sections(
    rule: CalendarRule, years: Sequence[int], section_of: SectionOf
) -> list[Section]:
    """One combined section per calendar year (``section_of(fiscal_year)`` gives each fiscal
    year's section, A and B measured as for that year)."""
    found = []
    for year in years:
        weights = _weights(rule, year)
        parts = [(w, section_of(fiscal_year), fiscal_year) for fiscal_year, w in weights]
        found.append(combine(rule, year, parts))
    return found


def _scaled(value: Decimal, weight: Decimal) -> Decimal:
    with localcontext(EXACT):
        return value * weight


def _measure(measures: list[tuple[Decimal, Measure, int]], year: int) -> Measure:
    """The weighted sum of fiscal-year measures as one calendar-year measure."""
    last = measures[-1][1]
    tiers: dict[str, Decimal] = {}
    by_category: dict[tuple[str, str], Decimal] = {}
    with localcontext(EXACT):
        for weight, m, _ in measures:
            for tier, amount in m.tiers.items():
                tiers[tier] = tiers.get(tier, Decimal(0)) + amount * weight
            for key, amount in m.by_category.items():
                by_category[key] = by_category.get(key, Decimal(0)) + amount * weight
        used = [(w, m.gdp) for w, m, _ in measures if m.gdp is not None]
        gdp: GdpUsed | None = None
        if len(used) == len(measures) and len({g.seq for _, g in used}) == 1:
            gdp = used[0][1]  # a fixed year's GDP: the same figure for every fiscal year
        elif len(used) == len(measures):
            amount = sum((g.amount * w for w, g in used), Decimal(0))
            first = used[-1][1]
            parts = " + ".join(f"{weight_text(Fraction(w))}×FY{g.fiscal_year}" for w, g in used)
            gdp = GdpUsed(
                first.jurisdiction, year, ", ".join(dict.fromkeys(g.vintage for _, g in used)),
                amount, first.currency, max(g.seq for _, g in used), first.basis, parts,
            )  # fmt: skip
    stages = tuple(dict.fromkeys(s for _, m, _ in measures for s in m.stages))
    rates = list({(r.base, r.fiscal_year): r for _, m, _ in measures for r in m.rates}.values())
    return Measure(
        last.jurisdiction, year, last.version, stages, last.currency, tiers, by_category, gdp,
        rates,
    )  # fmt: skip


def _side(parts: list[tuple[Decimal, Side, int]], year: int) -> Side:
    last = parts[-1][1]
    measure = _measure([(w, side.evaluation.measure, fy) for w, side, fy in parts], year)
    counted: dict[str, tuple[str, Decimal]] = {}
    for weight, side, fiscal_year in parts:
        for line_id, (tier, amount) in side.evaluation.counted.items():
            counted[f"FY{fiscal_year}/{line_id}"] = (tier, _scaled(amount, weight))
    with localcontext(EXACT):
        total = sum((_scaled(side.measure, w) for w, side, _ in parts), Decimal(0))
    share = None if measure.gdp is None else Fraction(total) * 100 / Fraction(measure.gdp.amount)
    return Side(last.label, last.version, last.as_of, Evaluation(measure, counted), total, share)


def _line(effect: LineEffect, weight: Decimal, fiscal_year: int) -> LineEffect:
    return replace(
        effect, line_id=f"FY{fiscal_year}/{effect.line_id}",
        before=_scaled(effect.before, weight), after=_scaled(effect.after, weight),
    )  # fmt: skip


def combine(rule: CalendarRule, year: int, parts: list[tuple[Decimal, Section, int]]) -> Section:
    """The calendar-year section of weighted fiscal-year sections."""
    a = _side([(w, s.a, fy) for w, s, fy in parts], year)
    b = _side([(w, s.b, fy) for w, s, fy in parts], year)
    merged: dict[tuple[str, str, str], list[tuple[Decimal, Change, int]]] = {}
    for weight, section, fiscal_year in parts:
        for change in section.changes:
            merged.setdefault((change.group, change.kind, change.key), []).append(
                (weight, change, fiscal_year)
            )
    constant_gdp = (
        a.evaluation.gdp is not None
        and b.evaluation.gdp is not None
        and a.evaluation.gdp.amount == b.evaluation.gdp.amount
    )
    changes = []
    for number, found in enumerate(merged.values(), start=1):
        first = found[0][1]
        with localcontext(EXACT):
            amount = sum((_scaled(c.delta_amount, w) for w, c, _ in found), Decimal(0))
            tiers: dict[str, Decimal] = {}
            for w, c, _ in found:
                for tier, delta in c.tier_deltas.items():
                    tiers[tier] = tiers.get(tier, Decimal(0)) + delta * w
        gdp = a.evaluation.gdp
        pp = Fraction(amount) * 100 / Fraction(gdp.amount) if constant_gdp and gdp else None
        changes.append(
            replace(
                first,
                step=number,
                delta_amount=amount,
                delta_pp=pp,
                tier_deltas={t: d for t, d in tiers.items() if d},
                lines=tuple(_line(e, w, fy) for w, c, fy in found for e in c.lines),
                seqs=tuple(sorted({s for _, c, _ in found for s in c.seqs})),
                items=tuple(dict.fromkeys(i for _, c, _ in found for i in c.items)),
            )  # fmt: skip
        )
    sections = [s for _, s, _ in parts]
    last = sections[-1]
    notes = [
        f"Calendar year {year} = "
        + " + ".join(f"{weight_text(Fraction(w))} × FY{fy}" for w, _, fy in parts)
        + f" ({rule.describe()}"
        + (f"; CalendarisationRuleSet seq {rule.seq}" if rule.seq else "")
        + "); every amount is the fiscal years' weighted sum.",
        *dict.fromkeys(n for s in sections for n in s.notes),
    ]
    if not constant_gdp and a.share is not None and b.share is not None:
        notes.append(
            "The GDP changes along the walk (basis or revision): percentage-point effects are "
            "not split for a calendar year; the shares of A and B are given."
        )
    section = Section(
        last.jurisdiction, year, last.currency, last.tier, a, b, tuple(changes), last.doc_a,
        last.doc_b, last.delta, tuple(e for s in sections for e in s.events), tuple(notes),
        last.year_basis, "calendar",
    )  # fmt: skip
    check_sums(section)
    return section
