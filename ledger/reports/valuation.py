"""A definition state applied to one fiscal year's figures, with the line-by-line breakdown.

Totals, tiers, currency conversion and the GDP come from
``ledger.projections.measure.measure`` (the same function ``totals`` uses), called on definition
states that may exist only in the walk from A to B or in a what-if. What diffs need on top is
*which line* counts, for how much, in which tier; ``evaluate`` adds that and checks that the
lines add up to the measure's tiers exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from typing import Any

from ledger.errors import LedgerError
from ledger.intake.lines import LineState
from ledger.projections.definitions import DefinitionVersion
from ledger.projections.fold import EXACT, LedgerState, SumCell
from ledger.projections.measure import GdpUsed, Measure, measure


@dataclass(frozen=True)
class Figures:
    """One jurisdiction and fiscal year of a ``LedgerState`` with every line loaded (a
    ``fold_all`` state). ``state`` may be a hybrid whose GDP comes from another moment
    (``with_gdp_from``), for decompositions."""

    jurisdiction: str
    fiscal_year: int
    state: LedgerState
    lines: tuple[LineState, ...]

    def with_gdp_from(self, other: LedgerState) -> Figures:
        hybrid = replace(self.state, gdp=other.gdp)
        return Figures(self.jurisdiction, self.fiscal_year, hybrid, self.lines)

    def with_lines(self, lines: Iterable[LineState], rates: dict[Any, Any]) -> Figures:
        """These figures' GDP with other lines of the year and other exchange rates: a state
        between two moments (``ledger.reports.figure_changes``)."""
        live = tuple(sorted(lines, key=lambda line: line.line_id))
        cells: dict[Any, SumCell] = {}
        with localcontext(EXACT):
            for line in live:
                cell = cells.setdefault(line.cell, SumCell(Decimal(0), 0))
                cell.amount += line.amount
                cell.lines += 1
        sums = {**self.state.sums, (self.jurisdiction, self.fiscal_year): cells}
        hybrid = replace(self.state, sums=sums, rates=rates)
        return Figures(self.jurisdiction, self.fiscal_year, hybrid, live)


@dataclass(frozen=True)
class Evaluation:
    """The measure, plus ``counted``: line id → (tier, amount × rate × share) for every line
    that counts."""

    measure: Measure
    counted: dict[str, tuple[str, Decimal]]

    @property
    def total(self) -> Decimal:
        return self.measure.total()

    @property
    def by_tier(self) -> dict[str, Decimal]:
        return self.measure.tiers

    @property
    def gdp(self) -> GdpUsed | None:
        return self.measure.gdp


def figures_of(state: LedgerState, jurisdiction: str, fiscal_year: int) -> Figures:
    """The live lines of ``jurisdiction`` × ``fiscal_year`` (``state`` must hold every line)."""
    if not state.lines_complete:
        raise LedgerError("internal error: a diff needs every line (fold the events in full)")
    lines = tuple(
        sorted(
            (
                line
                for line in state.lines.values()
                if line.jurisdiction == jurisdiction
                and line.fiscal_year == fiscal_year
                and not line.withdrawn
            ),
            key=lambda line: line.line_id,
        )
    )
    return Figures(jurisdiction, fiscal_year, state, lines)


def evaluate(version: DefinitionVersion, figures: Figures) -> Evaluation:
    """``measure`` of ``version`` on the figures, and the counted amount of each line."""
    result = measure(figures.state, figures.jurisdiction, figures.fiscal_year, version)
    rates = {rate.base: rate.rate for rate in result.rates}
    stages = set(result.stages)
    counted: dict[str, tuple[str, Decimal]] = {}
    by_tier: dict[str, Decimal] = {}
    with localcontext(EXACT):
        for line in figures.lines:
            inclusion = version.categories.get(line.category)
            if inclusion is None or line.stage not in stages:
                continue
            amount = line.amount * rates.get(line.currency, Decimal(1)) * inclusion.share
            counted[line.line_id] = (inclusion.tier, amount)
            by_tier[inclusion.tier] = by_tier.get(inclusion.tier, Decimal(0)) + amount
    if any(by_tier.get(t, 0) != amount for t, amount in result.tiers.items()):
        raise LedgerError("internal error: the lines do not add up to the measure's totals")
    return Evaluation(result, counted)
