"""The current state of budget lines, folded from their streams (for imports and rules)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ledger.storage.store import EventStore


def fold_line(
    state: dict[str, Any] | None, event_type: str, payload: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply one line event to a line's state (a dict), returning the new state."""
    if event_type == "BudgetLineRecorded":
        return {**payload, "amount": Decimal(payload["amount"]), "withdrawn": False}
    if state is None:
        return None
    if event_type == "BudgetLineRevised":
        return {**state, "amount": Decimal(payload["amount"])}
    if event_type == "BudgetLineReclassified":
        return {**state, "category": payload["category"]}
    if event_type == "BudgetLineWithdrawn":
        return {**state, "withdrawn": True}
    return state


def current_lines(store: EventStore, streams: Sequence[str]) -> dict[str, dict[str, Any]]:
    """State of each named line stream, read from its events."""
    result: dict[str, dict[str, Any]] = {}
    for stream in streams:
        state: dict[str, Any] | None = None
        for stored in store.read(stream=stream):
            state = fold_line(state, stored.type, stored.model().model_dump())
        if state is not None:
            result[stream] = state
    return result
