"""The share-of-GDP trend (``ledger.reports.trend.Trend``) as inline SVG: no script, sized by its
``viewBox`` so it scales to the page, every value also in a ``<title>`` tooltip and in the table
printed under it. Years run left to right at equal steps; the value axis starts at zero."""

from __future__ import annotations

import html
from fractions import Fraction

from ledger.reports.chart import wrap
from ledger.reports.render_html import _px, _text
from ledger.reports.trend import Trend

WIDTH = 480  # viewBox units; on a phone the chart is drawn at about 0.75×
PAD = 8
LEFT, RIGHT = 44, 440  # the plot's x range; ticks left of it, target levels right of it
HEIGHT = 200  # of the plot
LEGEND_CHARS, TITLE_CHARS = 70, 70
TARGET = "#6b7280"


def trend_svg(chart: Trend) -> str:
    """The chart as one ``<svg class="trend">`` element."""
    out: list[str] = []
    y = Fraction(PAD + 12)
    title = wrap(chart.title, TITLE_CHARS)
    out.append(_text(PAD, y, title, "title"))
    top = y + 16 * len(title) + 4
    bottom = top + HEIGHT
    high = chart.ticks[-1]

    def at_y(value: Fraction) -> Fraction:
        return bottom - min(value, high) * HEIGHT / high

    count = len(chart.years)

    def at_x(index: int) -> Fraction:
        if count == 1:
            return Fraction(LEFT + RIGHT, 2)
        return LEFT + 12 + Fraction(index * (RIGHT - LEFT - 24), count - 1)

    for tick in chart.ticks:
        level = at_y(tick)
        colour = "#374151" if tick == 0 else "#e5e7eb"
        out.append(f'<line class="grid" x1="{LEFT}" x2="{RIGHT}" y1="{_px(level)}" '
                   f'y2="{_px(level)}" stroke="{colour}"/>')  # fmt: skip
        out.append(_text(LEFT - 4, level + 3, [chart.tick_text(tick)], "tick", "end"))
    step = max(1, -(-count * 34 // (RIGHT - LEFT)))  # a year label every `step` years
    for index, label in enumerate(chart.year_labels):
        x = at_x(index)
        out.append(f'<line class="year" x1="{_px(x)}" x2="{_px(x)}" y1="{_px(bottom)}" '
                   f'y2="{_px(bottom + 3)}" stroke="#374151"/>')  # fmt: skip
        if index % step == 0 or index == count - 1:
            out.append(_text(x, bottom + 14, [label], "tick year", "middle"))
    for target in chart.targets:
        level = at_y(target.value)
        tip = html.escape(f"target {target.text} of GDP: " + "; ".join(target.names))
        out.append(f'<line class="target" x1="{LEFT}" x2="{RIGHT}" y1="{_px(level)}" '
                   f'y2="{_px(level)}" stroke="{TARGET}" stroke-dasharray="5 3">'
                   f"<title>{tip}</title></line>")  # fmt: skip
        out.append(_text(RIGHT + 3, level + 3, [target.text], "target-level"))
    index_of = {year: i for i, year in enumerate(chart.years)}
    for number, line in enumerate(chart.lines):
        runs: list[list[str]] = []
        previous = None
        for point in line.points:
            where = index_of[point.year]
            if previous is None or where != previous + 1:
                runs.append([])
            runs[-1].append(f"{_px(at_x(where))},{_px(at_y(point.value))}")
            previous = where
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        path = " ".join("M" + " L".join(run) for run in runs if run)
        if path:
            out.append(f'<path class="line" data-series="{number}" d="{path}" fill="none" '
                       f'stroke="{line.colour}" stroke-width="2"{dash}/>')  # fmt: skip
        for point in line.points:
            label = chart.year_labels[index_of[point.year]]
            state = "in force" if point.in_force else "not in force that year"
            tip = html.escape(f"{line.label} {label}: {point.text} of GDP ({state})")
            fill = line.colour if point.in_force else "#ffffff"
            out.append(
                f'<circle class="point{" in-force" if point.in_force else ""}" '
                f'data-series="{number}" cx="{_px(at_x(index_of[point.year]))}" '
                f'cy="{_px(at_y(point.value))}" r="3" fill="{fill}" stroke="{line.colour}" '
                f'stroke-width="1.5"><title>{tip}</title></circle>'
            )
    y = bottom + 30
    out.append(_text(PAD, y, ["percent of GDP; filled point: the version in force that "
                              "year, hollow: not in force"], "note"))  # fmt: skip
    y += 16
    for number, line in enumerate(chart.lines):
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        out.append(f'<line class="key" data-series="{number}" x1="{PAD}" x2="{PAD + 18}" '
                   f'y1="{_px(y - 3)}" y2="{_px(y - 3)}" stroke="{line.colour}" '
                   f'stroke-width="2"{dash}/>')  # fmt: skip
        lines = wrap(f"{line.label} ({line.status})", LEGEND_CHARS)
        out.append(_text(PAD + 24, y, lines, "legend"))
        y += 13 * len(lines) + 2
    for target in chart.targets:
        out.append(f'<line class="key target" x1="{PAD}" x2="{PAD + 18}" y1="{_px(y - 3)}" '
                   f'y2="{_px(y - 3)}" stroke="{TARGET}" stroke-dasharray="5 3"/>')  # fmt: skip
        lines = wrap(f"target {target.text}: {'; '.join(target.names)}", LEGEND_CHARS)
        out.append(_text(PAD + 24, y, lines, "legend"))
        y += 13 * len(lines) + 2
    for note in chart.notes:
        lines = wrap(note, LEGEND_CHARS + 8)
        out.append(_text(PAD, y + 4, lines, "note"))
        y += 13 * len(lines) + 4
    height = _px(y + PAD)
    label = html.escape(chart.title)
    return "\n".join([
        f'<svg class="trend" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{label}">',
        f"<title>{label}</title>",
        *out,
        "</svg>",
    ])  # fmt: skip
