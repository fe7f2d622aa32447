"""Facts about the ledger itself, kept in the insert-only ``ledger_meta`` table.

The one fact used so far is the ledger's stable id, which names the ledger in checkpoints
(the C2SP origin line ``defledger/<uuid>``) and in exports. It is created once, the first time
anything asks for it, and never changes (the table refuses UPDATE and DELETE).
"""

from __future__ import annotations

import uuid

from ledger.storage.store import EventStore, translate

LEDGER_ID_KEY = "ledger_id"
ORIGIN_PREFIX = "defledger/"


def get_meta(store: EventStore, key: str) -> str | None:
    """The value stored under ``key``, or None."""
    row = store.read_one("SELECT value FROM ledger_meta WHERE key = ?", (key,))
    return None if row is None else str(row[0])


def ensure_meta(store: EventStore, key: str, value: str) -> str:
    """Store ``value`` under ``key`` unless a value is already there; return the stored value
    (the first writer wins, also between concurrent processes)."""
    existing = get_meta(store, key)
    if existing is not None:
        return existing
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with store.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO ledger_meta (key, value) VALUES (:key, :value) "
                    "ON CONFLICT (key) DO NOTHING"
                ),
                {"key": key, "value": value},
            )
    except SQLAlchemyError as exc:
        raise translate(exc) from exc
    stored = get_meta(store, key)
    assert stored is not None
    return stored


def ledger_id(store: EventStore) -> str:
    """The ledger's stable id (a UUID), created on first use."""
    return ensure_meta(store, LEDGER_ID_KEY, str(uuid.uuid4()))


def origin(store: EventStore) -> str:
    """The checkpoint origin line that names this ledger: ``defledger/<ledger id>``."""
    return ORIGIN_PREFIX + ledger_id(store)
