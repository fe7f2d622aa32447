"""Projections as pure folds: ``apply(state, event) -> state`` over stored events.

``LedgerState`` holds every read model the measures need: the current state of each budget
line; running sums per (jurisdiction, fiscal year) × (stage, category, currency), updated by
deltas when a line is recorded, revised, reclassified or withdrawn; definition versions; GDP by
jurisdiction, year and vintage; targets; exchange rates; categories; and ``last_seq``, the
checkpoint. Definitions are applied to the sums at query time (few categories × stages), so a
total never needs the lines.

The fold reads ``StoredEvent.type`` and ``.payload`` (the stored JSON dict) directly; pydantic
is not run per event. A payload of an older ``schema_version`` is upcast first. A line's state
comes from ``ledger.intake.lines.line_transition``, the one line fold the import and the rules
use too; this module moves the sums by the difference. The fold does no I/O;
``ledger.projections.persisted`` persists the same state in tables and catches it up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import (
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    localcontext,
)
from typing import Any, Protocol

from events.values import SCHEMA_JURISDICTION
from ledger.intake.lines import (
    LINE_EVENTS,
    CellKey,
    LineState,
    key_of_payload,
    line_transition,
)
from ledger.numbers import dec_str as dec_str  # its home is ledger.numbers
from ledger.projections.definitions import (
    DEFINITION_EVENTS,
    DefinitionKey,
    DefinitionVersion,
    apply_definition_event,
)
from ledger.storage.records import DECODE_ERRORS, current_payload, unreadable

# Sums and products of ledger amounts (≤ 40 digits, exponents within ±30) stay exact far below
# this precision; any rounding would raise instead of silently losing money.
EXACT = Context(prec=1000, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded])

GroupKey = tuple[str, int]  # (jurisdiction, fiscal year)


class EventLike(Protocol):
    """What the fold needs of an event (``StoredEvent`` has it, so does an exported row)."""

    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def schema_version(self) -> int: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(slots=True)
class SumCell:
    """Running sum of the live lines of one (stage, category, currency) and how many they are."""

    amount: Decimal
    lines: int


@dataclass(frozen=True, slots=True)
class GdpFigure:
    amount: Decimal
    currency: str
    seq: int


@dataclass(frozen=True, slots=True)
class Target:
    jurisdiction: str
    target_id: str
    percent_of_gdp: Decimal
    by_fiscal_year: int
    kind: str
    definition: str | None
    tier: str | None
    description: str
    seq: int


@dataclass(frozen=True, slots=True)
class Rate:
    rate: Decimal
    rate_type: str
    seq: int


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    parent: str | None
    seq: int


@dataclass
class LedgerState:
    """Everything the projections hold, as of ``last_seq``.

    ``lines`` holds every line after ``fold_all``; a state loaded from the database or a
    snapshot holds only the lines it needed (``lines_complete`` False). The ``dirty_*`` sets
    record what the last folds touched, so a persisted projection writes back only that.
    """

    last_seq: int = 0
    lines: dict[str, LineState] = field(default_factory=dict)
    sums: dict[GroupKey, dict[CellKey, SumCell]] = field(default_factory=dict)
    definitions: dict[DefinitionKey, DefinitionVersion] = field(default_factory=dict)
    gdp: dict[GroupKey, dict[str, GdpFigure]] = field(default_factory=dict)
    targets: dict[tuple[str, str], Target] = field(default_factory=dict)
    rates: dict[tuple[str, str, int], Rate] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    lines_complete: bool = True
    dirty_lines: set[str] = field(default_factory=set)
    dirty_groups: set[GroupKey] = field(default_factory=set)
    dirty_small: set[str] = field(default_factory=set)

    def group(self, jurisdiction: str, fiscal_year: int) -> dict[CellKey, SumCell]:
        return self.sums.get((jurisdiction, fiscal_year), {})

    def latest_gdp(
        self, jurisdiction: str, fiscal_year: int, vintage: str | None = None
    ) -> tuple[str, GdpFigure] | None:
        """(vintage, figure): the named vintage, or the most recently recorded one."""
        figures = self.gdp.get((jurisdiction, fiscal_year), {})
        if vintage is not None:
            found = figures.get(vintage)
            return None if found is None else (vintage, found)
        if not figures:
            return None
        return max(figures.items(), key=lambda item: item[1].seq)

    def clear_dirty(self) -> None:
        self.dirty_lines.clear()
        self.dirty_groups.clear()
        self.dirty_small.clear()


def _move(state: LedgerState, line: LineState, amount: Decimal, lines: int) -> None:
    """Add ``amount`` and ``lines`` to the sum cell of ``line`` (negative to remove it)."""
    group_key = (line.jurisdiction, line.fiscal_year)
    group = state.sums.get(group_key)
    if group is None:
        group = state.sums[group_key] = {}
    cell_key = (line.stage, line.category, line.currency)
    cell = group.get(cell_key)
    if cell is None:
        group[cell_key] = SumCell(amount, lines)
    else:
        cell.amount += amount
        cell.lines += lines
        if cell.lines == 0:
            del group[cell_key]
            if not group:
                del state.sums[group_key]
    state.dirty_groups.add(group_key)


def _apply_line(state: LedgerState, seq: int, event_type: str, payload: dict[str, Any]) -> None:
    """Replace a line by its next state (``line_transition``, the one line fold) and move its
    sum cell by the difference."""
    key = key_of_payload(payload)
    before = state.lines.get(key)
    after = line_transition(before, seq, event_type, payload)
    if after is before or after is None:
        return  # an event the line cannot take changes nothing
    if before is None:
        _move(state, after, after.amount, 1)
    elif after.withdrawn or after.category != before.category:
        _move(state, before, -before.amount, -1)
        if not after.withdrawn:
            _move(state, after, after.amount, 1)
    else:
        _move(state, after, after.amount - before.amount, 0)
    state.lines[key] = after
    state.dirty_lines.add(key)


def _apply_other(state: LedgerState, seq: int, event_type: str, p: dict[str, Any]) -> None:
    if event_type in DEFINITION_EVENTS:
        apply_definition_event(state.definitions, seq, event_type, p)
        state.dirty_small.add("definitions")
    elif event_type == "GdpRecorded":
        figures = state.gdp.setdefault(
            (p.get("jurisdiction") or SCHEMA_JURISDICTION, int(p["fiscal_year"])), {}
        )
        figures[p["vintage"]] = GdpFigure(Decimal(p["amount"]), p["currency"], seq)
        state.dirty_small.add("gdp")
    elif event_type == "TargetSet":
        jurisdiction = p.get("jurisdiction") or SCHEMA_JURISDICTION
        state.targets[(jurisdiction, p["target_id"])] = Target(
            jurisdiction=jurisdiction,
            target_id=p["target_id"],
            percent_of_gdp=Decimal(p["percent_of_gdp"]),
            by_fiscal_year=int(p["by_fiscal_year"]),
            kind=p.get("kind") or "floor",
            definition=p.get("definition"),
            tier=p.get("tier"),
            description=p.get("description", ""),
            seq=seq,
        )
        state.dirty_small.add("targets")
    elif event_type == "ExchangeRateRecorded" and p.get("period", "fiscal") == "fiscal":
        # a calendar-year rate converts only on request (ledger.projections.comparable)
        state.rates[(p["base"], p["quote"], int(p["fiscal_year"]))] = Rate(
            Decimal(p["rate"]), p.get("rate_type") or "average", seq
        )
        state.dirty_small.add("rates")
    elif event_type == "CategoryDefined":
        state.categories[p["code"]] = Category(p["name"], p.get("parent"), seq)
        state.dirty_small.add("categories")


def apply_raw(
    state: LedgerState, seq: int, event_type: str, schema_version: int, payload: dict[str, Any]
) -> LedgerState:
    """Fold one event given as its parts. Call inside ``localcontext(EXACT)``. A payload that
    is not what its type says (changed outside defledger) is an ``IntegrityFailure``."""
    try:
        payload = current_payload(event_type, schema_version, payload)
        if event_type in LINE_EVENTS:
            _apply_line(state, seq, event_type, payload)
        else:
            _apply_other(state, seq, event_type, payload)
    except DECODE_ERRORS as exc:
        raise unreadable(seq, event_type, schema_version, exc) from None
    state.last_seq = seq
    return state


def apply(state: LedgerState, event: EventLike) -> LedgerState:
    """Fold one event into ``state`` (updated in place and returned). Deterministic, no I/O."""
    with localcontext(EXACT):
        return apply_raw(state, event.seq, event.type, event.schema_version, event.payload)


def fold(state: LedgerState, events: Iterable[EventLike]) -> LedgerState:
    """Fold events in order into ``state``."""
    with localcontext(EXACT):
        for event in events:
            apply_raw(state, event.seq, event.type, event.schema_version, event.payload)
    return state


def fold_all(events: Iterable[EventLike]) -> LedgerState:
    """The state after ``events`` (in seq order) from nothing: a pure in-memory fold, no
    database (``verify-export`` runs it on an exported ``events.jsonl``)."""
    state = fold(LedgerState(), events)
    state.clear_dirty()
    return state
