"""The hot paths' shortcuts give exactly what the plain code gives (issue 8's optimisations).

Each shortcut is compared with the straightforward computation it replaces, on generated
inputs: strict JSON parsing, the chain envelope, the import content key, event ids, and the
light rows of ``read_payloads``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers import category, line
from helpers.strategies import ANY_EVENT
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Provenance, Source, event_payload
from ledger.errors import IntegrityFailure
from ledger.intake.importers import _strict_json, _strict_json_slow, content_key, pending_key
from ledger.storage.canonical import canonical_json
from ledger.storage.chain import ChainRow, check_chain, envelope_bytes, uuid_text
from ledger.storage.records import (
    PendingEvent,
    StoredEvent,
    event_type_of,
    new_event_ids,
    stored_event,
)
from ledger.storage.store import EventStore

KEYS = st.sampled_from(["a", "b", "c", "é", "k:", "日本"]) | st.text(max_size=4)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False)
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.lists(st.tuples(KEYS, children), max_size=5)
    ),  # pairs: duplicate keys possible
    max_leaves=20,
)


def _render(value: Any, escape: bool) -> str:
    """JSON text of ``value``, where a list of (key, value) pairs becomes an object (so keys may
    repeat), optionally with every non-ASCII character escaped as ``\\uXXXX``."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        members = [f"{json.dumps(k, ensure_ascii=escape)}:{_render(v, escape)}" for k, v in value]
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_render(v, escape) for v in value) + "]"
    return json.dumps(value, ensure_ascii=escape)


def _outcome(parse: Any, text: str) -> tuple[str, str]:
    try:
        value = parse(text)
    except (ValueError, RecursionError) as exc:
        return "error", str(exc)
    return "ok", repr(value)  # exact for dicts (in document order), lists, ints, strings


@pytest.mark.slow  # a big hypothesis run
@settings(max_examples=300, deadline=None)
@given(value=VALUES, escape=st.booleans(), spaced=st.booleans())
def test_strict_json__fast_path_matches_the_stdlib_parser(
    value: Any, escape: bool, spaced: bool
) -> None:
    text = _render(value, escape)
    if spaced:
        text = " " + text.replace(",", " , ").replace(":", " : ") + " "
    assert _outcome(_strict_json, text) == _outcome(_strict_json_slow, text)


EDGE_TEXTS = [
    '{"a":1,"a":1}',
    '{"a":"x:y","b":{"c":1,"c":2}}',
    '{"\\u0061":1,"a":2}',
    '{"a":"\\u003a","b":1}',
    '{"a":1.0}',
    '{"a":NaN}',
    '{"a":123456789012345678901234567890}',
    '{"a":"日本:語","b":["x",{"c":"https://a.b"}]}',
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_strict_json__edge_cases_match(text: str) -> None:
    assert _outcome(_strict_json, text) == _outcome(_strict_json_slow, text)


ENVELOPE_TEXT = st.text(max_size=20)
INTS = st.integers(-(2**60), 2**60) | st.integers(0, 10**6)


@pytest.mark.slow  # a big hypothesis run
@settings(max_examples=200, deadline=None)
@given(
    seq=INTS,
    version=INTS,
    schema=st.integers(1, 3) | INTS,
    texts=st.lists(ENVELOPE_TEXT, min_size=4, max_size=4),
    optional=st.lists(st.none() | ENVELOPE_TEXT, min_size=2, max_size=2),
    payload=st.dictionaries(st.text(max_size=5), st.text(max_size=8), max_size=4),
    with_source=st.booleans(),
)
def test_envelope_bytes__equals_canonical_json_of_the_envelope(
    seq: int,
    version: int,
    schema: int,
    texts: list[str],
    optional: list[str | None],
    payload: dict[str, str],
    with_source: bool,
) -> None:
    payload_json = canonical_json(payload)
    source_json = canonical_json({"title": texts[3]}) if with_source else None
    prev = hashlib.sha256(texts[0].encode("utf-8", "surrogatepass")).digest()
    fields = dict(
        seq=seq, event_id=texts[0], stream=texts[1], stream_version=version, type=texts[2],
        schema_version=schema, payload_json=payload_json, recorded_at=texts[3], actor=texts[1],
        reason=optional[0], source_json=source_json, idempotency_key=optional[1], prev_hash=prev,
    )  # fmt: skip
    reference = {
        **{k: v for k, v in fields.items() if k not in ("payload_json", "source_json")},
        "payload": payload,
        "source": None if source_json is None else orjson.loads(source_json),
        "prev_hash": prev.hex(),
    }

    try:
        expected = canonical_json(reference)
    except Exception:  # noqa: BLE001 - out-of-domain integers: refused either way
        with pytest.raises(Exception):  # noqa: B017
            envelope_bytes(**fields)
        return
    assert envelope_bytes(**fields) == expected


def _old_content_key(pending: PendingEvent) -> str:
    """The content key as first written: canonical JSON of the objects, not of fragments."""
    prov = pending.provenance
    body = {
        "type": type(pending.event).model_fields["type"].default,
        "payload": event_payload(pending.event),
        "reason": prov.reason,
        "source": None if prov.source is None else prov.source.model_dump(mode="json"),
    }
    digest = hashlib.sha256(canonical_json(body)).digest()[:16]
    return "i:" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


# Text a model accepts: no NUL, and no lone surrogate (pydantic refuses what UTF-8 cannot hold).
MODEL_CHARS = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
SOURCES = st.none() | st.builds(
    Source,
    title=st.text(MODEL_CHARS, min_size=1, max_size=20).filter(str.strip),
    url=st.none() | st.just("https://例え.jp/予算?a=1"),
    page=st.none() | st.text(MODEL_CHARS, max_size=5),
)


@settings(max_examples=150, deadline=None)
@given(event=ANY_EVENT, reason=st.none() | st.text(MODEL_CHARS, max_size=30), source=SOURCES)
def test_pending_key__equals_the_content_key_of_the_objects(
    event: Any, reason: str | None, source: Source | None
) -> None:
    pending = PendingEvent(event, Provenance(actor="a", reason=reason, source=source))
    assert (
        pending_key(pending) == _old_content_key(pending) == content_key(event, pending.provenance)
    )
    assert pending.payload_json == canonical_json(event_payload(event))
    assert event_type_of(event) == type(event).model_fields["type"].default
    keyed = pending.with_provenance(pending.provenance.model_copy(update={"idempotency_key": "k"}))
    assert (keyed.stream, keyed.payload_json, keyed.source_json) == (
        pending.stream,
        pending.payload_json,
        pending.source_json,
    )
    assert keyed.provenance.idempotency_key == "k"


def test_event_ids__uuid7_time_ordered_and_formatted_like_uuid() -> None:
    before = time.time_ns() // 1_000_000
    ids = new_event_ids(300)
    assert len(set(ids)) == 300
    for raw in ids:
        parsed = uuid.UUID(bytes=raw)
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert before <= int.from_bytes(raw[:6], "big") <= time.time_ns() // 1_000_000
        assert uuid_text(raw) == str(parsed)
    assert [uuid_text(raw) for raw in sorted(ids)] == sorted(uuid_text(raw) for raw in ids)


def test_stored_event__same_as_the_dataclass_constructor() -> None:
    values = (
        3,
        "id",
        "s",
        1,
        "T",
        1,
        {"a": "1"},
        '{"a":"1"}',
        "t",
        "x",
        None,
        None,
        None,
        "0",
        "1",
    )
    fast, plain = stored_event(*values), StoredEvent(*values)
    assert fast == plain and repr(fast) == repr(plain)
    assert dataclasses.astuple(fast) == values


def test_read_payloads_and_read_chain__match_the_full_reads(store: EventStore) -> None:
    store.append_events([category("A"), *[line(f"L{i}", f"{i}.5", "A") for i in range(30)]])
    full = list(store.read())
    assert [tuple(p) for p in store.read_payloads()] == [
        (e.seq, e.type, e.schema_version, e.payload) for e in full
    ]
    assert [p.seq for p in store.read_payloads(start=5, stop=9)] == [5, 6, 7, 8, 9]
    rows = list(store.read_chain())
    assert list(check_chain(rows)) == []
    forged = rows[4]._replace(reason="forged")
    problems = list(check_chain([*rows[:4], forged, *rows[5:]]))
    assert [(p.seq, p.kind) for p in problems] == [(5, "hash-mismatch")]
    assert isinstance(rows[0], ChainRow)


@pytest.mark.parametrize(
    "payload",
    ["not json", "[1, 2]", b"\xff\xfe{}", '{"a": "\xe9"'],
    ids=["not-json", "not-an-object", "not-utf8", "truncated"],
)
def test_read_payloads__an_edited_payload_is_an_integrity_failure(
    store: EventStore, db_path: Path, payload: str | bytes
) -> None:
    store.append_events([category("A"), category("B")])
    store.engine.dispose()  # the edit below comes from outside: no pooled connection
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("UPDATE events SET payload = ? WHERE seq = 2", (payload,))
    finally:
        conn.close()
    with pytest.raises(IntegrityFailure, match="seq 2"):
        list(store.read_payloads())
    assert [p.seq for p in store.read_payloads(stop=1)] == [1]
