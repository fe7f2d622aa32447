"""The HTML report: one self-contained file that parses, with an inline SVG bridge chart (one bar
per change that moves the quantity, in the attribution order, plus the two totals; from zero
unless a broken axis is asked for; round ticks; full labels) and no external URL; the same
chart as a Vega-Lite spec beside it. tests/test_report_browser.py looks at it in Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.diff_scenario import BOTH, base_events, e, fold, open_version, record
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.reports.chart import MAX_BARS, bridge, decimal_text, nice_ticks, step_places
from ledger.reports.diff import diff_sections
from ledger.reports.model import DiffReport
from ledger.reports.render_html import LABEL_CHARS, render_html
from ledger.reports.vega import vega_lite_spec
from ledger.storage.store import EventStore

V2 = open_version("jp", 2, [], based_on=1, stages=BOTH) + [
    e("CategoryExcluded", definition="jp", version=2, category="JP.REL.JCG"),
    e("CategoryIncluded", definition="jp", version=2, category="JP.CAND.SPACE", share="0.5"),
]


class Collector(HTMLParser):
    """Every start tag with its attributes, and whether the tags balance."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "line", "rect"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()


def _parse(text: str) -> Collector:
    parser = Collector()
    parser.feed(text)
    parser.close()
    assert parser.open == [], parser.open
    return parser


def _report(extra: list[dict[str, Any]], a: str = "jp@1", b: str = "jp@2") -> DiffReport:
    state = fold(base_events() + extra)
    sections = diff_sections(state, a, b, jurisdiction="JP", years=[2025], as_of=state.last_seq)
    return DiffReport("definition-diff", a, b, "order", sections, {"head": {"seq": 1}})


def _bars(parser: Collector) -> list[dict[str, str | None]]:
    return [a for t, a in parser.tags if t == "rect" and "bar" in (a.get("class") or "").split()]


@pytest.mark.parametrize("chart", ["money", "pp"])
def test_render_html__one_bar_per_change_that_moves_and_two_totals(chart: str) -> None:
    energy = e("CategoryIncluded", definition="jp", version=2, category="JP.CAND.ENERGY")
    report = _report(V2 + [energy])
    text = render_html(report, chart)
    parser = _parse(text)
    svgs = [attrs for tag, attrs in parser.tags if tag == "svg"]
    assert len(svgs) == 1
    assert svgs[0]["viewbox"] and "width" not in svgs[0], "sized by its viewBox, not in px"
    changes = report.sections[0].changes
    moving = [c for c in changes if (c.delta_pp if chart == "pp" else c.delta_amount)]
    bars = _bars(parser)
    assert len(bars) == len(moving) + 2
    assert bars[0]["class"] == bars[-1]["class"] == "bar total"
    still = [c for c in changes if c not in moving]
    assert still, "the fixture has a change that moves nothing (ENERGY: no line recorded)"
    assert all(f"{c.step}.\u00a0" in text and "Not drawn" in text for c in still)
    assert "¥0<" not in text and ">¥0" not in text, "no bar for a change that moves nothing"


def test_render_html__self_contained(cli: Callable[..., Result], store: EventStore,
                                     tmp_path: Path) -> None:  # fmt: skip
    record(store, base_events() + V2)
    target = tmp_path / "report.html"
    result = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--format", "html", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    parser = _parse(text)
    tags = [tag for tag, _ in parser.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    assert not re.search(r"https?://", text)
    assert "url(" not in text and "@import" not in text
    assert all(not (attrs.get("src") or attrs.get("href")) for _, attrs in parser.tags)
    assert "1 stage added, 1 category added, 1 removed" in text
    viewport = [a for t, a in parser.tags if t == "meta" and a.get("name") == "viewport"]
    assert viewport and "width=device-width" in (viewport[0]["content"] or "")
    spec = json.loads((tmp_path / "report.vl.json").read_text(encoding="utf-8"))
    assert spec["$schema"].endswith("vega-lite/v5.json")
    values = spec["vconcat"][0]["data"]["values"]
    assert len(values) == len(_bars(parser)) == 3 + 2
    assert all(isinstance(v["start"], str) and isinstance(v["end"], str) for v in values)


def test_render_html__chart_names_the_definitions_gdp_and_unit() -> None:
    text = render_html(_report(V2))
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert "jp@1 → jp@2" in svg and "JPY trillion" in svg
    assert "A and B ÷ FY2022 GDP ¥560.00T (fixed year, est)" in svg
    for name in ("total", "increase", "decrease"):
        assert f">{name}</tspan>" in svg, f"legend entry {name}"


def test_bridge__bars_in_the_attribution_order_tail_folded_into_other() -> None:
    codes = [f"X{n:02d}" for n in range(MAX_BARS + 3)]
    extra = [e("CategoryDefined", code=c, name=c) for c in codes]
    extra += [
        e("BudgetLineRecorded", fiscal_year=2025, line_id=c, agency="A", category=c,
          amount=str((n + 1) * 10**9), stage="initial")
        for n, c in enumerate(codes)
    ]  # fmt: skip
    extra += open_version("jp", 2, [(c, "1", "core") for c in codes], based_on=1)
    section = _report(extra).sections[0]
    chart = bridge(section)
    assert chart.quantity == "money" and len(chart.bars) == MAX_BARS + 2
    assert chart.bars[-2].label == "Other (4)"
    steps = [int(b.label.split(".")[0]) for b in chart.bars[1:-2]]
    assert steps == sorted(steps), "the order the text lists the changes in"
    folded = {c.step for c in section.changes} - set(steps)
    assert any(f"Other (4): the smallest changes, steps {', '.join(map(str, sorted(folded)))}"
               in note for note in chart.notes)  # fmt: skip
    assert chart.bars[-2].end == chart.bars[-1].end == Fraction(section.b.measure)


def test_bridge__pp_falls_back_to_money_without_gdp() -> None:
    extra = open_version("jp", 3, [("JP.CORE.DBP", "1", "core")],
                         basis={"basis": "fixed-year", "fiscal_year": 2030})  # fmt: skip
    section = _report(extra, "jp@1", "jp@3").sections[0]
    assert section.b.share is None
    assert bridge(section, "pp").quantity == "money"
    text = render_html(_report(extra, "jp@1", "jp@3"), "pp")
    assert "no GDP recorded" in text and "drawn in money" in text


def test_bridge__from_zero_unless_a_broken_axis_is_asked_for() -> None:
    section = _report(V2).sections[0]
    zero = bridge(section)
    assert zero.ticks[0] == 0 and not zero.broken
    assert 'class="break"' not in render_html(_report(V2))
    broken = bridge(section, axis="broken")
    assert broken.broken and broken.ticks[0] > 0
    assert broken.notes[0].startswith(
        f"The value axis is broken: it starts at {broken.tick_text(broken.ticks[0])} JPY trillion"
    )
    assert 'class="break"' in render_html(_report(V2), axis="broken")


@pytest.mark.slow  # a big hypothesis run
@settings(max_examples=200, deadline=None)
@given(
    st.fractions(min_value=-(10**6), max_value=10**6), st.fractions(min_value=0, max_value=10**6)
)
def test_nice_ticks__round_steps_that_cover_the_range(low: Fraction, width: Fraction) -> None:
    high = low + width
    ticks = nice_ticks(low, high)
    step = ticks[1] - ticks[0]
    assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))
    assert ticks[0] <= low and ticks[-1] >= high
    assert 3 <= len(ticks) - 1 <= 10
    mantissa = step
    while mantissa >= 10:
        mantissa /= 10
    while mantissa < 1:
        mantissa *= 10
    assert mantissa in (1, 2, 5)
    assert all((t / step).denominator == 1 for t in ticks), "multiples of the step"
    assert all(Fraction(decimal_text(t, step_places(ticks))) == t for t in ticks), "exact labels"


def test_bridge_svg__labels_wrapped_never_cut_with_the_full_text_as_tooltip() -> None:
    report = _report(V2, "jp@1", "jp@2")
    report.sections[0] = replace(
        report.sections[0],
        b=replace(
            report.sections[0].b, label="jp@2 (what-if: +JP.CAND.SPACE=0.5:related, −JP.REL.JCG)"
        ),
    )
    text = render_html(report)
    parser = _parse(text)
    labels = re.findall(
        r'<text class="label"[^>]*><title>([^<]*)</title>((?:<tspan[^>]*>[^<]*</tspan>)+)</text>',
        text,
    )
    assert len(labels) == len(_bars(parser))
    for full, spans in labels:
        lines = re.findall(r">([^<]*)</tspan>", spans)
        assert "".join(lines).replace(" ", "") == full.replace(" ", ""), "nothing cut"
        assert all(len(line) <= LABEL_CHARS for line in lines if " " in line)
        assert "…" not in full
    assert any(len(re.findall("<tspan", spans)) > 1 for _, spans in labels), "a long one wraps"


def test_vega_lite_spec__the_same_chart() -> None:
    report = _report(V2)
    chart = bridge(report.sections[0], "pp")
    spec = vega_lite_spec(report, "pp")
    (one,) = spec["vconcat"]
    values = one["data"]["values"]
    assert [v["label"] for v in values] == [b.label for b in chart.bars]
    assert (values[0]["start"], values[0]["end"]) == ("0.000000", "1.785714")
    bar_layer = one["layer"][0]
    x = bar_layer["encoding"]["x"]
    assert x["title"] == "percent of GDP" and x["scale"]["zero"] is True
    assert x["axis"]["values"] == {
        "expr": "[" + ", ".join(chart.tick_text(t) for t in chart.ticks) + "]"
    }
    assert one["title"]["subtitle"][0].startswith("Shares of GDP: A and B ÷ FY2022 GDP")
    assert one["encoding"]["y"]["axis"]["labelLimit"] == 0, "labels never cut"
    assert not _floats(spec)


def test_vega_lite_spec__renders_one_bar_per_bar(tmp_path: Path) -> None:
    """The spec is valid Vega-Lite: vl-convert (Vega's own renderer) draws it, with as many
    rectangles in the bar layer as the SVG chart has bars."""
    vl_convert = pytest.importorskip("vl_convert", reason="vl-convert-python is in the test extra")
    report = _report(V2)
    svg = vl_convert.vegalite_to_svg(json.dumps(vega_lite_spec(report)))
    layer = re.search(
        r'class="mark-rect role-mark concat_0_layer_0_marks"[^>]*>(.*?)</g>', svg, re.S
    )
    assert layer is not None
    assert len(re.findall(r"<path", layer.group(1))) == len(bridge(report.sections[0]).bars)


def _floats(value: Any) -> list[Any]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []
