"""``EventStore.append_checked`` (the import path) skips the store's own idempotency look-up,
yet ends exactly as ``append`` would when another writer stored a key in between."""

from __future__ import annotations

import pytest
from helpers import category

from ledger.errors import DuplicateEvent
from ledger.storage.records import PendingEvent, StreamWrite
from ledger.storage.store import EventStore


def _keyed(code: str, key: str) -> PendingEvent:
    pending = category(code)
    prov = pending.provenance.model_copy(update={"idempotency_key": key})
    return PendingEvent(pending.event, prov)


def test_append_checked__returns_the_seq_range_only(store: EventStore) -> None:
    store.append_events([category("A")])
    result = store.append_checked(
        [StreamWrite(f"category/{c}", 0, [_keyed(c, f"k-{c}")]) for c in ("B", "C", "D")]
    )
    assert (result.appended, result.skipped, result.first_seq, result.last_seq) == ((), 0, 2, 4)
    assert [e.idempotency_key for e in store.read(start=2)] == ["k-B", "k-C", "k-D"]


def test_append_checked__key_stored_meanwhile_same_content_is_skipped(store: EventStore) -> None:
    event = _keyed("A", "k-A")
    store.append([StreamWrite("category/A", 0, [event])])  # another writer, after the look-up
    result = store.append_checked([StreamWrite("category/A", 0, [event])])
    assert (result.skipped, result.first_seq, result.last_seq) == (1, None, None)
    assert store.count() == 1


def test_append_checked__key_stored_meanwhile_other_content_is_refused(
    store: EventStore,
) -> None:
    store.append([StreamWrite("category/A", 0, [_keyed("A", "k-A")])])
    with pytest.raises(DuplicateEvent):
        store.append_checked([StreamWrite("category/B", 0, [_keyed("B", "k-A")])])
    assert store.count() == 1


def test_append_result__full_append_reports_the_seq_range(store: EventStore) -> None:
    result = store.append_events([category("A"), category("B")])
    assert (result.first_seq, result.last_seq) == (1, 2)
    assert [e.seq for e in result.appended] == [1, 2]
