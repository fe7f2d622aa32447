"""The bridge (waterfall) chart of one diff section, as data: the SVG in
``ledger.reports.render_html`` and the Vega-Lite spec in ``ledger.reports.vega`` draw the same
``Bridge``.

What a reader can rely on:

- bars in the order the text lists the changes (the attribution order), total under A first and
  total under B last; changes with no effect on the axis's quantity are not drawn as "0" bars
  but named in one note, and beyond ``MAX_BARS`` the smallest are folded into one "Other (k)"
  bar whose note lists them;
- the value axis starts at zero (``axis="zero"``, the default); a broken axis only on request
  (``axis="broken"``), and the chart says where it starts;
- round ticks, in steps of 1, 2 or 5 × a power of ten, in a stated unit;
- full labels (renderers wrap them; nothing is cut), a title, the definitions compared and the
  GDP each share divides by.

Values are exact ``Fraction``s in the axis unit's base (money in the currency, shares in percent
of GDP); the display unit (``trillion``, ``billion``…) is chosen once per chart.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from ledger.numbers import compact, pp
from ledger.projections.periods import YearBasis
from ledger.reports.document import GROUP_LABELS, KIND_LABELS
from ledger.reports.model import Change, Section, Side

MAX_BARS = 12  # change bars; beyond this the smallest are folded into "Other (k)"
AXES = ("zero", "broken")
SYMBOLS = {
    "category-added": "+",
    "category-removed": "−",
    "stage-added": "+\u00a0stage",
    "stage-removed": "−\u00a0stage",
}
GLUE = {  # symbol and key stay on one line, except a stage's name
    "stage-added": " ",
    "stage-removed": " ",
}
SCALES = (
    (Fraction(10**12), "trillion"),
    (Fraction(10**9), "billion"),
    (Fraction(10**6), "million"),
)
KIND_NAMES = {"total": "total", "up": "increase", "down": "decrease"}


@dataclass(frozen=True)
class Bar:
    """One bar: totals run from the axis start, changes float from the running total."""

    label: str  # the full label, never cut
    kind: str  # total, up, down
    start: Fraction
    end: Fraction
    text: str  # the value as printed beside the bar


@dataclass(frozen=True)
class Bridge:
    """Everything a renderer needs to draw one section's bridge."""

    title: str
    subtitle: tuple[str, ...]  # the definitions compared and their GDP basis
    quantity: str  # "money" or "pp"
    unit: str  # the axis title: "JPY trillion" or "percent of GDP"
    scale: Fraction  # display value = value / scale
    bars: tuple[Bar, ...]
    ticks: tuple[Fraction, ...]  # round values, in display units
    broken: bool  # the axis does not start at zero
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def low(self) -> Fraction:
        return self.ticks[0]

    @property
    def high(self) -> Fraction:
        return self.ticks[-1]

    def display(self, value: Fraction) -> Fraction:
        return value / self.scale

    def tick_text(self, tick: Fraction) -> str:
        return decimal_text(tick, step_places(self.ticks))


def step_places(ticks: tuple[Fraction, ...]) -> int:
    """The decimals a tick label needs: those of the step (1, 2 or 5 × 10^k)."""
    step, places = ticks[1] - ticks[0], 0
    while step.denominator != 1:
        step, places = step * 10, places + 1
    return places


def decimal_text(value: Fraction, places: int) -> str:
    """An exact decimal (ticks are multiples of a 1-2-5 step, so they terminate)."""
    scaled = value * 10**places
    assert scaled.denominator == 1, "a tick is a multiple of its step"
    return format(Decimal(f"{scaled.numerator}E-{places}"), "f")  # exact: no context rounding


def nice_ticks(low: Fraction, high: Fraction, target: int = 5) -> tuple[Fraction, ...]:
    """Round ticks covering [low, high]: a step of 1, 2 or 5 × 10^k giving about ``target``
    intervals, from a multiple of the step at or below ``low`` to one at or above ``high``."""
    if high <= low:
        high = low + 1
    raw = (high - low) / target
    power = Fraction(1)
    while power > raw:
        power /= 10
    while power * 10 <= raw:
        power *= 10
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = (low / step).__floor__() * step
    last = -((-high / step).__floor__()) * step
    count = int((last - first) / step)
    return tuple(first + step * i for i in range(count + 1))


def change_label(change: Change) -> str:
    """``3. + JP.CAND.SPACE``; in a decomposition the part first: ``5. (c) joint: lines
    recorded (5 lines)``."""
    if change.kind in SYMBOLS:
        text = f"{SYMBOLS[change.kind]}{GLUE.get(change.kind, chr(0xA0))}{change.key}"
    elif change.kind in ("re-weighted", "tier-moved"):
        text = f"{KIND_LABELS[change.kind]} {change.key} ({change.before} → {change.after})"
    elif change.kind in ("version-switch", "gdp-basis"):
        text = f"{KIND_LABELS[change.kind]} ({change.before} → {change.after})"
    elif change.items:
        text = f"{KIND_LABELS[change.kind]} ({change.key})"
    else:
        text = KIND_LABELS.get(change.kind, change.kind)
    if change.group:
        part = GROUP_LABELS[change.group].split(" ", 1)[0]
        text = f"{part} {'joint: ' if change.group == 'joint' else ''}{text}"
    return f"{change.step}.\u00a0{text}"


def _gdp(side: Side, year_basis: YearBasis) -> str:
    gdp = side.evaluation.gdp
    kind = "same year" if side.version.basis.kind == "same-year" else "fixed year"
    if gdp is None:
        return f"no GDP recorded for its basis ({side.version.basis.label()})"
    amount = compact(gdp.amount, gdp.currency)
    where = gdp.described or year_basis.label(gdp.fiscal_year)
    return f"{where} GDP {amount} ({kind}, {gdp.vintage})"


def _bases(section: Section) -> str:
    """The GDP each side's share divides by, in words."""
    a, b = _gdp(section.a, section.year_basis), _gdp(section.b, section.year_basis)
    if a == b:
        return f"Shares of GDP: A and B ÷ {a}."
    return f"Shares of GDP: A ÷ {a}; B ÷ {b}."


def _scale(currency: str, quantity: str, values: list[Fraction]) -> tuple[Fraction, str]:
    if quantity == "pp":
        return Fraction(1), "percent of GDP"
    biggest = max((abs(v) for v in values), default=Fraction(0))
    for scale, name in SCALES:
        if biggest >= scale:
            return scale, f"{currency} {name}"
    return Fraction(1), currency


def _broken_floor(bars: list[Bar]) -> Fraction:
    """Where a broken axis starts: half the changes' spread below their lowest point."""
    ends = [bar.end for bar in bars]
    changes = [v for bar in bars if bar.kind != "total" for v in (bar.start, bar.end)] or ends
    spread = max(changes) - min(changes)
    return max(Fraction(0), min(changes) - max(spread, max(ends) / 20) / 2)


@dataclass(frozen=True)
class Step:
    """One change to draw: its full label, its value in the axis quantity, the note that says
    why it may not move the quantity, and its number in the text (for "Other (k)")."""

    label: str
    value: Fraction
    note: str
    number: int


def bridge(section: Section, chart: str = "money", axis: str = "zero",
           max_bars: int = MAX_BARS) -> Bridge:  # fmt: skip
    """The bridge of one section, in money or in percentage points (``chart="pp"``; money
    when a share of GDP is unknown), from zero or (``axis="broken"``) from a round value
    below the changes."""
    quantity = chart
    if quantity == "pp" and (
        section.a.share is None
        or section.b.share is None
        or any(c.delta_pp is None for c in section.changes)
    ):
        quantity = "money"
    notes = ["No share of GDP for every point: drawn in money."] if quantity != chart else []
    if quantity == "pp":
        assert section.a.share is not None and section.b.share is not None
        start, finish = section.a.share, section.b.share
        values = [(c, c.delta_pp or Fraction(0)) for c in section.changes]
    else:
        start, finish = Fraction(section.a.measure), Fraction(section.b.measure)
        values = [(c, Fraction(c.delta_amount)) for c in section.changes]
    steps = [Step(change_label(c), value, c.note, c.step) for c, value in values]
    tier = f", tier {section.tier}" if section.tier else ""
    return draw_bridge(
        f"{section.jurisdiction} {section.year_label}{tier}: {section.a.label} → "
        f"{section.b.label}",
        (_bases(section),), section.currency, quantity,
        (f"A: {section.a.label}", start), steps, (f"B: {section.b.label}", finish), axis,
        max_bars, notes,
    )  # fmt: skip


def draw_bridge(
    heading: str,
    subtitle: tuple[str, ...],
    currency: str,
    quantity: str,
    start: tuple[str, Fraction],
    steps: list[Step],
    finish: tuple[str, Fraction],
    axis: str = "zero",
    max_bars: int = MAX_BARS,
    notes: list[str] | None = None,
) -> Bridge:
    """A bridge from a start total through ``steps`` to a finish total (money in
    ``currency``, or percentage points): what ``bridge`` draws for a diff section and
    ``ledger.reports.reconcile`` for a reconciliation. The steps must reach the finish."""
    notes = list(notes or [])

    def show(value: Fraction, sign: bool = False) -> str:
        if quantity == "pp":
            return pp(value, 3, sign=sign) + (" pp" if sign else " %")
        amount = Decimal(value.numerator) / Decimal(value.denominator)
        return compact(amount, currency, sign=sign)

    items = _drawn(steps, "share of GDP" if quantity == "pp" else "total", max_bars, notes)
    bars = [Bar(start[0], "total", Fraction(0), start[1], show(start[1]))]
    running = start[1]
    for label, value in items:
        kind = "up" if value > 0 else "down"
        bars.append(Bar(label, kind, running, running + value, show(value, sign=True)))
        running += value
    if running != finish[1]:
        raise ValueError("internal error: the bridge does not reach B")
    bars.append(Bar(finish[0], "total", Fraction(0), finish[1], show(finish[1])))
    every = [v for bar in bars for v in (bar.start, bar.end)]
    scale, unit = _scale(currency, quantity, every)
    broken = axis == "broken" and min(every) >= 0
    low = _broken_floor(bars) if broken else min(every)
    ticks = nice_ticks(low / scale, max(every) / scale)
    broken = broken and ticks[0] > 0
    if broken:
        start_at = decimal_text(ticks[0], step_places(ticks))
        notes.insert(0, f"The value axis is broken: it starts at {start_at} {unit}, not at zero, "
                     "so the total bars are cut.")  # fmt: skip
    what = "share of GDP (%; changes in pp)" if quantity == "pp" else f"money ({unit})"
    title = f"{heading}, {what}"
    return Bridge(title, subtitle, quantity, unit, scale, tuple(bars), ticks, broken, tuple(notes))


def _drawn(
    steps: list[Step], what: str, max_bars: int, notes: list[str]
) -> list[tuple[str, Fraction]]:
    """The change bars, in the order given: those that move the quantity, beyond ``max_bars``
    the smallest folded into one "Other (k)" at the end; the rest named in ``notes``."""
    moving = [step for step in steps if step.value]
    still: dict[str, list[str]] = {}
    for step in steps:
        if not step.value:
            still.setdefault(step.note, []).append(step.label)
    for note, labels in still.items():
        notes.append(f"Not drawn ({note or f'no effect on the {what}'}): {'; '.join(labels)}.")
    if len(moving) <= max_bars:
        return [(step.label, step.value) for step in moving]
    ranked = sorted(moving, key=lambda step: (-abs(step.value), step.number))
    kept = {step.number for step in ranked[: max_bars - 1]}
    folded = [step for step in moving if step.number not in kept]
    numbers = ", ".join(str(step.number) for step in folded)
    notes.append(f"Other ({len(folded)}): the smallest changes, steps {numbers}, as one bar.")
    other = (f"Other ({len(folded)})", sum((step.value for step in folded), Fraction(0)))
    return [(step.label, step.value) for step in moving if step.number in kept] + [other]


def wrap(text: str, width: int) -> list[str]:
    """A label in lines of at most ``width`` characters (long codes broken only if they must)."""
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]
