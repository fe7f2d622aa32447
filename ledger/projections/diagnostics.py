"""Why a measure counts nothing or misses lines: no silent zeros.

A total of 0 is an answer only when nothing should count; when budget lines exist but do not
count, or a figure cannot be computed, the measure says why, with how many lines and how much
money. Each diagnostic has a stable ``code`` (documented in docs/concepts.md):

``stage-not-counted``      lines at stages the measure does not count
``stage-replaced``         lines at stages the version counts but whose year has a later
                           stage level, which the ``latest`` stage rule counts instead
``category-not-included``  lines in categories the definition version does not include
``no-exchange-rate``       counted lines in a currency no recorded rate converts (left out:
                           the total is not given)
``before-effective``       the year is before the version took effect
``no-gdp``                 no GDP recorded for the basis (no share)
``included-without-lines`` the version's categories that have no line that year
``tier-counts-nothing``    a tier of a version that counts something counts nothing

``shown`` says whether the diagnostic is printed under a text table: when the measure (or the
tier) counts nothing, or when a figure is missing or cannot be trusted; lines a working
definition leaves out on purpose are in the JSON only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from ledger.numbers import grouped
from ledger.projections.definitions import LATEST
from ledger.projections.fold import EXACT, LedgerState, dec_str
from ledger.projections.measure import Measure, counted_stages, describe_missing_gdp
from ledger.projections.periods import YearLabel, fy_label

SHOWN_NAMES = 5  # categories or stages named in a message; the rest are counted


@dataclass(frozen=True)
class Diagnostic:
    """One reason a measure misses lines or a figure."""

    code: str
    message: str
    shown: bool
    lines: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)

    def doc(self) -> dict[str, Any]:
        """The JSON form: code, message, lines, amounts per currency (exact strings), detail."""
        return {
            "code": self.code,
            "message": self.message,
            "lines": self.lines,
            "amounts": [
                {"currency": currency, "amount": dec_str(amount)}
                for currency, amount in sorted(self.amounts.items())
            ],
            **self.detail,
        }


class _Tally:
    """Lines and money per currency of some sum cells."""

    def __init__(self) -> None:
        self.lines = 0
        self.amounts: dict[str, Decimal] = {}

    def add(self, currency: str, amount: Decimal, lines: int) -> None:
        self.lines += lines
        with localcontext(EXACT):
            self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + amount

    def verb(self) -> str:
        return "is" if self.lines == 1 else "are"

    def text(self) -> str:
        money = ", ".join(f"{grouped(a)} {c}" for c, a in sorted(self.amounts.items()))
        return f"{self.lines} line{'' if self.lines == 1 else 's'} ({money})"


def names(items: list[str]) -> str:
    """``A, B, C`` or ``A, B, C, D, E and 3 more``."""
    shown = ", ".join(items[:SHOWN_NAMES])
    return shown + (f" and {len(items) - SHOWN_NAMES} more" if len(items) > SHOWN_NAMES else "")


def _included_parent(state: LedgerState, code: str, included: set[str]) -> str | None:
    """The nearest ancestor of ``code`` the version includes (inclusion is by exact code, so
    a child of an included category does not count: worth saying)."""
    seen: set[str] = set()
    own = state.categories.get(code)
    parent = own.parent if own else None
    while parent and parent not in seen:
        if parent in included:
            return parent
        seen.add(parent)
        category = state.categories.get(parent)
        parent = category.parent if category else None
    return None


def diagnose(state: LedgerState, m: Measure, year_label: YearLabel = fy_label) -> list[Diagnostic]:
    """Why ``m`` misses lines or a figure (see the module docstring)."""
    version, label = m.version, m.version.label
    place = f"{m.jurisdiction} {year_label(m.fiscal_year)}"
    group = state.group(m.jurisdiction, m.fiscal_year)
    nothing = m.total() == 0 and m.complete()
    # the stages the version counts this year without --stages (under the latest rule: the
    # year's latest level); a counted stage outside them was replaced by the latest rule
    natural = counted_stages(version, group)
    by_stage, by_category, by_replaced = _Tally(), _Tally(), _Tally()
    stages: set[str] = set()
    replaced: set[str] = set()
    categories: set[str] = set()
    for (stage, category, currency), cell in group.items():
        if stage not in m.stages and stage in version.counted_stages and stage not in natural:
            replaced.add(stage)
            by_replaced.add(currency, cell.amount, cell.lines)
        elif stage not in m.stages:
            stages.add(stage)
            by_stage.add(currency, cell.amount, cell.lines)
        elif category not in version.categories:
            categories.add(category)
            by_category.add(currency, cell.amount, cell.lines)
    found: list[Diagnostic] = []
    if replaced:
        found.append(
            Diagnostic(
                "stage-replaced",
                f"{place}: {by_replaced.text()} at stage {names(sorted(replaced))}, which "
                f"{label} counts only when nothing later is recorded (rule latest: it counts "
                f"{', '.join(natural)})",
                nothing,
                by_replaced.lines,
                by_replaced.amounts,
                {"stages": sorted(replaced), "latest_stages": list(natural)},
            )
        )
    if stages:
        counted = ", ".join(m.stages) or "none"
        own = ", ".join(version.counted_stages)
        own = f"the latest of {own}" if version.stage_rule == LATEST else own
        which = (
            f"which {label} does not count (it counts {counted})"
            if tuple(m.stages) == natural
            else f"which this measure does not count (it counts {counted}: {label} counts "
            f"{own}, narrowed by --stages)"
        )
        found.append(
            Diagnostic(
                "stage-not-counted",
                f"{place}: {by_stage.text()} at stage {names(sorted(stages))}, {which}",
                nothing,
                by_stage.lines,
                by_stage.amounts,
                {"stages": sorted(stages), "counted_stages": list(m.stages)},
            )
        )
    if categories:
        included = set(version.categories)
        parents = {
            code: parent
            for code in sorted(categories)
            if (parent := _included_parent(state, code, included)) is not None
        }
        hint = (
            "; inclusion is by exact code: "
            + names([f"{code} is under {parent}" for code, parent in parents.items()])
            + " (include the codes themselves)"
            if parents
            else ""
        )
        found.append(
            Diagnostic(
                "category-not-included",
                f"{place}: {by_category.text()} in categories {label} does not include: "
                f"{names(sorted(categories))}{hint}",
                nothing or bool(parents),
                by_category.lines,
                by_category.amounts,
                {"categories": sorted(categories), "included_parents": parents},
            )
        )
    if m.unconverted:
        tally = _Tally()
        for _, currency, amount, lines in m.unconverted:
            tally.add(currency, amount, lines)
        currencies = sorted(tally.amounts)
        record = "; ".join(
            f"defledger record fx --base {c} --quote {m.currency} --fy {m.fiscal_year} --rate …"
            for c in currencies
        )
        found.append(
            Diagnostic(
                "no-exchange-rate",
                f"{place}: {tally.text()} counted by {label} {tally.verb()} in "
                f"{', '.join(currencies)} but "
                f"the total is in {m.currency}, and no exchange rate for "
                f"{year_label(m.fiscal_year)} is recorded: no total is given (record one: "
                f"{record})",
                True,
                tally.lines,
                tally.amounts,
                {"currencies": currencies, "quote": m.currency},
            )
        )
    if version.effective_from is not None and m.fiscal_year < version.effective_from:
        found.append(
            Diagnostic(
                "before-effective",
                f"{place}: {year_label(m.fiscal_year)} is before {label} took effect "
                f"({year_label(version.effective_from)})",
                True,
                detail={"effective_from": version.effective_from},
            )
        )
    if m.gdp is None:
        found.append(
            Diagnostic(
                "no-gdp",
                describe_missing_gdp(m.jurisdiction, m.fiscal_year, version.basis, year_label),
                True,
                detail={"gdp_basis": version.basis.label()},
            )
        )
    if nothing:
        present = {category for (_, category, _) in group}
        empty = sorted(code for code in version.categories if code not in present)
        if empty:
            found.append(
                Diagnostic(
                    "included-without-lines",
                    f"{place}: no line is in a category {label} includes ({names(empty)})",
                    True,
                    detail={"categories": empty},
                )
            )
    return found


def tier_diagnostics(m: Measure, tier: str, year_label: YearLabel = fy_label) -> list[Diagnostic]:
    """``tier-counts-nothing`` for a tier row that counts nothing while its version counts
    something (the version's own diagnostics say why a whole measure counts nothing)."""
    if tier == "all" or m.total(tier) != 0 or m.total() == 0 or not m.complete(tier):
        return []
    codes = sorted(code for code, inc in m.version.categories.items() if inc.tier == tier)
    return [
        Diagnostic(
            "tier-counts-nothing",
            f"tier {tier} of {m.version.label} counts nothing in {m.jurisdiction} "
            f"{year_label(m.fiscal_year)}: no line of its categories ({names(codes)}) is at a "
            f"counted stage",
            True,
            detail={"tier": tier, "categories": codes},
        )
    ]
