"""The HTML report: one self-contained file (inline CSS and SVG, no script, no external URL)
with the summary, the details and a bridge (waterfall) chart per fiscal year, drawn here as
SVG: total under A → one bar per change, largest first, with the tail folded into
"Other (k)" → total under B, in money or in percentage points of GDP. ``vega_lite_spec`` gives
the same chart as a Vega-Lite JSON spec (values as strings, turned into numbers by the spec's
own transforms, so no float is ever written).

Pixel positions are computed with exact fractions and rounded half up to 0.1 px.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.projections.measure import round_half_up
from ledger.reports.document import KIND_LABELS, money_short, pp
from ledger.reports.model import DiffReport, Section
from ledger.reports.render_text import Block, report_blocks

MAX_BARS = 12  # change bars; beyond this the smallest are folded into "Other (k)"
SYMBOLS = {
    "category-added": "+",
    "category-removed": "−",
    "stage-added": "+ stage",
    "stage-removed": "− stage",
}
SCALES = (
    (Decimal(10) ** 12, "trillion"),
    (Decimal(10) ** 9, "billion"),
    (Decimal(10) ** 6, "million"),
)
NUM = ' class="num"'
COLOURS = {"total": "#6b7280", "up": "#2a9d8f", "down": "#e76f51", "zero": "#9ca3af"}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:78rem;
color:#111827;line-height:1.4;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2.5rem;border-bottom:1px solid #d1d5db}
h3{font-size:1rem;margin-top:1.5rem}p.summary{font-size:1.1rem;font-weight:600}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #e5e7eb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
svg text{font-family:inherit;font-size:11px}svg text.cut{fill:#6b7280;font-style:italic}
.note{color:#4b5563}
footer{margin-top:3rem;color:#6b7280;font-size:.8rem}
"""


@dataclass(frozen=True)
class Bar:
    """One bar of a bridge: totals run from 0, changes float from the running total."""

    label: str
    kind: str  # total, up, down, zero
    start: Fraction
    end: Fraction
    text: str  # the value as printed on the bar


def _label(kind: str, key: str) -> str:
    if kind in SYMBOLS:
        return f"{SYMBOLS[kind]} {key}"
    if kind in ("re-weighted", "tier-moved"):
        return f"{KIND_LABELS[kind]} {key}"
    return KIND_LABELS.get(kind, kind)


def bridge_bars(section: Section, axis: str, max_bars: int = MAX_BARS) -> tuple[list[Bar], str]:
    """The bars of one section's bridge and the axis actually used (pp falls back to money
    when a share of GDP is unknown)."""
    if axis == "pp" and (
        section.a.share is None or any(c.delta_pp is None for c in section.changes)
    ):
        axis = "money"

    def show(value: Fraction) -> str:
        if axis == "pp":
            return pp(value, 3, sign=False) + " pp"
        return money_short(Decimal(value.numerator) / Decimal(value.denominator), section.currency)

    if axis == "pp":
        assert section.a.share is not None and section.b.share is not None
        start, finish = section.a.share, section.b.share
        values = [(c, c.delta_pp or Fraction(0)) for c in section.changes]
    else:
        start, finish = Fraction(section.a.measure), Fraction(section.b.measure)
        values = [(c, Fraction(c.delta_amount)) for c in section.changes]
    ordered = sorted(values, key=lambda item: (-abs(item[1]), item[0].step))
    shown = ordered if len(ordered) <= max_bars else ordered[: max_bars - 1]
    folded = ordered[len(shown) :]
    bars = [Bar(f"A: {section.a.label}", "total", Fraction(0), start, show(start))]
    running = start
    items = [(_label(c.kind, c.key), v) for c, v in shown]
    if folded:
        items.append((f"Other ({len(folded)})", sum((v for _, v in folded), Fraction(0))))
    for label, value in items:
        kind = "up" if value > 0 else "down" if value < 0 else "zero"
        text = ("+" if value > 0 else "") + show(value)
        bars.append(Bar(label, kind, running, running + value, text))
        running += value
    if running != finish:
        raise ValueError("internal error: the bridge does not reach B")
    bars.append(Bar(f"B: {section.b.label}", "total", Fraction(0), finish, show(finish)))
    return bars, axis


def _px(value: Fraction) -> str:
    return format(round_half_up(value, 1), "f")


def _short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def axis_floor(bars: list[Bar]) -> Fraction:
    """Where the value axis starts: 0, unless every change sits far above it, in which case
    the axis is cut (and marked as cut) so that the changes are visible next to the totals."""
    changes = [v for b in bars[1:-1] for v in (b.start, b.end)]
    ends = changes + [bars[0].end, bars[-1].end]
    low, high = min(ends), max(ends)
    if low <= 0 or high == low or (high - low) * 3 > high:
        return Fraction(0)
    return max(Fraction(0), low - (high - low) / 2)


def bridge_svg(section: Section, axis: str) -> str:
    """The bridge as inline SVG (no xmlns URL needed inside HTML), with a value axis."""
    bars, axis = bridge_bars(section, axis)
    slot, bar_w, top, plot_h, left = 96, 60, 44, 260, 104
    width, height = left + 16 + slot * len(bars), top + plot_h + 140
    floor = axis_floor(bars)
    values = [v for b in bars for v in ((b.end,) if b.kind == "total" else (b.start, b.end))]
    low, high = min(*values, floor), max(values)
    span = (high - low) or Fraction(1)

    def y(value: Fraction) -> Fraction:
        return top + (high - max(value, low)) * plot_h / span

    def tick(value: Fraction) -> str:
        if axis == "pp":
            return pp(value, 3, sign=False) + "%"
        return money_short(Decimal(value.numerator) / Decimal(value.denominator), section.currency)

    unit = "percent of GDP" if axis == "pp" else f"money ({section.currency})"
    title = f"Bridge from A to B, {unit}"
    out = [
        f'<svg class="bridge" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title>",
    ]
    for step in range(5):
        value = low + span * step / 4
        level = _px(y(value))
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - 8}" y1="{level}" '
            f'y2="{level}" stroke="#e5e7eb"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{level}" text-anchor="end" '
            f'dominant-baseline="middle">{html.escape(tick(value))}</text>'
        )
    if floor > 0:
        out.append(
            f'<text x="{left}" y="14" class="cut">axis starts at '
            f"{html.escape(tick(floor))} (cut)</text>"
        )
    for index, bar in enumerate(bars):
        x = left + slot * index + (slot - bar_w) // 2
        upper, lower = max(bar.start, bar.end), min(bar.start, bar.end)
        if bar.kind == "total":
            lower = max(lower, low)
        y_top, h = y(upper), max((upper - lower) * plot_h / span, Fraction(1))
        tip = f"{bar.label}: {bar.text}"
        out.append(
            f'<rect class="bar {bar.kind}" x="{x}" y="{_px(y_top)}" width="{bar_w}" '
            f'height="{_px(h)}" fill="{COLOURS[bar.kind]}"><title>{html.escape(tip)}</title></rect>'
        )
        middle = x + bar_w // 2
        out.append(
            f'<text x="{middle}" y="{_px(y_top - 5)}" text-anchor="middle">'
            f"{html.escape(bar.text)}</text>"
        )
        label_y = top + plot_h + 16
        out.append(
            f'<text x="{middle}" y="{label_y}" text-anchor="end" '
            f'transform="rotate(-40 {middle} {label_y})">{html.escape(_short(bar.label))}'
            "</text>"
        )
        if index + 1 < len(bars):
            level = _px(y(bar.end))
            out.append(
                f'<line x1="{x + bar_w}" x2="{x + slot}" y1="{level}" y2="{level}" '
                'stroke="#6b7280" stroke-dasharray="3 3"/>'
            )
    zero = _px(y(max(low, Fraction(0))))
    out.append(f'<line x1="{left}" x2="{width - 8}" y1="{zero}" y2="{zero}" stroke="#374151"/>')
    out.append("</svg>")
    return "\n".join(out)


def _table(block: Block) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in block.columns)
    rows = []
    for row in block.rows:
        cells = "".join(
            f'<td class="num">{html.escape(c)}</td>'
            if i in block.right
            else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(row)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(report: DiffReport, axis: str = "money") -> str:
    """The whole report as one self-contained HTML document."""
    body = []
    title = ""
    for block in report_blocks(report):
        if block.kind == "heading":
            title = title or block.text
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif block.kind == "summary":
            body.append(f'<p class="summary">{html.escape(block.text)}</p>')
        elif block.kind == "text" and block.text:
            body.append(f'<p class="note">{html.escape(block.text)}</p>')
        elif block.kind == "table":
            body.append(_table(block))
        elif block.kind == "chart" and block.section is not None:
            body.append(bridge_svg(block.section, axis))
    head = report.meta.get("head", {})
    footer = (
        f"defledger report · ledger head seq {head.get('seq')} · hash {head.get('hash')} · "
        "exact figures in the JSON report; shares rounded half up for display"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<footer>{html.escape(footer)}</footer>\n</body>\n</html>\n"
    )


def _scaled(value: Fraction, axis: str, currency: str, biggest: Fraction) -> tuple[str, str]:
    """A chart value as a decimal string in the axis unit, and the unit's name."""
    if axis == "pp":
        return format(round_half_up(value, 6), "f"), "percent of GDP"
    for scale, name in SCALES:
        if biggest >= scale:
            return format(round_half_up(value / Fraction(scale), 6), "f"), f"{currency} {name}"
    return format(round_half_up(value, 6), "f"), currency


def vega_lite_spec(report: DiffReport, axis: str = "money") -> dict[str, Any]:
    """The bridge charts as a Vega-Lite v5 spec (one chart per fiscal year, stacked)."""
    charts = []
    for section in report.sections:
        bars, used = bridge_bars(section, axis)
        biggest = max(max(abs(b.start), abs(b.end)) for b in bars)
        values = []
        unit = ""
        for order, bar in enumerate(bars):
            start, unit = _scaled(bar.start, used, section.currency, biggest)
            end, _ = _scaled(bar.end, used, section.currency, biggest)
            values.append(
                {
                    "order": order,
                    "label": bar.label,
                    "kind": bar.kind,
                    "start": start,
                    "end": end,
                    "text": bar.text,
                }
            )
        charts.append(
            {
                "title": f"{section.jurisdiction} {section.year_label}: "
                f"{section.a.label} → {section.b.label}",
                "data": {"values": values},
                "transform": [
                    {"calculate": "toNumber(datum.start)", "as": "y0"},
                    {"calculate": "toNumber(datum.end)", "as": "y1"},
                ],
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "x": {
                        "field": "label",
                        "type": "ordinal",
                        "title": None,
                        "sort": {"field": "order"},
                        "axis": {"labelAngle": -35},
                    },
                    "y": {"field": "y0", "type": "quantitative", "title": unit},
                    "y2": {"field": "y1"},
                    "color": {
                        "field": "kind",
                        "type": "nominal",
                        "legend": None,
                        "scale": {"domain": list(COLOURS), "range": list(COLOURS.values())},
                    },
                    "tooltip": [{"field": "label"}, {"field": "text", "title": "value"}],
                },
                "width": 60 * len(bars),
                "height": 260,
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": f"defledger bridge: {report.a_label} → {report.b_label}",
        "vconcat": charts,
    }
