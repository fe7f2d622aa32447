"""Random but valid event sequences for the projection property tests.

A list of small integer tuples is interpreted as operations on a ledger that is tracked as they
are generated, so every produced event would pass ``ledger.intake.rules`` (a revision revises a live
line, a definition is edited only while a draft, statuses move forward, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from events import event_payload, parse_event

CATEGORIES = ("C.A", "C.B", "C.C", "C.D")
YEARS = (2023, 2024, 2025)
STAGES = ("initial", "supplementary", "settled")
AMOUNTS = ("100", "0.1", "123.45", "2500000000000", "7", "-3.5", "1E3", "0.000001")
SHARES = ("1", "0.5", "0.25", "0.3333", "0.1")
TIERS = ("core", "related")
VINTAGES = ("v1", "v2")

OPS = st.lists(
    st.tuples(*(st.integers(0, 12) if i == 0 else st.integers(0, 7) for i in range(5))),
    min_size=1,
    max_size=60,
)


@dataclass(frozen=True)
class Ev:
    """A stored-event look-alike for the pure fold."""

    seq: int
    type: str
    schema_version: int
    payload: dict[str, Any]


def interpret(ops: list[tuple[int, ...]]) -> list[dict[str, Any]]:
    """Events (``type`` + fields) for ``ops``, always valid under the ledger's rules."""
    events: list[dict[str, Any]] = [
        {"type": "CategoryDefined", "code": code, "name": code} for code in CATEGORIES
    ]
    lines: dict[tuple[int, str], bool] = {}  # (year, id) -> live
    versions: dict[int, str] = {}  # version -> status

    def add(event_type: str, **fields: Any) -> None:
        events.append({"type": event_type, **fields})

    def definition(version: int) -> dict[str, Any]:
        return {"definition": "d", "version": version}

    add("DefinitionVersionOpened", **definition(1), title="first")
    versions[1] = "draft"
    for kind, a, b, c, d in ops:
        year, line = YEARS[a % len(YEARS)], f"L{b % 5}"
        key = {"fiscal_year": year, "line_id": line}
        live = lines.get((year, line))
        editable = [v for v, s in sorted(versions.items()) if s == "draft"]
        if kind in (0, 1, 2, 3) and live is None:
            add(
                "BudgetLineRecorded",
                **key,
                agency="A",
                category=CATEGORIES[c % 4],
                amount=AMOUNTS[d % len(AMOUNTS)],
                stage=STAGES[(c + d) % 3],
            )
            lines[(year, line)] = True
        elif kind in (0, 1) and live:
            add("BudgetLineRevised", **key, amount=AMOUNTS[(c + d) % len(AMOUNTS)])
        elif kind == 2 and live:
            add("BudgetLineReclassified", **key, category=CATEGORIES[c % 4])
        elif kind == 3 and live:
            add("BudgetLineWithdrawn", **key)
            lines[(year, line)] = False
        elif kind == 4 and editable:
            add(
                "CategoryIncluded",
                **definition(editable[a % len(editable)]),
                category=CATEGORIES[b % 4],
                share=SHARES[c % len(SHARES)],
                tier=TIERS[d % 2],
            )
        elif kind == 5 and editable:
            add(
                "CategoryExcluded",
                **definition(editable[a % len(editable)]),
                category=CATEGORIES[b % 4],
            )
        elif kind == 6 and editable:
            stages = [s for i, s in enumerate(STAGES) if (b + 1) >> i & 1] or ["initial"]
            add("StagesSet", **definition(editable[a % len(editable)]), stages=stages)
        elif kind == 7 and editable:
            if b % 2:
                add("GdpBasisSet", **definition(editable[a % len(editable)]), basis="same-year")
            else:
                add(
                    "GdpBasisSet",
                    **definition(editable[a % len(editable)]),
                    basis="fixed-year",
                    fiscal_year=YEARS[c % 3],
                    vintage=VINTAGES[d % 2] if d % 3 == 0 else None,
                )
        elif kind == 8:
            version = sorted(versions)[a % len(versions)]
            status = versions[version]
            if status == "draft":
                new = "adopted" if b % 3 else "withdrawn"
                extra = {"effective_from": YEARS[c % 3]} if new == "adopted" else {}
                add("DefinitionStatusChanged", **definition(version), status=new, **extra)
                versions[version] = new
            elif status == "adopted":
                add("DefinitionStatusChanged", **definition(version), status="superseded")
                versions[version] = "superseded"
        elif kind == 9 and len(versions) < 4:
            number = max(versions) + 1
            base = sorted(versions)[a % len(versions)]
            add("DefinitionVersionOpened", **definition(number), title=f"v{number}", based_on=base)
            versions[number] = "draft"
        elif kind == 10:
            add(
                "GdpRecorded",
                fiscal_year=YEARS[a % 3] - (b % 2),
                amount=f"{5000 + c * 37}.5",
                vintage=VINTAGES[d % 2],
            )
        elif kind == 11:
            add(
                "TargetSet",
                target_id=f"t{a % 2}",
                percent_of_gdp=("2", "1", "3.5")[b % 3],
                by_fiscal_year=YEARS[c % 3],
                definition="d" if d % 2 else None,
                tier=(None, "core", "related")[d % 3],
            )
        elif kind == 12:
            add(
                "ExchangeRateRecorded",
                base="USD",
                quote="JPY",
                fiscal_year=YEARS[a % 3],
                rate=("150", "151.25")[b % 2],
            )
    return events


def as_stored(events: list[dict[str, Any]]) -> list[Ev]:
    """The events as the store would hold them (canonical payloads, seq 1..n)."""
    from events import SCHEMA_VERSIONS

    out = []
    for seq, data in enumerate(events, start=1):
        model = parse_event(data)
        out.append(Ev(seq, data["type"], SCHEMA_VERSIONS[data["type"]], event_payload(model)))
    return out


def expected_total(state: Any, year: int, version: Any, tier: str | None = None) -> Decimal:
    """Σ live lines × share, straight from the lines (independent of the running sums)."""
    total = Decimal(0)
    for line in state.lines.values():
        inclusion = version.categories.get(line.category)
        if (
            line.jurisdiction == "JP"
            and line.fiscal_year == year
            and not line.withdrawn
            and line.stage in version.counted_stages
            and inclusion is not None
            and (tier in (None, "all") or inclusion.tier == tier)
        ):
            total += line.amount * inclusion.share
    return total
