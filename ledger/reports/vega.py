"""The charts as Vega-Lite v5 specs: the bridge charts of a report, the same
``ledger.reports.chart.Bridge`` the HTML report draws (same bars in the same order, zero baseline
unless the axis is broken on request, round ticks, full labels, title, definitions and GDP
basis, legend, notes), one chart per fiscal year, stacked; and the share-of-GDP trend of
``ledger.reports.trend``. Values are strings in the display unit, turned into numbers by the
spec's own ``toNumber`` transforms, so no float is ever written."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ledger.projections.measure import round_half_up
from ledger.reports.chart import KIND_NAMES, Bridge, bridge, step_places, wrap
from ledger.reports.model import DiffReport
from ledger.reports.render_html import COLOURS, LABEL_CHARS, TEXT_CHARS, TITLE_CHARS
from ledger.reports.trend import Trend


def _number(value: Fraction) -> str:
    return format(round_half_up(value, 6), "f")


def chart_spec(chart: Bridge) -> dict[str, Any]:
    """One bridge as a layered Vega-Lite chart: floating horizontal bars and their values."""
    values = [
        {
            "order": order,
            "label": bar.label,
            "label_lines": "\n".join(wrap(bar.label, LABEL_CHARS)),
            "kind": KIND_NAMES[bar.kind],
            "start": _number(max(chart.display(bar.start), chart.low)),  # a broken axis
            "end": _number(max(chart.display(bar.end), chart.low)),  # cuts the totals
            "text": bar.text,
        }
        for order, bar in enumerate(chart.bars)
    ]
    ticks = [chart.tick_text(t) for t in chart.ticks]
    rows = max(len(wrap(bar.label, LABEL_CHARS)) for bar in chart.bars)
    x_scale = {"domain": numbers([ticks[0], ticks[-1]]), "nice": False, "zero": not chart.broken}
    y = {
        "field": "label_lines",
        "type": "nominal",
        "sort": {"field": "order"},
        "title": None,
        "axis": {"labelLimit": 0, "labelExpr": "split(datum.value, '\\n')"},
    }
    x = {
        "field": "x0",
        "type": "quantitative",
        "title": chart.unit,
        "scale": x_scale,
        "axis": {"values": numbers(ticks), "format": f".{step_places(chart.ticks)}f"},
    }
    return {
        "title": {
            "text": wrap(chart.title, TITLE_CHARS),
            "subtitle": [
                line for text in (*chart.subtitle, *chart.notes) for line in wrap(text, TEXT_CHARS)
            ],
            "anchor": "start",
        },  # fmt: skip
        "data": {"values": values},
        "transform": [
            {"calculate": "toNumber(datum.start)", "as": "s"},
            {"calculate": "toNumber(datum.end)", "as": "e"},
            {"calculate": "min(datum.s, datum.e)", "as": "x0"},
            {"calculate": "max(datum.s, datum.e)", "as": "x1"},
        ],
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "bar", "tooltip": True, "clip": True},
                "encoding": {
                    "x": x,
                    "x2": {"field": "x1"},
                    "color": {
                        "field": "kind",
                        "type": "nominal",
                        "title": None,
                        "scale": {
                            "domain": list(KIND_NAMES.values()),
                            "range": [COLOURS[k] for k in KIND_NAMES],
                        },
                        "legend": {"orient": "top"},
                    },
                    "tooltip": [
                        {"field": "label", "title": "change"},
                        {"field": "text", "title": "value"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 4},
                "encoding": {
                    "x": {"field": "x1", "type": "quantitative"},
                    "text": {"field": "text"},
                },
            },
        ],
        "width": 360,
        "height": {"step": 10 + 13 * rows},
    }


def numbers(texts: list[str]) -> dict[str, str]:
    """Numbers for the spec's scale and axis: written as a Vega expression (``{"expr": "[9,
    9.5, 10]"}``), so the JSON holds no float."""
    return {"expr": "[" + ", ".join(texts) + "]"}


def vega_lite_spec(report: DiffReport, chart: str = "money", axis: str = "zero") -> dict[str, Any]:
    """The bridge charts as a Vega-Lite v5 spec (one chart per fiscal year, stacked)."""
    return bridges_spec(
        f"defledger bridge: {report.a_label} → {report.b_label}",
        [bridge(section, chart, axis) for section in report.sections],
    )


def bridges_spec(description: str, charts: list[Bridge]) -> dict[str, Any]:
    """Bridges (a diff's, a reconciliation's) as one Vega-Lite v5 spec, stacked."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": description,
        "config": {"title": {"fontSize": 13, "subtitleFontSize": 11}},
        "vconcat": [chart_spec(chart) for chart in charts],
    }


def trend_spec(chart: Trend) -> dict[str, Any]:
    """The share-of-GDP trend (``ledger.reports.trend``) as a Vega-Lite spec: the same lines,
    points (filled where the version was in force), targets and zero-based axis as the SVG."""
    points = [
        {
            "series": line.label,
            "year": chart.year_labels[chart.years.index(point.year)],
            "order": chart.years.index(point.year),
            "share": _number(point.value),
            "text": point.text,
            "in_force": "in force" if point.in_force else "not in force",
        }
        for line in chart.lines
        for point in line.points
    ]
    targets = [
        {"level": _number(t.value), "text": t.text, "targets": "; ".join(t.names)}
        for t in chart.targets
    ]
    ticks = [chart.tick_text(t) for t in chart.ticks]
    y = {
        "field": "value",
        "type": "quantitative",
        "title": "percent of GDP",
        "scale": {"domain": numbers([ticks[0], ticks[-1]]), "zero": True, "nice": False},
        "axis": {"values": numbers(ticks), "format": f".{step_places(chart.ticks)}f"},
    }
    x = {"field": "year", "type": "ordinal", "sort": {"field": "order"}, "title": None}
    colour = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {
            "domain": [line.label for line in chart.lines],
            "range": [line.colour for line in chart.lines],
        },
        "legend": {"orient": "bottom", "columns": 1},
    }
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": points},
            "transform": [{"calculate": "toNumber(datum.share)", "as": "value"}],
            "layer": [
                {"mark": {"type": "line"}, "encoding": {"x": x, "y": y, "color": colour}},
                {
                    "mark": {"type": "point", "size": 40, "filled": True},
                    "encoding": {
                        "x": x,
                        "y": y,
                        "color": colour,
                        "fillOpacity": {
                            "field": "in_force",
                            "type": "ordinal",
                            "sort": ["in force", "not in force"],
                            "scale": {"domain": ["in force", "not in force"], "range": [1, 0]},
                            "legend": None,
                        },
                        "tooltip": [
                            {"field": "series", "title": "definition"},
                            {"field": "year", "title": "year"},
                            {"field": "text", "title": "share of GDP"},
                            {"field": "in_force", "title": "status that year"},
                        ],
                    },
                },
            ],
        }
    ]
    if targets:
        layers.append(
            {
                "data": {"values": targets},
                "transform": [{"calculate": "toNumber(datum.level)", "as": "value"}],
                "mark": {"type": "rule", "strokeDash": [5, 3], "color": "#6b7280"},
                "encoding": {
                    "y": {"field": "value", "type": "quantitative"},
                    "tooltip": [
                        {"field": "text", "title": "target"},
                        {"field": "targets", "title": "targets"},
                    ],
                },
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": chart.title,
        "title": {"text": chart.title, "anchor": "start"},
        "width": "container",
        "height": 220,
        "layer": layers,
    }
