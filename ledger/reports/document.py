"""A diff report as data: the stable JSON document, one flat row per change (jsonl, csv), the
one-line summary, and the number formats every renderer shares.

Every number in the JSON document is an ``int`` (seqs, years, counts) or a string: amounts are
exact decimal strings; a share of GDP or a change in percentage points is given three ways —
``*_pct``/``*_pp`` to 50 significant digits (exact when the decimal terminates), ``*_rounded``
half up to ``PP_PLACES`` decimals, and ``*_fraction`` as an exact ``numerator/denominator``.
The schema is documented in ``docs/reports.md``; ``SCHEMA_VERSION`` changes when it does.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.numbers import SYMBOLS as SYMBOLS
from ledger.numbers import compact as money_short
from ledger.numbers import pp as pp
from ledger.projections.fold import dec_str
from ledger.projections.measure import exact_str, rounded_str
from ledger.reports.model import PP_PLACES, Change, DiffReport, LineEffect, Section, Side

SCHEMA_VERSION = 2
STAT_PP_PLACES = 2
KIND_LABELS = {
    "category-added": "category added",
    "category-removed": "category removed",
    "re-weighted": "re-weighted",
    "tier-moved": "tier moved",
    "stage-added": "stage added",
    "stage-removed": "stage removed",
    "stage-rule": "stage rule changed",
    "gdp-basis": "GDP basis changed",
    "exchange-rates": "exchange rates changed",
    "lines-recorded": "lines recorded",
    "lines-revised": "lines revised",
    "lines-reclassified": "lines reclassified",
    "lines-withdrawn": "lines withdrawn",
    "gdp-revision": "GDP revised",
    "version-switch": "version in force changed",
}
GROUP_LABELS = {
    "definition": "(a) definition change alone",
    "figures": "(b) figure changes alone",
    "joint": "(c) joint effect of both",
    "gdp": "(d) GDP revision",
}
PART_SHORT = {"definition": "(a) definition alone", "figures": "(b) figures alone",
              "joint": "(c) joint", "gdp": "(d) GDP revision"}  # fmt: skip
FIGURE_NOUNS = {"exchange-rates": ("exchange rate", "exchange rates")}


# -- numbers --------------------------------------------------------------------------------


def fraction_str(value: Fraction | None) -> str | None:
    if value is None:
        return None
    return str(value.numerator) if value.denominator == 1 else f"{value}"


def ratio_fields(prefix: str, value: Fraction | None) -> dict[str, str | None]:
    return {
        prefix: exact_str(value) if value is not None else None,
        f"{prefix}_rounded": rounded_str(value, PP_PLACES) if value is not None else None,
        f"{prefix}_fraction": fraction_str(value),
    }


# -- summary --------------------------------------------------------------------------------


def _count(kind: str, n: int, first_category: bool) -> str:
    noun = {"category": ("category", "categories"), "stage": ("stage", "stages")}
    if kind.startswith("category-") or kind in ("re-weighted", "tier-moved"):
        verb = {"category-added": "added", "category-removed": "removed",
                "re-weighted": "re-weighted", "tier-moved": "moved tier"}[kind]  # fmt: skip
        word = noun["category"][n != 1] + " " if first_category else ""
        return f"{n} {word}{verb}"
    if kind in ("stage-added", "stage-removed"):
        return f"{n} {noun['stage'][n != 1]} {kind.removeprefix('stage-')}"
    return KIND_LABELS.get(kind, kind)


def stat_line(section: Section) -> str:
    """``3 categories added, 1 re-weighted: +¥1.52T, +0.27 pp``."""
    counts: dict[str, int] = {}
    for change in section.changes:
        if change.group in ("", "definition"):
            counts[change.kind] = counts.get(change.kind, 0) + 1
    phrases, first_category = [], True
    for kind, n in counts.items():
        phrases.append(_count(kind, n, first_category))
        if kind.startswith("category-") or kind in ("re-weighted", "tier-moved"):
            first_category = False
    for change in section.changes:
        if change.group == "figures":
            n = len(change.items)
            noun = FIGURE_NOUNS.get(change.kind, ("line", "lines"))[n != 1]
            verb = KIND_LABELS[change.kind].rsplit(" ", 1)[-1]
            phrases.append(f"{n} {noun} {verb}")
    if any(c.group == "gdp" and c.delta_pp for c in section.changes):
        phrases.append("GDP revised")
    head = ", ".join(phrases) or "no differences"
    effect = money_short(section.delta_amount, section.currency, sign=True)
    line = f"{head}: {effect}, {pp(section.delta_pp, STAT_PP_PLACES)} pp"
    parts = parts_of(section)
    if parts:
        shown = [
            f"{PART_SHORT[p['part']]} "
            + (
                f"{pp(_fraction(p['delta_pp_fraction']), STAT_PP_PLACES)} pp"
                if p["part"] == "gdp"
                else money_short(Decimal(p["delta_amount"]), section.currency, sign=True)
            )
            for p in parts
        ]
        line += "; of which " + ", ".join(shown)
    return line


def _fraction(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


# -- JSON -----------------------------------------------------------------------------------


def side_doc(side: Side) -> dict[str, Any]:
    version, measured = side.version, side.evaluation.measure
    return {
        "label": side.label,
        "definition": version.definition,
        "version": version.version,
        "status": version.status,
        "effective_from": version.effective_from,
        "as_of_seq": side.as_of,
        "stages": list(measured.stages),
        "stage_rule": version.stage_rule,
        "gdp_basis": version.basis.label(),
        "total": dec_str(side.measure),
        "tiers": {tier: dec_str(amount) for tier, amount in measured.tiers.items()},
        "gdp": measured.gdp.meta() if measured.gdp else None,
        **ratio_fields("share_pct", side.share),
    }


def line_doc(effect: LineEffect) -> dict[str, Any]:
    return {
        "line_id": effect.line_id,
        "agency": effect.agency,
        "program": effect.program,
        "category": effect.category,
        "stage": effect.stage,
        "amount": dec_str(effect.amount),
        "counted_before": dec_str(effect.before),
        "counted_after": dec_str(effect.after),
        "delta": dec_str(effect.delta),
        "tier_before": effect.tier_before,
        "tier_after": effect.tier_after,
    }


def change_doc(change: Change) -> dict[str, Any]:
    return {
        "step": change.step,
        "group": change.group or None,
        "kind": change.kind,
        "key": change.key,
        "before": change.before,
        "after": change.after,
        "delta_amount": dec_str(change.delta_amount),
        **ratio_fields("delta_pp", change.delta_pp),
        "tier_deltas": {tier: dec_str(amount) for tier, amount in change.tier_deltas.items()},
        "note": change.note,
        "seqs": list(change.seqs),
        "items": list(change.items),
        "lines": [line_doc(effect) for effect in change.lines],
    }


def parts_of(section: Section) -> list[dict[str, Any]]:
    """Decompositions: the Δ per part (definition alone, figures alone, joint, GDP), in the
    order the report lists them."""
    groups: dict[str, list[Change]] = {}
    for change in section.changes:
        if change.group:
            groups.setdefault(change.group, []).append(change)
    parts = []
    for group in GROUP_LABELS:
        members = groups.get(group, [])
        pps = [c.delta_pp for c in members if c.delta_pp is not None]
        total_pp = None if len(pps) < len(members) else sum(pps, Fraction(0))
        parts.append(
            {
                "part": group,
                "label": GROUP_LABELS[group],
                "delta_amount": dec_str(sum((c.delta_amount for c in members), Decimal(0))),
                **ratio_fields("delta_pp", total_pp),
            }
        )
    return parts if groups else []


def section_doc(section: Section) -> dict[str, Any]:
    return {
        "jurisdiction": section.jurisdiction,
        "fiscal_year": section.fiscal_year,
        "year_label": section.year_label,
        "currency": section.currency,
        "tier": section.tier,
        "summary": stat_line(section),
        "a": side_doc(section.a),
        "b": side_doc(section.b),
        "delta": {"amount": dec_str(section.delta_amount), **ratio_fields("pp", section.delta_pp)},
        "structure": {"a": section.doc_a, "b": section.doc_b, "delta": section.delta},
        "changes": [change_doc(change) for change in section.changes],
        "parts": parts_of(section),
        "events": list(section.events),
        "notes": list(section.notes),
    }


def report_document(report: DiffReport) -> dict[str, Any]:
    """The ``--format json`` document (see docs/reports.md)."""
    return {
        "report": report.kind,
        "schema_version": SCHEMA_VERSION,
        "a": report.a_label,
        "b": report.b_label,
        "attribution": report.attribution,
        "attribution_order": report.order,
        "meta": report.meta,
        "sections": [section_doc(section) for section in report.sections],
    }


ROW_COLUMNS = [
    "report", "a", "b", "jurisdiction", "fiscal_year", "step", "group", "kind", "key", "before",
    "after", "delta_amount", "delta_pp", "delta_pp_rounded", "delta_pp_fraction", "lines",
    "line_ids", "note", "seqs",
]  # fmt: skip


def report_rows(report: DiffReport) -> list[dict[str, Any]]:
    """One flat row per change (``--format jsonl`` and ``csv``)."""
    rows = []
    for section in report.sections:
        for change in section.changes:
            rows.append(
                {
                    "report": report.kind,
                    "a": section.a.label,
                    "b": section.b.label,
                    "jurisdiction": section.jurisdiction,
                    "fiscal_year": section.fiscal_year,
                    "step": change.step,
                    "group": change.group or None,
                    "kind": change.kind,
                    "key": change.key,
                    "before": change.before,
                    "after": change.after,
                    "delta_amount": dec_str(change.delta_amount),
                    **ratio_fields("delta_pp", change.delta_pp),
                    "lines": len(change.lines),
                    "line_ids": " ".join(effect.line_id for effect in change.lines),
                    "note": change.note,
                    "seqs": " ".join(str(seq) for seq in change.seqs),
                }
            )
    return rows
