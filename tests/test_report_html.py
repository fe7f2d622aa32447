"""The HTML report: one self-contained file that parses, with an inline SVG bridge chart (one bar
per change plus the two totals) and no external URL; the Vega-Lite spec beside it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.diff_scenario import BOTH, base_events, e, fold, open_version, record

from ledger.reports.diff import diff_sections
from ledger.reports.model import DiffReport
from ledger.reports.render_html import MAX_BARS, bridge_bars, render_html, vega_lite_spec
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


@pytest.mark.parametrize("axis", ["money", "pp"])
def test_render_html__parses_with_one_bar_per_change_and_two_totals(axis: str) -> None:
    report = _report(V2)
    parser = _parse(render_html(report, axis))
    svgs = [attrs for tag, attrs in parser.tags if tag == "svg"]
    assert len(svgs) == 1
    bars = [
        attrs for tag, attrs in parser.tags if tag == "rect" and "bar" in (attrs["class"] or "")
    ]
    changes = report.sections[0].changes
    assert len(bars) == len(changes) + 2
    assert [b["class"] for b in bars][0] == [b["class"] for b in bars][-1] == "bar total"


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
    spec = json.loads((tmp_path / "report.vl.json").read_text(encoding="utf-8"))
    assert spec["$schema"].endswith("vega-lite/v5.json")
    values = spec["vconcat"][0]["data"]["values"]
    bars = [a for t, a in parser.tags if t == "rect" and "bar" in (a.get("class") or "")]
    assert len(values) == len(bars) == 3 + 2
    assert all(isinstance(v["start"], str) and isinstance(v["end"], str) for v in values)


def test_bridge_bars__tail_folded_into_other_and_reaches_b() -> None:
    codes = [f"X{n:02d}" for n in range(MAX_BARS + 3)]
    extra = [e("CategoryDefined", code=c, name=c) for c in codes]
    extra += [
        e("BudgetLineRecorded", fiscal_year=2025, line_id=c, agency="A", category=c,
          amount=str((n + 1) * 10**9), stage="initial")
        for n, c in enumerate(codes)
    ]  # fmt: skip
    extra += open_version("jp", 2, [(c, "1", "core") for c in codes], based_on=1)
    section = _report(extra).sections[0]
    bars, axis = bridge_bars(section, "money")
    assert axis == "money" and len(bars) == MAX_BARS + 2
    assert bars[-2].label == "Other (4)"
    assert bars[1].label == f"+ {codes[-1]}", "largest first"
    assert bars[-2].end == bars[-1].end == Fraction(section.b.measure)


def test_bridge_bars__pp_falls_back_to_money_without_gdp() -> None:
    extra = open_version("jp", 3, [("JP.CORE.DBP", "1", "core")],
                         basis={"basis": "fixed-year", "fiscal_year": 2030})  # fmt: skip
    section = _report(extra, "jp@1", "jp@3").sections[0]
    assert section.b.share is None
    assert bridge_bars(section, "pp")[1] == "money"
    assert "no GDP recorded" in render_html(_report(extra, "jp@1", "jp@3"), "pp")


def test_vega_lite_spec__values_are_strings_in_the_axis_unit() -> None:
    spec = vega_lite_spec(_report(V2), "pp")
    chart = spec["vconcat"][0]
    assert chart["encoding"]["y"]["title"] == "percent of GDP"
    first = chart["data"]["values"][0]
    assert (first["start"], first["end"]) == ("0.000000", "1.785714")
    assert {"calculate": "toNumber(datum.end)", "as": "y1"} in chart["transform"]
