"""Resolve ``--as-of`` (a seq, an ISO 8601 time, or an event id) to the last seq it includes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from events.quoting import clipped, quoted
from ledger.errors import InvalidInput
from ledger.storage.records import format_time
from ledger.storage.store import EventStore

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


MAX_SEQ_DIGITS = 19  # 2**63 - 1, the largest seq, has 19 digits


@dataclass(frozen=True)
class AsOf:
    """``seq``: the last event included; ``spec``: what the user asked for."""

    seq: int
    spec: str | None

    def describe(self) -> str:
        return f"seq {self.seq}" + (f" (as of {self.spec})" if self.spec else " (head)")


def parse_time(text: str) -> str:
    """An ISO 8601 date or time as the stored ``recorded_at`` text (naive means UTC; a date
    means the end of that day, UTC)."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            moment = datetime.fromisoformat(value + "T23:59:59.999999+00:00")
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{quoted(text)} is not a seq, an ISO 8601 time or an event id") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return format_time(moment)
    except (ValueError, OverflowError) as exc:  # a year a ledger cannot hold
        raise InvalidInput(f"{quoted(text)} is outside the years 1000-9999") from exc


def seq_named(store: EventStore, text: str) -> int | None:
    """The seq a seq (``105``, ``#105``) or an event id names; None if ``text`` is neither
    (an event id the ledger does not hold is ``NotFound``)."""
    value = text.strip().lstrip("#")
    if value.isascii() and value.isdigit():
        if len(value.lstrip("0")) > MAX_SEQ_DIGITS:
            raise InvalidInput(f"seq {clipped(value)} is beyond any ledger's head")
        return int(value)
    if _UUID.fullmatch(value):
        return store.seq_of_event_id(value)
    return None


def resolve_as_of(store: EventStore, spec: str | None) -> AsOf:
    """The seq a moment names. A seq beyond the head is an error, not a silent head."""
    head = store.head()
    head_seq = head.seq if head else 0
    if spec is None or spec.strip() == "":
        return AsOf(head_seq, None)
    value = spec.strip().lstrip("#")
    if value.isascii() and value.isdigit():  # not "²": str.isdigit() takes it, int() does not
        if len(value.lstrip("0")) > MAX_SEQ_DIGITS or int(value) > head_seq:
            raise InvalidInput(f"seq {clipped(value)} is beyond the ledger's head (seq {head_seq})")
        return AsOf(int(value), spec)
    if _UUID.fullmatch(value):
        return AsOf(store.seq_of_event_id(value), spec)
    return AsOf(store.seq_at_time(parse_time(value)), spec)


def moment_meta(store: EventStore, as_of: AsOf) -> dict[str, Any]:
    """Head and as-of (seq, spec, hash, time), in the shape ``totals`` prints."""
    at = store.get(as_of.seq) if as_of.seq else None
    return {
        "seq": as_of.seq,
        "spec": as_of.spec,
        "hash": at.hash if at else "0" * 64,
        "recorded_at": at.recorded_at if at else None,
    }


def head_meta(store: EventStore) -> dict[str, Any]:
    """The ledger's head (seq and hash; seq 0 and 64 zeros when it is empty)."""
    head = store.head()
    return {"seq": head.seq if head else 0, "hash": head.hash if head else "0" * 64}
