"""How ``defledger demo`` writes lists for people: runs of definition versions and of fiscal
years (labelled as each jurisdiction states them), and the GDP a share divides by (numbers are
written by ``ledger.numbers``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.projections.fold import dec_str
from ledger.projections.measure import GdpUsed
from ledger.projections.periods import YearLabel, fy_label


def gdp_doc(gdp: GdpUsed | None) -> dict[str, Any] | None:
    """The GDP figure a share divides by, with its amount in trillions (exact) for display."""
    if gdp is None:
        return None
    return {**gdp.meta(), "amount_tn": dec_str(gdp.amount.scaleb(-12))}


def labels_text(labels: Iterable[str]) -> str:
    """``jp-defense-related@1, @2, @3 and nato@1``: versions of one definition run together."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        name, _, version = label.partition("@")
        groups.setdefault(name, []).append(version)
    parts = [f"{name}@" + ", @".join(versions) for name, versions in groups.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def years_text(years: list[int], label: YearLabel = fy_label) -> str:
    """``FY2022–FY2025`` for a run, else a list; years labelled as the jurisdiction states
    them."""
    if not years:
        return "never"
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 1:
        return f"{label(years[0])}–{label(years[-1])}"
    return ", ".join(label(y) for y in years)


def year_of(doc: dict[str, Any], year: int) -> str:
    """A year as the demo document labels it (``year_labels``), ``FY2025`` by default."""
    return str(doc.get("year_labels", {}).get(str(year)) or fy_label(year))
