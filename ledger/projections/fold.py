"""Projections as pure folds: ``apply(state, event) -> state`` over stored events.

``LedgerState`` holds every read model the measures need: the current state of each budget
line; running sums per (jurisdiction, fiscal year) × (stage, category, currency), updated by
deltas when a line is recorded, revised, reclassified or withdrawn; definition versions; GDP by
jurisdiction, year and vintage; targets; exchange rates; categories; and ``last_seq``, the
checkpoint. Definitions are applied to the sums at query time (few categories × stages), so a
total never needs the lines.

The fold reads ``StoredEvent.type`` and ``.payload`` (the stored JSON dict) directly; pydantic
is not run per event. A payload of an older ``schema_version`` is upcast first. The fold does no
I/O; ``ledger.projections.persisted`` persists the same state in tables and catches it up.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
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

from events import SCHEMA_VERSIONS
from events.upcasters import upcast
from ledger.projections.definitions import (
    DEFINITION_EVENTS,
    DefinitionKey,
    DefinitionVersion,
    apply_definition_event,
)
from ledger.storage.records import DECODE_ERRORS, unreadable

# Sums and products of ledger amounts (≤ 40 digits, exponents within ±30) stay exact far below
# this precision; any rounding would raise instead of silently losing money.
EXACT = Context(prec=1000, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded])
LINE_EVENTS = frozenset(
    {"BudgetLineRecorded", "BudgetLineRevised", "BudgetLineReclassified", "BudgetLineWithdrawn"}
)

GroupKey = tuple[str, int]  # (jurisdiction, fiscal year)
CellKey = tuple[str, str, str]  # (stage, category, currency)


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


def dec_str(value: Decimal) -> str:
    """The one spelling of an exact decimal: plain notation, no trailing fractional zeros."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(slots=True)
class LineState:
    """Current state of one budget line; ``withdrawn`` lines count nowhere."""

    jurisdiction: str
    fiscal_year: int
    line_id: str
    agency: str
    program: str
    category: str
    amount: Decimal
    currency: str
    stage: str
    withdrawn: bool
    recorded_seq: int
    last_seq: int

    @property
    def key(self) -> str:
        return line_key(self.jurisdiction, self.fiscal_year, self.line_id)

    @property
    def cell(self) -> CellKey:
        return (self.stage, self.category, self.currency)


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


def line_key(jurisdiction: str, fiscal_year: int, line_id: str) -> str:
    """``JP/FY2025/MOD-DBP``: the line's stream name without ``line/``."""
    return f"{jurisdiction}/FY{fiscal_year}/{line_id}"


def key_of_payload(payload: dict[str, Any]) -> str:
    return line_key(
        payload.get("jurisdiction") or "JP", int(payload["fiscal_year"]), payload["line_id"]
    )


def current_payload(
    event_type: str, schema_version: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """The payload in today's schema (upcast only when it is older)."""
    current = SCHEMA_VERSIONS.get(event_type)
    if current is None or schema_version == current:
        return payload
    return upcast(event_type, schema_version, dict(payload), current)


def line_transition(
    previous: LineState | None, seq: int, event_type: str, payload: dict[str, Any]
) -> LineState | None:
    """The state of a line after one of its events (pure). Revising, reclassifying or
    withdrawing a line that is absent or withdrawn changes nothing (the rules refuse it)."""
    if event_type == "BudgetLineRecorded":
        return LineState(
            jurisdiction=_text(payload.get("jurisdiction") or "JP"),
            fiscal_year=_year(payload["fiscal_year"]),
            line_id=_text(payload["line_id"]),
            agency=_text(payload.get("agency", "")),
            program=_text(payload.get("program", "")),
            category=_text(payload["category"]),
            amount=_amount(payload["amount"]),
            currency=_text(payload["currency"]),
            stage=_text(payload["stage"]),
            withdrawn=False,
            recorded_seq=seq,
            last_seq=seq,
        )
    if previous is None or previous.withdrawn:
        return previous
    changed = copy(previous)
    changed.last_seq = seq
    if event_type == "BudgetLineRevised":
        changed.amount = _amount(payload["amount"])
    elif event_type == "BudgetLineReclassified":
        changed.category = _text(payload["category"])
    elif event_type == "BudgetLineWithdrawn":
        changed.withdrawn = True
    return changed


def _text(value: Any) -> str:
    """A stored text field as it must be; anything else (a payload changed outside defledger
    that is still canonical JSON) is a ``TypeError``, which ``apply_raw`` reports by seq."""
    if value.__class__ is not str:
        raise TypeError(f"expected text, found {type(value).__name__}")
    return value


def _year(value: Any) -> int:
    if value.__class__ is not int:
        raise TypeError(f"expected a year, found {type(value).__name__}")
    return value


def _amount(value: Any) -> Decimal:
    if value.__class__ is not str:
        raise TypeError(f"expected a decimal string, found {type(value).__name__}")
    return Decimal(value)


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
    """Update a line and its sum cell by deltas (the line state is changed in place)."""
    key = key_of_payload(payload)
    line = state.lines.get(key)
    if event_type == "BudgetLineRecorded":
        if line is not None and not line.withdrawn:
            _move(state, line, -line.amount, -1)
        line = line_transition(None, seq, event_type, payload)
        assert line is not None
        state.lines[key] = line
        _move(state, line, line.amount, 1)
    elif line is None or line.withdrawn:
        return
    elif event_type == "BudgetLineRevised":
        amount = Decimal(payload["amount"])
        _move(state, line, amount - line.amount, 0)
        line.amount = amount
    elif event_type == "BudgetLineReclassified":
        _move(state, line, -line.amount, -1)
        line.category = payload["category"]
        _move(state, line, line.amount, 1)
    elif event_type == "BudgetLineWithdrawn":
        _move(state, line, -line.amount, -1)
        line.withdrawn = True
    line.last_seq = seq
    state.dirty_lines.add(key)


def _apply_other(state: LedgerState, seq: int, event_type: str, p: dict[str, Any]) -> None:
    if event_type in DEFINITION_EVENTS:
        apply_definition_event(state.definitions, seq, event_type, p)
        state.dirty_small.add("definitions")
    elif event_type == "GdpRecorded":
        figures = state.gdp.setdefault((p.get("jurisdiction") or "JP", int(p["fiscal_year"])), {})
        figures[p["vintage"]] = GdpFigure(Decimal(p["amount"]), p["currency"], seq)
        state.dirty_small.add("gdp")
    elif event_type == "TargetSet":
        jurisdiction = p.get("jurisdiction") or "JP"
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
    elif event_type == "ExchangeRateRecorded":
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


def fold_lines(
    lines: dict[str, LineState], events: Iterable[tuple[int, str, int, dict[str, Any]]]
) -> dict[str, LineState]:
    """Fold line events ``(seq, type, schema_version, payload)`` into line states only (no
    sums): how a snapshot's lines are reconstructed for the few lines an as-of fold touches."""
    for seq, event_type, schema_version, payload in events:
        try:
            payload = current_payload(event_type, schema_version, payload)
            key = key_of_payload(payload)
            line = line_transition(lines.get(key), seq, event_type, payload)
        except DECODE_ERRORS as exc:
            raise unreadable(seq, event_type, schema_version, exc) from None
        if line is not None:
            lines[key] = line
    return lines
