"""The primer §8 numbers as events, for the diff, decomposition and what-if tests.

FY2025 initial: DBP 8.5T (core), JCG 0.5T + PKO 0.2T + RND 0.8T (related) = 10.0T; candidate
lines SPACE 0.2T and SHIP 0.12T; supplementary DBP 1.1T; pensions 0.4T (NATO only). FY2024:
9.9T initial + 1.1T supplementary = 11.0T. GDP FY2022: 560T (estimate), 566.5T (ESRI);
FY2025: 620T (hypothetical, for same-year bases).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events import SCHEMA_VERSIONS, Provenance, parse_event
from ledger.projections.fold import LedgerState, fold_all
from ledger.storage.records import PendingEvent
from ledger.storage.store import EventStore

T = 10**12
BOTH = ["initial", "supplementary"]
CATEGORIES = [
    "JP.CORE.DBP", "JP.REL.JCG", "JP.REL.PKO", "JP.REL.RND", "JP.CAND.SPACE", "JP.CAND.SHIP",
    "JP.CAND.ENERGY", "JP.NATO.PENSIONS",
]  # fmt: skip
LINES = [  # line id, category, amount, stage, fiscal year
    ("MOD-DBP", "JP.CORE.DBP", "8500000000000", "initial", 2025),
    ("JCG", "JP.REL.JCG", "500000000000", "initial", 2025),
    ("PKO", "JP.REL.PKO", "200000000000", "initial", 2025),
    ("RND", "JP.REL.RND", "800000000000", "initial", 2025),
    ("SPACE-FUND", "JP.CAND.SPACE", "200000000000", "initial", 2025),
    ("SHIP-FUND", "JP.CAND.SHIP", "120000000000", "initial", 2025),
    ("MOD-SUPP", "JP.CORE.DBP", "1100000000000", "supplementary", 2025),
    ("PENSIONS", "JP.NATO.PENSIONS", "400000000000", "initial", 2025),
    ("MOD-DBP-24", "JP.CORE.DBP", "9900000000000", "initial", 2024),
    ("MOD-SUPP-24", "JP.CORE.DBP", "1100000000000", "supplementary", 2024),
]
NSS = [("JP.CORE.DBP", "1", "core"), ("JP.REL.JCG", "1", "related"),
       ("JP.REL.PKO", "1", "related"), ("JP.REL.RND", "1", "related")]  # fmt: skip


def e(event_type: str, **fields: Any) -> dict[str, Any]:
    return {"type": event_type, **fields}


def open_version(
    name: str,
    version: int,
    inclusions: list[tuple[str, str, str]],
    *,
    based_on: int | None = None,
    stages: list[str] | None = None,
    basis: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Events that open ``name@version`` with these inclusions, stages and GDP basis."""
    found = [e("DefinitionVersionOpened", definition=name, version=version, based_on=based_on,
               title=f"{name} v{version}")]  # fmt: skip
    found += [
        e("CategoryIncluded", definition=name, version=version, category=c, share=s, tier=t)
        for c, s, t in inclusions
    ]
    if stages:
        found.append(e("StagesSet", definition=name, version=version, stages=stages))
    basis = basis if basis is not None else {"basis": "fixed-year", "fiscal_year": 2022}
    found.append(e("GdpBasisSet", definition=name, version=version, **basis))
    return found


def base_events() -> list[dict[str, Any]]:
    """Categories, jp@1 (the NSS set, FY2022 GDP), every line and GDP figure."""
    found = [e("CategoryDefined", code=code, name=code) for code in CATEGORIES]
    found += open_version("jp", 1, NSS)
    for line_id, category, amount, stage, year in LINES:
        found.append(e("BudgetLineRecorded", jurisdiction="JP", fiscal_year=year, line_id=line_id,
                       agency="Ministry", program=line_id, category=category, amount=amount,
                       currency="JPY", stage=stage))  # fmt: skip
    found += [
        e("GdpRecorded", fiscal_year=2022, amount=str(560 * T), currency="JPY", vintage="est"),
        e("GdpRecorded", fiscal_year=2025, amount=str(620 * T), currency="JPY", vintage="proj"),
    ]
    return found


@dataclass(frozen=True)
class Raw:
    """An event as the fold reads it (``StoredEvent`` has the same fields)."""

    seq: int
    type: str
    schema_version: int
    payload: dict[str, Any]


PROVENANCE = ("reason", "source", "idempotency_key")


def validated(events: list[dict[str, Any]]) -> list[PendingEvent]:
    """Events (with optional ``reason``/``source``) as validated pending events."""
    found = []
    for event in events:
        fields = {k: v for k, v in event.items() if k not in PROVENANCE}
        provenance = {k: v for k, v in event.items() if k in PROVENANCE}
        found.append(PendingEvent(parse_event(fields), Provenance(actor="tester", **provenance)))
    return found


def fold(events: list[dict[str, Any]]) -> LedgerState:
    """The state after ``events`` (validated first, exactly as the store would keep them)."""
    raws = []
    for seq, pending in enumerate(validated(events), start=1):
        payload = pending.event.model_dump(mode="json")
        event_type = payload.pop("type")
        raws.append(Raw(seq, event_type, SCHEMA_VERSIONS[event_type], payload))
    return fold_all(raws)


def record(store: EventStore, events: list[dict[str, Any]]) -> int:
    """Append ``events`` (all or nothing); the head seq after."""
    store.append_events(validated(events))
    head = store.head()
    return head.seq if head else 0
