"""A reconciliation as data and as blocks: the JSON document, one flat row per part (jsonl,
csv), the one-line summary, and the blocks every rendering reads (terminal text in ``cli``,
Markdown, HTML with its bridge chart and Vega-Lite spec, drawn by ``ledger.reports.chart``
as a diff's is).

Amounts are exact: ``*_exact`` to 50 significant digits (exact when the decimal terminates),
``*_fraction`` as ``numerator/denominator``, and the plain field as shown (exact when it
terminates, else to cents).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from ledger.numbers import DEFAULT, NumberFormat, compact, pp
from ledger.projections.comparable import amount_fields, amount_text
from ledger.projections.measure import exact_str, rounded_str
from ledger.reports.blocks import Block
from ledger.reports.chart import Bridge, Step, draw_bridge
from ledger.reports.reconcile import Part, Point, Reconciliation

SCHEMA_VERSION = 1
ROW_COLUMNS = [
    "report", "a", "b", "jurisdiction", "year", "unit", "part", "kind", "before", "after",
    "delta_amount", "delta_amount_exact", "delta_amount_fraction", "lines", "note",
]  # fmt: skip


def _short(value: Fraction, unit: str, sign: bool = False) -> str:
    return compact(Decimal(value.numerator) / Decimal(value.denominator), unit, sign=sign)


def _money(value: Fraction, sign: bool = False, numbers: NumberFormat = DEFAULT) -> str:
    """In ``numbers``' unit (``--unit``); in unit 1: exact (or to cents) with thousands
    separators."""
    if numbers.unit != "1":
        return numbers.amount(value, sign=sign)
    text = amount_text(value)
    whole, _, fraction = text.lstrip("-").partition(".")
    shown = ("-" if value < 0 else "") + format(int(whole), ",") + (f".{fraction}" if fraction
                                                                      else "")  # fmt: skip
    return ("+" + shown) if sign and value > 0 else shown


def part_label(part: Part) -> str:
    return f"{part.number}.\u00a0{part.kind} ({part.before} → {part.after})"


def stat_line(report: Reconciliation) -> str:
    """``definition +¥0.83T, period −¥0.40T: B − A = +¥0.42T``."""
    unit = report.unit
    parts = ", ".join(f"{p.kind} {_short(p.delta, unit, sign=True)}" for p in report.parts)
    return f"{parts or 'no differences'}: B − A = {_short(report.delta, unit, sign=True)}"


def _side_doc(point: Point) -> dict[str, Any]:
    figure = point.figure
    assert figure is not None and point.value is not None
    return {
        "measure": point.spec.text,
        "definition": point.spec.definition,
        "versions": [v.label for v in figure.versions],
        "tier": point.spec.tier,
        "stages": list(figure.stages),
        **figure.meta(),
        **amount_fields("total", point.value),
        **{f"share_of_gdp_pct{k}": v for k, v in _share(figure).items()},
        "formula": figure.formula(None if point.spec.tier in (None, "all") else point.spec.tier),
    }


def _share(figure: Any) -> dict[str, str]:
    share = figure.share(None)
    return {"": rounded_str(share, 2), "_exact": exact_str(share)}


def _part_doc(part: Part) -> dict[str, Any]:
    return {
        "part": part.number,
        "kind": part.kind,
        "dimensions": list(part.dimensions),
        "before": part.before,
        "after": part.after,
        **amount_fields("delta_amount", part.delta),
        "note": part.note,
        "lines": [
            {
                "line": d.key,
                "agency": d.line.agency,
                "program": d.line.program,
                "category": d.line.category,
                "stage": d.line.stage,
                "amount": str(d.line.amount),
                "currency": d.line.currency,
                **amount_fields("counted_before", d.before),
                **amount_fields("counted_after", d.after),
                **amount_fields("delta", d.delta),
            }
            for d in part.lines
        ],
    }


def reconcile_document(report: Reconciliation) -> dict[str, Any]:
    """The ``--format json`` document (docs/periods.md)."""
    return {
        "report": "reconcile",
        "schema_version": SCHEMA_VERSION,
        "a": report.a.spec.text,
        "b": report.b.spec.text,
        "jurisdiction": report.jurisdiction,
        "year": report.year,
        "unit": report.unit,
        "translation": [step.meta() for step in report.translation],
        "attribution": report.attribution,
        "attribution_order": report.order,
        "summary": stat_line(report),
        "sides": {"a": _side_doc(report.a), "b": _side_doc(report.b)},
        **amount_fields("difference", report.delta),
        "parts": [_part_doc(part) for part in report.parts],
        "notes": report.notes,
        "meta": report.meta,
    }


def reconcile_rows(report: Reconciliation) -> list[dict[str, Any]]:
    """One flat row per part (``--format jsonl`` and ``csv``)."""
    return [
        {
            "report": "reconcile",
            "a": report.a.spec.text,
            "b": report.b.spec.text,
            "jurisdiction": report.jurisdiction,
            "year": report.year,
            "unit": report.unit,
            "part": part.number,
            "kind": part.kind,
            "before": part.before,
            "after": part.after,
            **amount_fields("delta_amount", part.delta),
            "lines": " ".join(d.key for d in part.lines),
            "note": part.note,
        }
        for part in report.parts
    ]


def reconcile_bridge(report: Reconciliation, quantity: str = "money", axis: str = "zero") -> Bridge:
    """The bridge from A to B through the parts, in money (a reconciliation has no pp)."""
    assert report.a.value is not None and report.b.value is not None
    notes = ["A reconciliation is drawn in money."] if quantity == "pp" else []
    steps = [Step(part_label(p), p.delta, p.note, p.number) for p in report.parts]
    subtitle = tuple(
        f"{tag}: {point.spec.text} — {point.figure.formula() if point.figure else ''}"
        for tag, point in (("A", report.a), ("B", report.b))
    )
    return draw_bridge(
        f"{report.jurisdiction} {report.year}: reconciling A with B", subtitle, report.unit,
        "money", (f"A: {report.a.spec.text}", report.a.value), steps,
        (f"B: {report.b.spec.text}", report.b.value), axis, notes=notes,
    )  # fmt: skip


def _side_row(tag: str, point: Point, numbers: NumberFormat) -> list[str]:
    figure = point.figure
    assert figure is not None and point.value is not None
    spec = point.spec
    return [
        tag,
        spec.text,
        "+".join(v.label for v in figure.versions),
        ",".join(figure.stages),
        figure.label,
        figure.convention.prices_text(),
        _money(point.value, numbers=numbers),
        pp(figure.share(None), numbers.places, sign=False),
        figure.conversion_text(),
    ]


def reconcile_blocks(report: Reconciliation, numbers: NumberFormat = DEFAULT) -> list[Block]:
    """Heading, summary, the two sides, the bridge, the parts, the lines, the notes; amounts
    written with ``numbers`` (``--unit``, ``--places``)."""
    unit = numbers.unit_label(report.unit)
    money = partial(_money, numbers=numbers)
    blocks = [
        Block("heading", f"Reconciliation: {report.a.spec.text} → {report.b.spec.text}", level=1),
        Block("text", _moment(report.meta)),
        Block("text", f"Attribution (sequential, in this order): {report.order}."),
        Block("heading", f"{report.jurisdiction} {report.year}", level=2),
        Block("summary", stat_line(report)),
    ]
    columns = ["", "measure", "definition", "stages", "year", "prices", f"total ({unit})",
               "share of GDP (%)", "conversion"]  # fmt: skip
    rows = [_side_row("A", report.a, numbers), _side_row("B", report.b, numbers)]
    rows.append(["Δ", "B − A", "", "", "", "", money(report.delta, sign=True), "", ""])
    blocks.append(Block("table", columns=columns, rows=rows, right={6, 7}))
    blocks.append(Block("chart", draw=partial(reconcile_bridge, report)))
    blocks.append(Block("heading", "Parts, in attribution order", level=3))
    part_rows = [
        [
            str(p.number),
            p.kind,
            p.before,
            p.after,
            money(p.delta, sign=True),
            str(len(p.lines)),
            p.note,
        ]  # fmt: skip
        for p in report.parts
    ]
    part_rows.append(["", "Σ = B − A", "", "", money(report.delta, sign=True), "", ""])
    blocks.append(
        Block(
            "table",
            columns=["#", "part", "A's", "B's", f"Δ amount ({unit})", "lines", "note"],
            rows=part_rows,
            right={0, 4, 5},
        )  # fmt: skip
    )
    line_rows = [
        [
            str(p.number),
            d.key,
            d.line.agency,
            d.line.category,
            d.line.stage,
            money(Fraction(d.line.amount)),
            money(d.before),
            money(d.after),
            money(d.delta, sign=True),
        ]  # fmt: skip
        for p in report.parts
        for d in p.lines
    ]
    if line_rows:
        blocks.append(Block("heading", "Budget lines each part moves", level=3))
        columns = ["#", "line", "agency", "category", "stage", "amount", "counted before",
                   "counted after", "Δ counted"]  # fmt: skip
        blocks.append(Block("table", columns=columns, rows=line_rows, right={0, 5, 6, 7, 8}))
    blocks += [Block("text", note) for note in report.notes]
    for tag, point in (("A", report.a), ("B", report.b)):
        if point.figure is not None:
            blocks.append(Block("text", f"{tag}: {point.figure.formula()}"))
    return blocks


def _moment(meta: dict[str, Any]) -> str:
    as_of = meta.get("as_of") or {}
    head = (meta.get("head") or {}).get("seq")
    spec = f" ({as_of['spec']})" if as_of.get("spec") else " (head)"
    return (
        f"as of seq {as_of.get('seq')}{spec}, recorded {as_of.get('recorded_at')}; ledger head "
        f"seq {head}"
    )
