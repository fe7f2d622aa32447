"""The shape of a diff report: sides, changes with their exact effects, line effects.

Built by ``ledger.reports.diff`` (definition diffs, what-if) and ``ledger.reports.decompose``
(as-of diffs); laid out as blocks by ``ledger.reports.blocks``; rendered by
``ledger.reports.document`` (JSON, rows), ``ledger.reports.render_markdown``,
``ledger.reports.render_html`` and, as terminal text, ``cli/diff.py``. Amounts are ``Decimal``;
shares of GDP are exact ``Fraction`` percents, rounded (half up) only when printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.errors import LedgerError
from ledger.projections.definitions import DefinitionVersion
from ledger.projections.periods import DEFAULT_BASIS, YearBasis
from ledger.reports.valuation import Evaluation

PP_PLACES = 6  # percentage points are printed half up to this many decimals


@dataclass(frozen=True)
class LineEffect:
    """How one budget line's counted amount moves in one step (amount × share, by tier)."""

    line_id: str
    agency: str
    program: str
    category: str
    stage: str
    amount: Decimal
    before: Decimal
    after: Decimal
    tier_before: str | None
    tier_after: str | None

    @property
    def delta(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class Change:
    """One step of the walk from A to B with its exact money and percentage-point effect.

    ``delta_pp`` is None when a share of GDP is unknown (no GDP recorded for the basis);
    ``seqs`` are the events behind the change where the state names them."""

    step: int
    kind: str
    key: str
    before: str | None
    after: str | None
    delta_amount: Decimal
    delta_pp: Fraction | None
    tier_deltas: dict[str, Decimal] = field(default_factory=dict)
    lines: tuple[LineEffect, ...] = ()
    note: str = ""
    seqs: tuple[int, ...] = ()
    group: str = ""  # decompositions: "definition", "figures", "joint" or "gdp"
    items: tuple[str, ...] = ()  # figure changes: the line ids (or rate pairs) changed


@dataclass(frozen=True)
class Side:
    """One end of a comparison: a definition state measured on one fiscal year's figures."""

    label: str
    version: DefinitionVersion
    as_of: int
    evaluation: Evaluation
    measure: Decimal
    share: Fraction | None


@dataclass(frozen=True)
class Section:
    """The comparison for one jurisdiction and fiscal year."""

    jurisdiction: str
    fiscal_year: int
    currency: str
    tier: str | None
    a: Side
    b: Side
    changes: tuple[Change, ...]
    doc_a: dict[str, Any] = field(default_factory=dict)
    doc_b: dict[str, Any] = field(default_factory=dict)
    delta: dict[str, Any] = field(default_factory=dict)  # deepdiff Delta as JSON, A → B
    events: tuple[dict[str, Any], ...] = ()  # as-of diffs: what was recorded in between
    notes: tuple[str, ...] = ()
    year_basis: YearBasis = DEFAULT_BASIS  # how the jurisdiction states its years
    period: str = "fiscal"  # "calendar": fiscal_year is a calendar year (calendar_diff)

    @property
    def year_label(self) -> str:
        """``FY2025``, or ``2025`` for a jurisdiction with calendar years or a calendar-year
        section."""
        if self.period == "calendar":
            return str(self.fiscal_year)
        return self.year_basis.label(self.fiscal_year)

    @property
    def delta_amount(self) -> Decimal:
        return self.b.measure - self.a.measure

    @property
    def delta_pp(self) -> Fraction | None:
        if self.a.share is None or self.b.share is None:
            return None
        return self.b.share - self.a.share


@dataclass
class DiffReport:
    """Everything ``diff``, ``diff --as-of … --as-of …`` and ``what-if`` print, in every
    format: one section per fiscal year."""

    kind: str  # "definition-diff", "as-of-diff" or "what-if"
    a_label: str
    b_label: str
    order: str
    sections: list[Section]
    meta: dict[str, Any] = field(default_factory=dict)
    # "sequential" (a walk, each change measured after the previous ones) or
    # "alone-and-joint" (as-of diffs: each cause alone, then the joint effect)
    attribution: str = "sequential"

    @property
    def has_differences(self) -> bool:
        """Structural differences, money that moved, or (as-of) events recorded in between."""
        return any(
            s.delta
            or s.events
            or s.delta_amount
            or s.delta_pp
            or any(c.delta_amount for c in s.changes)
            for s in self.sections
        )


def share_of(amount: Decimal, gdp: Decimal | None) -> Fraction | None:
    """Exact percent of GDP; None when there is no GDP figure to divide by."""
    if gdp is None:
        return None
    return Fraction(amount) * 100 / Fraction(gdp)


def measure_of(evaluation: Evaluation, tier: str | None) -> Decimal:
    """The measured total: all tiers, or one."""
    if tier is None:
        return evaluation.total
    return evaluation.by_tier.get(tier, Decimal(0))


def check_sums(section: Section) -> None:
    """The invariant every report states: the parts add up exactly to B − A (raises if not:
    a failure here is a bug, never a rounding)."""
    total = sum((c.delta_amount for c in section.changes), Decimal(0))
    if total != section.delta_amount:
        raise LedgerError(f"internal error: changes sum to {total}, not {section.delta_amount}")
    pps = [c.delta_pp for c in section.changes if c.delta_pp is not None]
    if section.delta_pp is not None and len(pps) == len(section.changes):
        if sum(pps, Fraction(0)) != section.delta_pp:
            raise LedgerError("internal error: the pp effects do not sum to the change in share")
