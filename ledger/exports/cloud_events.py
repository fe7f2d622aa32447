"""``events.cloudevents.jsonl``: each event as a CloudEvents 1.0 structured JSON event, one per
line (``--cloudevents``).

``id`` is the event id, ``source`` the ledger's origin (``defledger/<ledger id>``), ``type``
``org.defledger.<snake_case type>.v<schema version>``, ``subject`` the stream, ``time`` and the
``recordedtime`` extension the transaction time, ``sequence`` the seq zero-padded to 20 digits
(so it sorts as text), ``chainhash``/``prevhash`` the chain hashes, and ``data`` the payload.
Keys are sorted (RFC 8785), so the lines are reproducible.
"""

from __future__ import annotations

import re

import orjson

from ledger.storage.canonical import canonical_json
from ledger.storage.records import StoredEvent

TYPE_PREFIX = "org.defledger."
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def cloudevent_type(event_type: str, schema_version: int) -> str:
    """``BudgetLineRecorded`` v2 → ``org.defledger.budget_line_recorded.v2``."""
    return f"{TYPE_PREFIX}{_CAMEL.sub('_', event_type).lower()}.v{schema_version}"


def cloudevent_line(event: StoredEvent, source: str) -> bytes:
    """One structured-mode CloudEvent as canonical JSON, without the newline."""
    return canonical_json(
        {
            "specversion": "1.0",
            "id": event.event_id,
            "source": source,
            "type": cloudevent_type(event.type, event.schema_version),
            "subject": event.stream,
            "time": event.recorded_at,
            "datacontenttype": "application/json",
            "data": orjson.Fragment(event.payload_json),
            "sequence": f"{event.seq:020d}",
            "recordedtime": event.recorded_at,
            "chainhash": event.hash,
            "prevhash": event.prev_hash,
        }
    )
