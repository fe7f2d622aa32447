"""``reconcile A B``: two measures of one jurisdiction and year that differ in definition,
stage, period, prices or currency, and the exact split of their difference into those effects.

A measure is ``NAME[@N]`` with qualifiers, comma-separated: ``stage=initial+supplementary``,
``tier=core``, ``period=calendar``, ``prices=constant:2023[:SERIES][@VINTAGE]``,
``currency=USD[@VINTAGE]``, ``via=EUR`` (``ledger.projections.comparable``).

**Attribution: sequential, in this order** — definition (with its tier) → stage → period →
prices → currency. Each step sets one dimension from A's to B's and is measured against the
point the steps before it reached: the definition effect at A's stages, period, prices and
currency; the stage effect at B's definition; the period effect at B's definition and stages;
and so on. The parts telescope, so they sum exactly to B − A. A point on the way that cannot be
measured (a rule, rate or index value it would need is not recorded) or that counts no line at
all cannot separate the two steps around it: they are reported as one part, and the report says
why. Every part lists the budget lines whose counted amount it moves (they add up to the part).

**One unit.** B − A is a difference of two amounts in one currency. When the two sides are in
different currencies, one of them is in its figures' own currency and the other converts: the
report is in the converted side's currency, and every amount in the figures' own currency (A or
B, and the points on the way) is translated at the rate(s) that side converts by, stated with
the report. The currency part is then what the rates themselves change (none when both sides
are translated alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from events.quoting import quoted
from ledger.errors import InvalidInput, LedgerError
from ledger.intake.lines import LineState
from ledger.projections.comparable import (
    Comparable,
    Convention,
    parse_convention,
)
from ledger.projections.conversions import Conversions, fold_conversions
from ledger.projections.definitions import parse_spec
from ledger.projections.fold import LedgerState
from ledger.projections.rates import RateStep
from ledger.queries.asof import AsOf, moment_meta
from ledger.queries.converted import figure_of
from ledger.queries.jurisdictions import jurisdictions_of
from ledger.queries.question import parse_stages, parse_year
from ledger.reports.sources import read_events, state_at
from ledger.reports.valuation import figures_of
from ledger.storage.store import EventStore

DIMENSIONS = ("definition", "stage", "period", "prices", "currency")
ATTRIBUTION = "sequential"
ORDER_TEXT = (
    "definition (with its tier) → stage → period → prices → currency; each step measured "
    "against the point the steps before it reached (the definition effect at A's stages, "
    "period, prices and currency; the period effect at B's definition and stages, A's prices "
    "and currency; …); a point that cannot be measured or counts nothing joins its two steps "
    "into one part; the parts sum exactly to B − A"
)
KEYS = ("stage", "tier", "period", "prices", "currency", "via")


@dataclass(frozen=True)
class MeasureSpec:
    """One side of a reconciliation as asked: a definition and its qualifiers."""

    text: str
    definition: str
    stages: tuple[str, ...] | None = None
    tier: str | None = None
    convention: Convention = field(default_factory=Convention)

    def dimension(self, name: str) -> str:
        """This spec's value of one dimension, in words."""
        c = self.convention
        if name == "definition":
            return self.definition + (f" (tier {self.tier})" if self.tier else "")
        if name == "stage":
            return "+".join(self.stages) if self.stages else "the definition's"
        if name == "period":
            return c.period
        if name == "prices":
            return c.prices_text()
        return c.currency_text()

    def take(self, name: str, other: MeasureSpec) -> MeasureSpec:
        """This spec with one dimension set to ``other``'s."""
        c, o = self.convention, other.convention
        if name == "definition":
            return replace(self, definition=other.definition, tier=other.tier)
        if name == "stage":
            return replace(self, stages=other.stages)
        if name == "period":
            return replace(self, convention=c.with_(period=o.period))
        if name == "prices":
            return replace(
                self,
                convention=c.with_(
                    prices_base=o.prices_base,
                    price_series=o.price_series,
                    price_vintage=o.price_vintage,
                ),
            )
        return replace(
            self,
            convention=c.with_(currency=o.currency, currency_vintage=o.currency_vintage, via=o.via),
        )


def parse_measure(text: str) -> MeasureSpec:
    """``NAME[@N][,key=value…]`` (keys: stage, tier, period, prices, currency, via)."""
    head, *qualifiers = [part.strip() for part in text.split(",")]
    try:
        parse_spec(head)
    except InvalidInput as exc:
        raise InvalidInput(f"measure {quoted(text)}: {exc}") from exc
    values: dict[str, str] = {}
    for qualifier in qualifiers:
        key, equals, value = qualifier.partition("=")
        key = key.strip().lower()
        if not equals or key not in KEYS or not value.strip():
            raise InvalidInput(
                f"measure {quoted(text)}: {quoted(qualifier)} is not KEY=VALUE with KEY one of "
                f"{', '.join(KEYS)}"
            )
        if key in values:
            raise InvalidInput(f"measure {quoted(text)}: {key} is given twice")
        values[key] = value.strip()
    stages = parse_stages(tuple(values["stage"].split("+"))) if "stage" in values else None
    convention = parse_convention(
        values.get("period"), values.get("currency"), values.get("via"), values.get("prices")
    )
    return MeasureSpec(text, head, stages, values.get("tier"), convention)


@dataclass(frozen=True)
class Counted:
    """One budget line's counted amount at a point, in the report's unit."""

    key: str  # FY2024/MOD-DBP
    line: LineState
    amount: Fraction


@dataclass(frozen=True)
class Point:
    """A spec on the walk, measured: its figure and value (None, with the reason, when it
    cannot be measured or counts nothing), and the lines it counts."""

    spec: MeasureSpec
    figure: Comparable | None
    value: Fraction | None
    lines: dict[str, Counted]
    problem: str = ""


@dataclass(frozen=True)
class LineDelta:
    """How one line's counted amount moves in one part."""

    key: str
    line: LineState
    before: Fraction
    after: Fraction

    @property
    def delta(self) -> Fraction:
        return self.after - self.before


@dataclass(frozen=True)
class Part:
    """One effect: the dimensions it sets from A's to B's (two or more when a point between
    them has no value), its exact amount and the lines it moves."""

    number: int
    dimensions: tuple[str, ...]
    before: str
    after: str
    delta: Fraction
    lines: tuple[LineDelta, ...] = ()
    note: str = ""

    @property
    def kind(self) -> str:
        return " + ".join(self.dimensions)


@dataclass
class Reconciliation:
    """The report: both sides, the unit, the translation (if any), the parts."""

    jurisdiction: str
    year: int
    a: Point
    b: Point
    unit: str
    translation: tuple[RateStep, ...]
    parts: list[Part]
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    attribution: str = ATTRIBUTION
    order: str = ORDER_TEXT

    @property
    def delta(self) -> Fraction:
        assert self.a.value is not None and self.b.value is not None
        return self.b.value - self.a.value

    @property
    def has_differences(self) -> bool:
        return self.delta != 0


class _Unit:
    """The report's currency and how an amount in the figures' own currency reaches it."""

    def __init__(self, a: Comparable, b: Comparable) -> None:
        self.steps: tuple[RateStep, ...] = ()
        if a.currency == b.currency:
            self.currency, self.own = a.currency, a.currency
            return
        if a.rates and b.rates:
            raise InvalidInput(
                f"A is stated in {a.currency} and B in {b.currency}: reconcile two measures "
                "in one currency, or one in its figures' own currency"
            )
        converted = b if b.rates else a
        self.currency, self.own, self.steps = (
            converted.currency,
            converted.own_currency,
            (converted.rates),
        )

    @property
    def factor(self) -> Fraction:
        result = Fraction(1)
        for step in self.steps:
            result *= step.factor
        return result

    def of(self, figure: Comparable) -> Fraction:
        """The factor taking ``figure``'s amounts into the report's currency."""
        if figure.currency == self.currency:
            return Fraction(1)
        if figure.currency == self.own and self.steps:
            return self.factor
        raise InvalidInput(
            f"a point in {figure.currency} cannot be stated in {self.currency}: reconcile two "
            "measures in one currency"
        )


def _counted(state: LedgerState, figure: Comparable, tier: str | None, factor: Fraction) -> dict[
    str, Counted
]:  # fmt: skip
    """Each counted line of the figure, × weight × the figure's factor × ``factor``; they add
    up to the figure's total exactly (checked)."""
    found: dict[str, Counted] = {}
    for component in figure.components:
        m = component.measure
        rates = {rate.base: Fraction(rate.rate) for rate in m.rates}
        for line in figures_of(state, figure.jurisdiction, component.fiscal_year).lines:
            inclusion = m.version.categories.get(line.category)
            if inclusion is None or line.stage not in m.stages:
                continue
            if tier not in (None, "all") and inclusion.tier != tier:
                continue
            amount = Fraction(line.amount) * rates.get(line.currency, Fraction(1))
            amount *= Fraction(inclusion.share) * component.weight * figure.factor * factor
            key = f"FY{component.fiscal_year}/{line.line_id}"
            found[key] = Counted(key, line, amount)
    total = figure.total(None if tier == "all" else tier) * factor
    if sum((c.amount for c in found.values()), Fraction(0)) != total:
        raise LedgerError("internal error: the lines do not add up to the reconciled figure")
    return found


def _measure(
    state: LedgerState,
    conversions: Conversions,
    jurisdiction: str,
    year: int,
    spec: MeasureSpec,
) -> Comparable:
    return figure_of(
        state, conversions, jurisdiction, year, spec.definition, spec.convention,
        stages=spec.stages, skip_unconvertible=False,
    )  # fmt: skip


def _point(
    state: LedgerState,
    conversions: Conversions,
    jurisdiction: str,
    year: int,
    spec: MeasureSpec,
    unit: _Unit,
) -> Point:
    try:
        figure = _measure(state, conversions, jurisdiction, year, spec)
        factor = unit.of(figure)
    except InvalidInput as exc:
        return Point(spec, None, None, {}, str(exc))
    if spec.tier is not None and spec.tier != "all" and spec.tier not in figure.tiers():
        return Point(spec, figure, None, {}, f"{figure.version_label} has no tier {spec.tier}")
    lines = _counted(state, figure, spec.tier, factor)
    value = figure.total(None if spec.tier in (None, "all") else spec.tier) * factor
    problem = "" if lines else f"{spec.dimension('definition')} counts no line here"
    return Point(spec, figure, value, lines, problem)


def _line_deltas(before: Point, after: Point) -> tuple[LineDelta, ...]:
    keys = sorted(set(before.lines) | set(after.lines))
    deltas = []
    for key in keys:
        old, new = before.lines.get(key), after.lines.get(key)
        first = old.amount if old else Fraction(0)
        second = new.amount if new else Fraction(0)
        if first != second:
            line = (new or old).line  # type: ignore[union-attr]
            deltas.append(LineDelta(key, line, first, second))
    deltas.sort(key=lambda d: (-abs(d.delta), d.key))
    return tuple(deltas)


def reconcile(
    store: EventStore,
    a_text: str,
    b_text: str,
    *,
    year: str,
    jurisdictions: tuple[str, ...] = (),
    as_of: AsOf,
) -> Reconciliation:
    """The reconciliation of A and B for one jurisdiction and year, as the ledger stood at
    ``as_of`` (see the module docstring)."""
    spec_a, spec_b = parse_measure(a_text), parse_measure(b_text)
    number = parse_year(year)
    events = read_events(store, as_of.seq)
    state = state_at(events, as_of.seq)
    conversions = fold_conversions(events)
    places = jurisdictions_of(store, state, jurisdictions, as_of.seq)
    if len(places) != 1:
        raise InvalidInput(
            f"reconcile compares two measures of one jurisdiction: choose one with -j "
            f"(asked: {', '.join(places)})"
        )
    place = places[0]
    figure_a = _measure(state, conversions, place, number, spec_a)
    figure_b = _measure(state, conversions, place, number, spec_b)
    unit = _Unit(figure_a, figure_b)
    walk = [spec_a]
    changed: list[str] = []
    for name in DIMENSIONS:
        if spec_a.dimension(name) != spec_b.dimension(name):
            walk.append(walk[-1].take(name, spec_b))
            changed.append(name)
    walk[-1] = spec_b
    points = [_point(state, conversions, place, number, spec, unit) for spec in walk]
    for side, label in ((points[0], "A"), (points[-1], "B")):
        if side.value is None:
            raise InvalidInput(f"{label} ({side.spec.text}): {side.problem}")
    parts: list[Part] = []
    start = points[0]
    pending: list[str] = []
    reasons: list[str] = []
    for name, point in zip(changed, points[1:], strict=True):
        pending.append(name)
        last = point is points[-1]
        if not last and (point.value is None or not point.lines):
            reasons.append(f"{point.spec.dimension(name)}: {point.problem}")
            continue
        assert start.value is not None and point.value is not None
        note = (
            "not separable: the point between has no value (" + "; ".join(reasons) + ")"
            if reasons
            else ""
        )
        parts.append(
            Part(
                len(parts) + 1,
                tuple(pending),
                " · ".join(start.spec.dimension(n) for n in pending),
                " · ".join(point.spec.dimension(n) for n in pending),
                point.value - start.value,
                _line_deltas(start, point),
                note,
            )
        )
        start, pending, reasons = point, [], []
    report = Reconciliation(place, number, points[0], points[-1], unit.currency, unit.steps, parts)
    if sum((p.delta for p in parts), Fraction(0)) != report.delta:
        raise LedgerError("internal error: the parts do not sum to B − A")
    head = store.head()
    report.meta = {
        "head": {"seq": head.seq if head else 0, "hash": head.hash if head else "0" * 64},
        "as_of": moment_meta(store, as_of),
        "jurisdiction": place,
        "year": number,
        "a": spec_a.text,
        "b": spec_b.text,
    }
    report.notes = _notes(report)
    return report


def _notes(report: Reconciliation) -> list[str]:
    notes = []
    if report.translation:
        rates = "; ".join(step.describe() for step in report.translation)
        notes.append(
            f"Amounts in the figures' own currency are translated to {report.unit} at the rate "
            f"the converted side uses: {rates}."
        )
    return notes
