"""What converting a figure needs besides the budget lines, as recorded: each jurisdiction's
calendarisation rule and year basis, every exchange rate with its period, vintage and source,
and every price-index series by vintage.

Read from their own streams (``calendar-rule/``, ``year-basis/``, ``fx/``, ``price-index/``; a
few events) as of the moment a question asks about, and folded here; the latest event of a
stream restates it. Nothing here changes a recorded figure: conversions happen only when a
question asks for them (``ledger.projections.comparable``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.projections.calendar import CalendarRule, rule_of
from ledger.projections.periods import Periods, year_basis_of
from ledger.projections.prices import PriceIndex, pick_index, price_index
from ledger.projections.rates import RateRecord, RateStep, find_rate, rate_record
from ledger.projections.sql import prefix_events
from ledger.storage.records import DECODE_ERRORS, current_payload, unreadable
from ledger.storage.store import EventStore

PREFIXES = ("calendar-rule/", "year-basis/", "fx/", "price-index/")
TYPES = frozenset(
    {"CalendarisationRuleSet", "YearBasisSet", "ExchangeRateRecorded", "PriceIndexRecorded"}
)


@dataclass
class Conversions:
    """The rules, rates and price indexes recorded as of ``last_seq``."""

    periods: Periods = field(default_factory=Periods)
    rules: dict[str, tuple[dict[str, Any], int, str]] = field(default_factory=dict)
    rates: list[RateRecord] = field(default_factory=list)
    indexes: dict[tuple[str, str, str], PriceIndex] = field(default_factory=dict)
    last_seq: int = 0

    def apply(
        self,
        seq: int,
        event_type: str,
        schema_version: int,
        payload: dict[str, Any],
        source: dict[str, Any] | None = None,
    ) -> None:
        """Fold one event (other types are ignored)."""
        if event_type not in TYPES:
            return
        try:
            p = current_payload(event_type, schema_version, payload)
            title = str((source or {}).get("title") or "")
            if event_type == "CalendarisationRuleSet":
                self.rules[str(p["jurisdiction"])] = (p, seq, title)
            elif event_type == "YearBasisSet":
                self.periods.bases[str(p["jurisdiction"])] = year_basis_of(p, seq)
            elif event_type == "ExchangeRateRecorded":
                self.rates.append(rate_record(seq, p, source))
            else:
                found = price_index(seq, p, source)
                self.indexes[(found.jurisdiction, found.series, found.vintage)] = found
        except DECODE_ERRORS as exc:
            raise unreadable(seq, event_type, schema_version, exc) from None
        self.last_seq = max(self.last_seq, seq)

    def rule(self, jurisdiction: str) -> CalendarRule:
        """The calendarisation rule of ``jurisdiction`` (``InvalidInput`` when none)."""
        payload, seq, source = self.rules.get(jurisdiction, (None, None, ""))
        return rule_of(jurisdiction, payload, seq, self.periods.of(jurisdiction), source)

    def rate(
        self, from_currency: str, to_currency: str, year: int, period: str, vintage: str | None
    ) -> RateStep:
        return find_rate(self.rates, from_currency, to_currency, year, period, vintage)

    def index(self, jurisdiction: str, series: str | None, vintage: str | None) -> PriceIndex:
        return pick_index(self.indexes, jurisdiction, series, vintage)


def fold_conversions(events: Iterable[Any]) -> Conversions:
    """Conversions from events in seq order (anything with seq, type, schema_version, payload
    and source)."""
    found = Conversions()
    for event in events:
        found.apply(event.seq, event.type, event.schema_version, event.payload, event.source)
    return found


def conversions_at(store: EventStore, seq: int) -> Conversions:
    """The conversions recorded as of ``seq``."""
    return fold_conversions(prefix_events(store, PREFIXES, seq))
