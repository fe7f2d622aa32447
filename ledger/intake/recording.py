"""Record single events (the ``record`` commands): validate, check the rules, append."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from events import EVENT_CLASSES, Provenance, parse_event
from events.quoting import quoted
from ledger.errors import InvalidInput, describe_validation_error
from ledger.intake.rules import Numbered, plan
from ledger.storage.records import PendingEvent, StoredEvent, StreamWrite
from ledger.storage.store import EventStore

REASON_REQUIRED = frozenset(
    {
        "BudgetLineRevised",
        "BudgetLineReclassified",
        "BudgetLineWithdrawn",
        "ClaimWithdrawn",
        "ClaimSuperseded",
    }
)


def build_pending(
    event_type: str, fields: dict[str, Any], provenance: dict[str, Any]
) -> PendingEvent:
    """Validate one event and its provenance from plain values; ``InvalidInput`` if bad."""
    if event_type not in EVENT_CLASSES:
        raise InvalidInput(f"unknown event type {quoted(event_type)}")
    if event_type in REASON_REQUIRED and not provenance.get("reason"):
        what = "a claim withdrawn or superseded" if "Claim" in event_type else "a change of figure"
        raise InvalidInput(f"{event_type} needs --reason: {what} must say why")
    try:
        event = parse_event(
            {**{k: v for k, v in fields.items() if v is not None}, "type": event_type}
        )
        prov = Provenance.model_validate({k: v for k, v in provenance.items() if v is not None})
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc)) from exc
    return PendingEvent(event, prov)


def record(store: EventStore, pending: PendingEvent) -> StoredEvent | None:
    """Append one event after checking the rules; None if its idempotency key already holds it.
    The rules are checked under the write lock, against the ledger the event is appended to."""

    def check_and_append() -> StoredEvent | None:
        checked = plan(store, [Numbered(None, pending)])
        if checked.problems:
            raise InvalidInput(checked.problems[0][1])
        if not checked.writes:
            return None
        result = store.append(checked.writes)
        return result.appended[0] if result.appended else None

    return store.locked(check_and_append)


def preview(store: EventStore, pending: PendingEvent) -> list[StreamWrite]:
    """What ``record`` would append, checked against the same rules, without writing: the
    stream writes (each with the version its stream is at), empty if the idempotency key
    already holds the event. ``InvalidInput`` if a rule refuses it, as ``record`` would."""
    checked = plan(store, [Numbered(None, pending)])
    if checked.problems:
        raise InvalidInput(checked.problems[0][1])
    return checked.writes
