"""The envelope every stored event carries, and the shape of an event about to be written."""

from __future__ import annotations

from pydantic import Field

from events.base import EventModel, ShortText, Source, Text


class Provenance(EventModel):
    """Who asserts an event, why, on what source; and an optional idempotency key."""

    actor: ShortText = Field(min_length=1, description="Person or system that recorded it.")
    reason: Text | None = Field(default=None, description="Why (required for revisions).")
    source: Source | None = Field(default=None, description="Citation for the figure or decision.")
    idempotency_key: ShortText | None = Field(
        default=None, description="Key that makes a retry or re-import add nothing."
    )


ENVELOPE_FIELDS: tuple[tuple[str, str], ...] = (
    ("seq", "Global position, 1..n with no gaps, in commit order."),
    ("event_id", "UUID of the event."),
    ("stream", "Stream the event belongs to, e.g. line/JP/FY2025/MOD-DBP."),
    ("stream_version", "Position within the stream, 1..n (optimistic concurrency)."),
    ("type", "Event type (a stable string, never a Python path)."),
    ("schema_version", "Version of the payload schema the event was written with."),
    ("payload", "The event's fields (canonical JSON; decimals are strings)."),
    (
        "recorded_at",
        "Transaction time, UTC, ISO 8601 with microseconds; never decreases.",
    ),
    ("actor", "Who recorded it."),
    ("reason", "Why, or null."),
    ("source", "Citation {title, url, page, published, hypothetical}, or null."),
    ("idempotency_key", "Key that made the append idempotent, or null."),
    ("prev_hash", "Hash of the previous event (64 zeros for seq 1), hex."),
    ("hash", "SHA-256(prev_hash ‖ RFC 8785 JSON of the envelope without hash), hex."),
)

__all__ = ["ENVELOPE_FIELDS", "Provenance", "Text"]
