"""The HTML reports as a reader sees them: rendered by headless Chromium at a phone's width
(390 px), a laptop's (1,280 px) and a desktop's (1,920 px). The page never scrolls sideways,
and every bar of every bridge chart has its label and its value on screen: inside the page and
the chart, not cut, not on top of another label or of a bar, at a readable size.

The screenshots are kept under tests/artifacts/browser/ (git-ignored): NAME-WIDTH.png (the
whole page) and NAME-WIDTH-chart.png (the first chart). Skipped, with the reason, when
Playwright or Chromium is missing (.ci/run installs Chromium)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.browser import ARTIFACTS, TAKEN, chromium, unavailable

pytestmark = pytest.mark.slow  # runs Chromium (another process) for every page and width

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "ledger" / "demo" / "seed" / "japan.jsonl"
WIDTHS = (390, 1280, 1920)
D = "jp-defense-related"
V4 = [  # a draft with two changes from @2, for a 2-change diff
    {"type": "DefinitionVersionOpened", "definition": D, "version": 4, "based_on": 2,
     "title": "Test draft: v2 with half the space fund, without Coast Guard/PKO"},
    {"type": "CategoryIncluded", "definition": D, "version": 4, "category": "JP.CAND.SPACE",
     "share": "0.5", "tier": "related"},
    {"type": "CategoryExcluded", "definition": D, "version": 4, "category": "JP.REL.JCG_PKO"},
]  # fmt: skip
REPORTS = {
    "diff-2-changes": ["diff", f"{D}@2", f"{D}@4", "--fy", "FY2025"],
    "diff-16-changes": ["diff", f"{D}@1", "nato@1", "--fy", "FY2022"],
    "diff-16-changes-pp": ["diff", f"{D}@1", "nato@1", "--fy", "FY2022", "--chart", "pp"],
    "as-of-decomposition": ["diff", "--as-of", "99", "--as-of", "119", "--definition", D,
                            "--fy", "FY2025"],
    "what-if": ["what-if", f"{D}@2", "--include", "JP.CAND.SPACE=0.5", "--exclude",
                "JP.REL.JCG", "--fy", "FY2025"],
    "diff-broken-axis": ["diff", f"{D}@1", f"{D}@3", "--fy", "FY2025", "--axis", "broken"],
    "diff-four-years": ["diff", f"{D}@1", f"{D}@3", "--fy", "FY2022..FY2025"],
}  # fmt: skip
GEOMETRY = """() => {
  const box = (node) => { const b = node.getBoundingClientRect();
                          return [b.left, b.top, b.right, b.bottom]; };
  const charts = [...document.querySelectorAll('svg.bridge')].map((svg) => ({
    svg: box(svg),
    bars: [...svg.querySelectorAll('rect.bar')].map((rect) => {
      const label = svg.querySelector(`text.label[data-bar="${rect.dataset.bar}"]`);
      const value = svg.querySelector(`text.value[data-bar="${rect.dataset.bar}"]`);
      return {
        bar: box(rect), label: box(label), value: box(value),
        lines: [...label.querySelectorAll('tspan')].map((t) => t.textContent),
        title: label.querySelector('title').textContent,
        shown: getComputedStyle(label).visibility === 'visible'
               && getComputedStyle(label).display !== 'none',
      };
    }),
    texts: [...svg.querySelectorAll('text')].map(
      (t) => ({box: box(t), cls: t.getAttribute('class')})),
  }));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth, charts};
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The reports, written by the CLI on the shipped Japan scenario (plus the @4 draft)."""
    from cli.app import cli

    work = tmp_path_factory.mktemp("reports")
    db = str(work / "japan.db")
    runner = CliRunner()
    draft = work / "v4.jsonl"
    draft.write_text("".join(json.dumps(e) + "\n" for e in V4), encoding="utf-8")
    for path in (SEED, draft):
        done = runner.invoke(cli, ["--db", db, "import", str(path)])
        assert done.exit_code == 0, done.output
    written = {}
    for name, args in REPORTS.items():
        target = work / f"{name}.html"
        done = runner.invoke(cli, ["--db", db, *args, "-o", str(target)])
        assert done.exit_code == 0, done.output
        written[name] = target
    return written


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = unavailable()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as found:
        yield found


def _overlap(a: list[float], b: list[float], slack: float = 0.5) -> bool:
    return (
        a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack
    )


def _inside(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def test_report_html__charts_in_the_attribution_order_of_the_text(pages: dict[str, Path]) -> None:
    """(No browser needed.) The 2-change diff has two bars between the totals; the 16-change
    diff draws only the changes that move money, the rest in one note."""
    two = pages["diff-2-changes"].read_text(encoding="utf-8")
    assert two.count('<rect class="bar ') == 2 + 2
    sixteen = pages["diff-16-changes"].read_text(encoding="utf-8")
    assert "16.\u00a0GDP basis changed" in sixteen and "Not drawn" in sixteen
    assert sixteen.count('<rect class="bar ') == 2 + 2


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(REPORTS))
def test_report_html__in_chromium_no_sideways_scroll_every_bar_label_visible(
    browser: Any, pages: dict[str, Path], name: str, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(pages[name].as_uri())
        shot = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        first = page.query_selector("figure.chart")
        assert first is not None, "the report has a chart"
        first.screenshot(path=str(ARTIFACTS / f"{name}-{width}-chart.png"))
        TAKEN.append(shot.name)
        found = page.evaluate(GEOMETRY)
    finally:
        page.close()
    assert found["scrollWidth"] <= found["innerWidth"], (
        f"{name} at {width} px scrolls sideways: {found['scrollWidth']} > {found['innerWidth']}"
    )
    screen = [0.0, -1e9, float(width), 1e9]
    for chart in found["charts"]:
        assert _inside(chart["svg"], screen), f"{name} at {width}: chart wider than the page"
        bars = chart["bars"]
        assert len(bars) >= 2
        for bar in bars:
            what = f"{name} at {width} px, bar {bar['title']!r}"
            assert bar["shown"], what
            assert " ".join(bar["lines"]).replace(" ", "") == bar["title"].replace(" ", ""), what
            for part in ("label", "value"):
                box = bar[part]
                assert box[2] - box[0] > 1 and box[3] - box[1] >= 7, f"{what}: {part} too small"
                assert _inside(box, screen) and _inside(box, chart["svg"]), f"{what}: {part} cut"
                assert not any(_overlap(box, other["bar"]) for other in bars), (
                    f"{what}: {part} on a bar"
                )
        for part in ("label", "value"):
            boxes = [bar[part] for bar in bars]
            for i, a in enumerate(boxes):
                assert not any(_overlap(a, b) for b in boxes[i + 1 :]), (
                    f"{name} at {width} px: {part}s overlap"
                )
        for text in chart["texts"]:
            assert _inside(text["box"], chart["svg"]), f"{name} at {width}: {text['cls']} cut"
