"""The one fold of a budget line: its state after each of its events.

A line is the unit the write side decides with: ``import`` compares a re-imported line with the
line's current state to turn it into a revision, and the rules refuse an event a line cannot
take. The projections fold the very same transition into their line table and running sums, so
what a total counts and what an import or a rule sees of a line cannot drift apart. The fold
lives here, with the write side, because that is the lowest layer that needs it: the
projections sit above intake and import it from here (``storage < audit < intake <
projections``); it is pure (no I/O but ``current_lines``, which reads a few streams).

What the events mean for a line (docs/events.md): ``BudgetLineRecorded`` creates it;
``BudgetLineRevised`` restates its amount, ``BudgetLineReclassified`` moves it to another
category, ``BudgetLineWithdrawn`` takes it out of every count for good. An event the rules
refuse changes nothing here either: recording a line that is already recorded (withdrawn or
not), and revising, reclassifying or withdrawing a line that is absent or withdrawn. A ledger
written through defledger holds no such event; one appended around the rules (by the store's
API, or by hand) is folded the way the rules would have judged it, never resurrecting a
withdrawn line. Every field the fold keeps is checked for its JSON type, applied or not; a
wrong one is a ``TypeError`` that the callers report as unreadable at its seq.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from events.values import SCHEMA_JURISDICTION
from ledger.storage.records import DECODE_ERRORS, current_payload, unreadable
from ledger.storage.store import EventStore

LINE_EVENTS = frozenset(
    {"BudgetLineRecorded", "BudgetLineRevised", "BudgetLineReclassified", "BudgetLineWithdrawn"}
)
CellKey = tuple[str, str, str]  # (stage, category, currency)


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


def line_key(jurisdiction: str, fiscal_year: int, line_id: str) -> str:
    """``JP/FY2025/MOD-DBP``: the line's stream name without ``line/``."""
    return f"{jurisdiction}/FY{fiscal_year}/{line_id}"


def key_of_payload(payload: dict[str, Any]) -> str:
    return line_key(
        payload.get("jurisdiction") or SCHEMA_JURISDICTION,
        int(payload["fiscal_year"]),
        payload["line_id"],
    )


def line_transition(
    previous: LineState | None, seq: int, event_type: str, payload: dict[str, Any]
) -> LineState | None:
    """The state of a line after one of its events (pure: ``previous`` is never changed).
    Returns ``previous`` itself when the event changes nothing (see the module docstring)."""
    if event_type == "BudgetLineRecorded":
        recorded = LineState(  # positional (the hot path): the fields in their order
            _text(payload.get("jurisdiction") or SCHEMA_JURISDICTION),
            _year(payload["fiscal_year"]),
            _text(payload["line_id"]),
            _text(payload.get("agency", "")),  # agency
            _text(payload.get("program", "")),  # program
            _text(payload["category"]),
            _amount(payload["amount"]),
            _text(payload["currency"]),
            _text(payload["stage"]),
            False,  # withdrawn
            seq,  # recorded_seq
            seq,  # last_seq
        )
        return recorded if previous is None else previous
    if event_type not in LINE_EVENTS:
        return previous
    revised = _amount(payload["amount"]) if event_type == "BudgetLineRevised" else None
    moved = _text(payload["category"]) if event_type == "BudgetLineReclassified" else None
    if previous is None or previous.withdrawn:
        return previous
    return LineState(  # a new state, never a change of ``previous`` (positional: the hot path)
        previous.jurisdiction,
        previous.fiscal_year,
        previous.line_id,
        previous.agency,
        previous.program,
        previous.category if moved is None else moved,
        previous.amount if revised is None else revised,
        previous.currency,
        previous.stage,
        event_type == "BudgetLineWithdrawn",
        previous.recorded_seq,
        seq,
    )


def fold_line_event(
    lines: dict[str, LineState], seq: int, event_type: str, schema_version: int, payload: Any
) -> str:
    """Fold one stored line event into ``lines`` (keyed by ``line_key``) and return its key; a
    payload that cannot be read as its type is an ``IntegrityFailure`` naming ``seq``."""
    try:
        payload = current_payload(event_type, schema_version, payload)
        key = key_of_payload(payload)
        line = line_transition(lines.get(key), seq, event_type, payload)
    except DECODE_ERRORS as exc:
        raise unreadable(seq, event_type, schema_version, exc) from None
    if line is not None:
        lines[key] = line
    return key


def fold_lines(
    lines: dict[str, LineState], events: Iterable[tuple[int, str, int, dict[str, Any]]]
) -> dict[str, LineState]:
    """Fold line events ``(seq, type, schema_version, payload)`` into line states only (no
    sums): how a snapshot's lines are reconstructed for the few lines an as-of fold touches."""
    for seq, event_type, schema_version, payload in events:
        fold_line_event(lines, seq, event_type, schema_version, payload)
    return lines


def current_lines(store: EventStore, streams: Sequence[str]) -> dict[str, LineState]:
    """State of each named line stream (``line/…``) that holds a line, read from its events."""
    lines: dict[str, LineState] = {}
    for stream in streams:
        for stored in store.read(stream=stream):
            fold_line_event(lines, stored.seq, stored.type, stored.schema_version, stored.payload)
    return {f"line/{key}": line for key, line in lines.items()}


def _text(value: Any) -> str:
    """A stored text field as it must be; anything else (a payload changed outside defledger
    that is still canonical JSON) is a ``TypeError``, reported as unreadable at its seq."""
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
