"""The share of GDP over the years, one line per definition version, with the targets drawn: a
chart as data, from the ``series`` table (``ledger.queries.series``). ``trend_svg`` draws it as
SVG (``ledger.reports.trend_svg``), ``trend_spec`` as Vega-Lite (``ledger.reports.vega``).

What a reader can rely on: the value axis starts at zero and ends at a round tick at or above
the highest share and target; ticks are round (1, 2 or 5 × 10^k); a point is filled where the
version was in force that year and hollow where it was not (what that version *would* count);
a year a version cannot put a share on (no GDP for its basis, a currency without a rate, or
nothing counted) is a gap in its line, said in a note, never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ledger.reports.chart import decimal_text, nice_ticks, step_places

COLOURS = ("#1d4ed8", "#c2410c", "#047857", "#7c3aed", "#b91c1c", "#0e7490", "#a16207",
           "#be185d")  # fmt: skip
DASHES = ("", "6 3", "2 2", "8 3 2 3")  # after the colours run out, the dash tells lines apart


@dataclass(frozen=True)
class Point:
    year: int
    value: Fraction  # percent of GDP, exact
    in_force: bool
    text: str  # as printed: "1.97 %"


@dataclass(frozen=True)
class Line:
    label: str  # jp-defense-related@2
    status: str
    colour: str
    dash: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class TargetLevel:
    value: Fraction
    text: str  # "2 %"
    names: tuple[str, ...]  # each target at this level, described


@dataclass(frozen=True)
class Trend:
    title: str
    years: tuple[int, ...]
    year_labels: tuple[str, ...]
    lines: tuple[Line, ...]
    targets: tuple[TargetLevel, ...]
    ticks: tuple[Fraction, ...]  # round values, percent of GDP, the first 0
    notes: tuple[str, ...]

    def tick_text(self, tick: Fraction) -> str:
        return decimal_text(tick, step_places(self.ticks))


def trend(series: dict[str, Any], places: int = 2) -> Trend:
    """The chart of a ``series`` table given as its JSON-ready parts (``meta`` and ``rows``)."""
    meta, rows = series["meta"], series["rows"]
    jurisdiction = meta["jurisdiction"]
    years = tuple(sorted({row["fiscal_year"] for row in rows}))
    labels = {
        row["fiscal_year"]: row.get("year_label") or f"FY{row['fiscal_year']}" for row in rows
    }
    by_line: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_line.setdefault(f"{row['definition']}@{row['version']}", []).append(row)
    lines: list[Line] = []
    gaps: dict[str, list[str]] = {}
    for index, (label, found) in enumerate(by_line.items()):
        points = []
        for row in sorted(found, key=lambda r: r["fiscal_year"]):
            exact = row["share_of_gdp_pct_exact"]
            if exact == "" or not row.get("counts_anything", True):
                gaps.setdefault(label, []).append(labels[row["fiscal_year"]])
                continue
            value = Fraction(exact)
            points.append(Point(row["fiscal_year"], value, bool(row["in_force"]),
                                f"{row['share_of_gdp_pct']} %"))  # fmt: skip
        colour = COLOURS[index % len(COLOURS)]
        dash = DASHES[(index // len(COLOURS)) % len(DASHES)]
        lines.append(Line(label, found[0]["status"], colour, dash, tuple(points)))
    levels: dict[Fraction, list[str]] = {}
    for target in meta.get("targets", []):
        whom = ", ".join(x for x in (target["definition"], target["tier"]) if x)
        described = (f"{target['target_id']}: {target['kind']} by {target['by_label']}"
                     + (f" ({whom})" if whom else ""))  # fmt: skip
        levels.setdefault(Fraction(target["percent_of_gdp"]), []).append(described)
    targets = tuple(
        TargetLevel(value, f"{decimal_text(value, _places(value))} %", tuple(names))
        for value, names in sorted(levels.items())
    )
    highest = max(
        [p.value for line in lines for p in line.points] + [t.value for t in targets],
        default=Fraction(1),
    )
    ticks = nice_ticks(Fraction(0), max(highest, Fraction(1, 10)))
    by_years: dict[str, list[str]] = {}
    for label, which in gaps.items():
        by_years.setdefault(", ".join(which), []).append(label)
    notes = (
        [
            "No share of GDP (no GDP for the basis, nothing counted, or a currency without a "
            "rate; the table says which): "
            + "; ".join(f"{', '.join(names)} in {which}" for which, names in by_years.items())
            + "."
        ]
        if by_years
        else []
    )
    span = f"{labels[years[0]]}–{labels[years[-1]]}" if years else "no years"
    title = f"{jurisdiction}: share of GDP, {span}, by definition version"
    return Trend(title, years, tuple(labels[y] for y in years), tuple(lines), targets, ticks,
                 tuple(notes))  # fmt: skip


def _places(value: Fraction) -> int:
    places = 0
    while (value * 10**places).denominator != 1:  # a decimal: it terminates
        places += 1
    return places
