"""The HTML report: one self-contained file (inline CSS and SVG, no script, no external URL)
with the summary, the details and a bridge (waterfall) chart per fiscal year, drawn here as
SVG from ``ledger.reports.chart.bridge`` (``ledger.reports.vega`` draws the same chart as a
Vega-Lite spec).

The chart is laid out in rows, one bar per row with its label on the left (wrapped, never cut;
the full text also in a ``<title>`` tooltip), the value axis at the bottom with round ticks and
its unit, a title, the definitions compared with their GDP basis, a legend and the notes. Its
size comes from a ``viewBox``, so it scales to the page; wide tables scroll inside their own
box, so the page itself never scrolls sideways (tests/test_report_browser.py checks it in
Chromium at 390, 1,280 and 1,920 px). Pixel positions are computed with exact fractions and
rounded half up to 0.1 px.
"""

from __future__ import annotations

import html
from fractions import Fraction
from typing import Any

from ledger.projections.measure import round_half_up
from ledger.reports.blocks import Block, report_blocks
from ledger.reports.chart import KIND_NAMES, Bridge, wrap
from ledger.reports.model import DiffReport

COLOURS = {"total": "#6b7280", "up": "#2a9d8f", "down": "#e76f51"}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:78rem;
color:#111827;line-height:1.4;padding:0 1rem;overflow-wrap:anywhere}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2.5rem;border-bottom:1px solid #d1d5db}
h3{font-size:1rem;margin-top:1.5rem}p.summary{font-size:1.1rem;font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem;overflow-wrap:normal}
th,td{border:1px solid #e5e7eb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure.chart{margin:1rem 0}
svg.bridge{display:block;width:100%;max-width:700px;height:auto;font-family:inherit}
svg.bridge text{font-size:10px;fill:#111827}svg.bridge .title{font-size:13px;font-weight:600}
svg.bridge .label{font-size:11px}svg.bridge .value{font-size:10.5px}
svg.bridge .note,svg.bridge .subtitle{fill:#374151}
.note{color:#4b5563}
footer{margin-top:3rem;color:#6b7280;font-size:.8rem}
"""
WIDTH = 440  # viewBox units; the chart scales to the page (0.8× on a phone, 1.6× at most)
PAD = 8
LABEL_RIGHT = 160  # labels end here (right-aligned)
PLOT_LEFT, PLOT_RIGHT = 168, 376  # value axis; values are printed right of their bar
LABEL_CHARS, TEXT_CHARS, TITLE_CHARS = 23, 70, 52
LINE, BAR = Fraction(25, 2), 14
HALF_BAR = Fraction(BAR, 2)


def _px(value: Fraction | int) -> str:
    return format(round_half_up(Fraction(value), 1), "f")


def _text(x: Fraction | int, y: Fraction | int, lines: list[str], cls: str, anchor: str = "start",
          title: str | None = None, extra: str = "") -> str:  # fmt: skip
    """A text block, one ``<tspan>`` per line (``LINE`` apart), with an optional tooltip."""
    tip = f"<title>{html.escape(title)}</title>" if title else ""
    spans = "".join(
        f'<tspan x="{_px(x)}" y="{_px(y + LINE * i)}">{html.escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="{cls}" text-anchor="{anchor}"{extra}>{tip}{spans}</text>'


def bridge_svg(chart: Bridge) -> str:
    """The bridge as inline SVG (no xmlns URL needed inside HTML), sized by its viewBox."""
    out: list[str] = []
    y = Fraction(PAD + 12)
    title = wrap(chart.title, TITLE_CHARS)
    out.append(_text(PAD, y, title, "title"))
    y += 16 * len(title) - 2
    for line in chart.subtitle:
        lines = wrap(line, TEXT_CHARS)
        out.append(_text(PAD, y, lines, "subtitle"))
        y += LINE * len(lines)
    x = Fraction(PAD)  # legend
    for kind, name in KIND_NAMES.items():
        out.append(f'<rect class="key {kind}" x="{_px(x)}" y="{_px(y - 4)}" width="10" '
                   f'height="10" fill="{COLOURS[kind]}"/>')  # fmt: skip
        out.append(_text(x + 14, y + 5, [name], "legend"))
        x += 24 + 6 * len(name)
    top = y + 18
    span = chart.high - chart.low

    def at(value: Fraction) -> Fraction:
        shown = min(max(chart.display(value), chart.low), chart.high)
        return PLOT_LEFT + (shown - chart.low) * (PLOT_RIGHT - PLOT_LEFT) / span

    rows, y = [], top
    for bar in chart.bars:
        lines = wrap(bar.label, LABEL_CHARS)
        height = max(Fraction(26), LINE * len(lines) + 9)
        rows.append((y + height / 2, lines))
        y += height
    bottom = y
    for tick in chart.ticks:
        level = _px(PLOT_LEFT + (tick - chart.low) * (PLOT_RIGHT - PLOT_LEFT) / span)
        colour = "#374151" if tick == 0 else "#e5e7eb"
        out.append(f'<line class="grid" x1="{level}" x2="{level}" y1="{_px(top)}" '
                   f'y2="{_px(bottom + 4)}" stroke="{colour}"/>')  # fmt: skip
        out.append(_text(Fraction(level), bottom + 16, [chart.tick_text(tick)], "tick", "middle"))
    out.append(f'<line class="axis" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{_px(bottom)}" '
               f'y2="{_px(bottom)}" stroke="#374151"/>')  # fmt: skip
    for index, (bar, (middle, lines)) in enumerate(zip(chart.bars, rows, strict=True)):
        left, right = at(min(bar.start, bar.end)), at(max(bar.start, bar.end))
        tip = f"{bar.label}: {bar.text}"
        out.append(
            f'<rect class="bar {bar.kind}" data-bar="{index}" x="{_px(left)}" '
            f'y="{_px(middle - HALF_BAR)}" width="{_px(max(right - left, Fraction(1)))}" '
            f'height="{BAR}" fill="{COLOURS[bar.kind]}"><title>{html.escape(tip)}</title></rect>'
        )
        if chart.broken and bar.kind == "total":
            out.append(_break_mark(PLOT_LEFT + 6, middle, HALF_BAR + 3))
        first = middle - LINE * (len(lines) - 1) / 2 + 4
        out.append(_text(LABEL_RIGHT, first, lines, "label", "end", bar.label,
                         f' data-bar="{index}"'))  # fmt: skip
        out.append(_text(right + 4, middle + 4, [bar.text], "value", extra=f' data-bar="{index}"'))
        if index + 1 < len(chart.bars):
            level = _px(at(bar.end))
            out.append(f'<line class="link" x1="{level}" x2="{level}" '
                       f'y1="{_px(middle + HALF_BAR)}" y2="{_px(rows[index + 1][0] - HALF_BAR)}" '
                       'stroke="#6b7280" stroke-dasharray="2 2"/>')  # fmt: skip
    if chart.broken:
        out.append(_break_mark(PLOT_LEFT + 6, bottom, 5))
    y = bottom + 32
    out.append(_text((PLOT_LEFT + PLOT_RIGHT) // 2, y, [chart.unit], "axis-title", "middle"))
    y += 8
    for note in chart.notes:
        lines = wrap(note, TEXT_CHARS)
        out.append(_text(PAD, y + LINE, lines, "note"))
        y += LINE * len(lines) + 3
    view_height = _px(y + PAD + 4)
    label = html.escape(chart.title)
    desc = html.escape(" ".join([*chart.subtitle, chart.unit, *chart.notes]))
    return "\n".join([
        f'<svg class="bridge" role="img" viewBox="0 0 {WIDTH} {view_height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{label}">',
        f"<title>{label}</title><desc>{desc}</desc>",
        *out,
        "</svg>",
    ])  # fmt: skip


def _break_mark(x: Fraction | int, y: Fraction, half: Fraction | int) -> str:
    """Two slanted strokes on a white gap: the axis (or a bar) is broken here."""
    points = [(x - 3, y + half), (x + 1, y - half), (x + 3, y + half), (x + 7, y - half)]
    gap = " ".join(f"{_px(a)},{_px(b)}" for a, b in (points[0], points[1], points[3], points[2]))
    return (
        f'<g class="break"><polygon points="{gap}" fill="#ffffff"/>'
        f'<line x1="{_px(points[0][0])}" y1="{_px(points[0][1])}" x2="{_px(points[1][0])}" '
        f'y2="{_px(points[1][1])}" stroke="#111827"/>'
        f'<line x1="{_px(points[2][0])}" y1="{_px(points[2][1])}" x2="{_px(points[3][0])}" '
        f'y2="{_px(points[3][1])}" stroke="#111827"/></g>'
    )


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


def render_html(report: DiffReport, chart: str = "money", axis: str = "zero") -> str:
    """The whole report as one self-contained HTML document; ``chart`` is the bridge's
    quantity (money or pp), ``axis`` zero (default) or broken."""
    return render_html_blocks(report_blocks(report), report.meta, chart, axis)


def report_body(report: DiffReport, chart: str = "money", axis: str = "zero") -> tuple[str, str]:
    """The report's title and its body as HTML elements (every text escaped), for a page that
    embeds the report (the web view's diff page)."""
    return blocks_body(report_blocks(report), chart, axis)


def blocks_body(blocks: list[Block], chart: str = "money", axis: str = "zero") -> tuple[str, str]:
    """A report's blocks (a diff's, a reconciliation's) as its title and HTML elements."""
    body = []
    title = ""
    for block in blocks:
        if block.kind == "heading":
            title = title or block.text
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif block.kind == "summary":
            body.append(f'<p class="summary">{html.escape(block.text)}</p>')
        elif block.kind == "text" and block.text:
            body.append(f'<p class="note">{html.escape(block.text)}</p>')
        elif block.kind == "table":
            body.append(f'<div class="scroll">{_table(block)}</div>')
        elif block.kind == "chart":
            drawn = bridge_svg(block.chart(chart, axis))
            body.append(f'<figure class="chart">\n{drawn}\n</figure>')
    return title, "\n".join(body)


def render_html_blocks(
    blocks: list[Block], meta: dict[str, Any], chart: str = "money", axis: str = "zero"
) -> str:
    """A report's blocks (a diff's, a reconciliation's) as one self-contained HTML document."""
    title, body = blocks_body(blocks, chart, axis)
    head = meta.get("head", {})
    footer = (
        f"defledger report · ledger head seq {head.get('seq')} · hash {head.get('hash')} · "
        "exact figures in the JSON report; shares rounded half up for display"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + body
        + f"\n<footer>{html.escape(footer)}</footer>\n</body>\n</html>\n"
    )
