"""Old events stay readable: a frozen v1 ``BudgetLineRecorded`` payload (``amount_yen`` integer,
no currency, no jurisdiction) is stored as it was written and read as today's model."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from helpers import category

from events import SCHEMA_VERSIONS, BudgetLineRecorded, load_stored
from events.upcasters import upcast
from ledger.audit.verify import verify_ledger
from ledger.intake.importers import import_text
from ledger.intake.lines import current_lines
from ledger.storage.canonical import canonical_json
from ledger.storage.chain import chain_hash, envelope_bytes
from ledger.storage.records import format_time, utc_now
from ledger.storage.store import EventStore
from ledger.storage.times import micros_of

DATA = Path(__file__).parent / "data"
V1_PAYLOAD = DATA / "budget_line_recorded_v1.json"
V1_JSONL = DATA / "budget_line_recorded_v1.jsonl"
STREAM = "line/JP/FY2019/MOD-DBP-2019"


def test_upcaster_data__frozen_files_unchanged() -> None:
    """The old payloads are history: editing them would stop testing the real old format."""
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (V1_PAYLOAD, V1_JSONL)}
    assert digests == {
        "budget_line_recorded_v1.json": (
            "7653cf8941658f6921dcfd13ca016820a3b464a92c9e3698460e1fc0e693c1f5"
        ),
        "budget_line_recorded_v1.jsonl": (
            "766f4897d44e83139547e3f14913c56e359686a68a0859d840131fb3b3a66bee"
        ),
    }


def insert_v1_row(store: EventStore, db_path: Path) -> int:
    """Store the frozen v1 payload as the prototype wrote it: raw SQL, schema_version 1, with a
    correct chain hash computed by ``ledger.storage.chain``."""
    head = store.head()
    assert head is not None
    seq, prev_hash = head.seq + 1, bytes.fromhex(head.hash)
    payload = canonical_json(json.loads(V1_PAYLOAD.read_text()))
    event_id = uuid.uuid4()
    recorded_at = max(format_time(utc_now()), head.recorded_at)
    digest = chain_hash(
        prev_hash,
        envelope_bytes(
            seq=seq, event_id=str(event_id), stream=STREAM, stream_version=1,
            type="BudgetLineRecorded", schema_version=1, payload_json=payload,
            recorded_at=recorded_at, actor="prototype", reason=None, source_json=None,
            idempotency_key=None, prev_hash=prev_hash,
        ),
    )  # fmt: skip
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        stream_id = conn.execute(
            "INSERT INTO streams (name) VALUES (?) RETURNING id", (STREAM,)
        ).fetchone()[0]
        conn.execute("INSERT OR IGNORE INTO event_types (name) VALUES ('BudgetLineRecorded')")
        conn.execute("INSERT OR IGNORE INTO actors (name) VALUES ('prototype')")
        conn.execute(
            "INSERT INTO events (seq, event_id, stream_id, stream_version, type_id, schema_version,"
            " payload, recorded_at, actor_id, reason, source, idempotency_key, hash)"
            " VALUES (?, ?, ?, 1, (SELECT id FROM event_types WHERE name = 'BudgetLineRecorded'),"
            " 1, ?, ?, (SELECT id FROM actors WHERE name = 'prototype'), NULL, NULL, NULL, ?)",
            (seq, event_id.bytes, stream_id, payload.decode(), micros_of(recorded_at), digest),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return seq


def test_upcaster__v1_row_in_the_store_reads_as_todays_model(
    store: EventStore, db_path: Path
) -> None:
    store.append_events([category("JP.CORE.DBP")])
    seq = insert_v1_row(store, db_path)
    stored = store.get(seq)
    assert stored.schema_version == 1
    assert stored.payload == json.loads(V1_PAYLOAD.read_text())  # bytes on disk untouched
    event = stored.model()
    assert isinstance(event, BudgetLineRecorded)
    assert SCHEMA_VERSIONS["BudgetLineRecorded"] == 2
    assert event.amount == Decimal("5257400000000")
    assert event.model_dump(mode="json")["amount"] == "5257400000000"
    assert (event.currency, event.jurisdiction, event.fiscal_year) == ("JPY", "JP", 2019)
    assert verify_ledger(store).ok
    assert current_lines(store, [STREAM])[STREAM].amount == Decimal("5257400000000")


def test_upcaster__v1_row_can_be_revised_and_logged(
    store: EventStore, db_path: Path, cli: Callable[..., Result]
) -> None:
    store.append_events([category("JP.CORE.DBP")])
    insert_v1_row(store, db_path)
    revised = cli(
        "record", "revise", "--fy", "2019", "--line-id", "MOD-DBP-2019",
        "--amount", "5257500000000", "--reason", "settled figure",
    )  # fmt: skip
    assert revised.exit_code == 0, revised.stderr
    logged = [json.loads(x) for x in cli("log", "--format", "jsonl").stdout.splitlines()]
    assert logged[1]["schema_version"] == 1 and logged[1]["amount_yen"] == 5257400000000
    assert logged[2]["type"] == "BudgetLineRevised"
    assert cli("verify").exit_code == 0


def test_upcaster__v1_jsonl_imports_as_current_schema(store: EventStore) -> None:
    report = import_text(store, V1_JSONL.read_text(), actor="importer")
    assert report.appended == 2
    stored = store.get(2)
    assert stored.schema_version == 2
    assert stored.payload["amount"] == "5257400000000"
    assert stored.payload["currency"] == "JPY" and "amount_yen" not in stored.payload
    assert stored.actor == "prototype"
    assert verify_ledger(store).ok
    again = import_text(store, V1_JSONL.read_text(), actor="importer")
    assert again.appended == 0 and again.skipped == 2


def test_upcaster__old_log_round_trips_through_import(
    store: EventStore, db_path: Path, tmp_path: Path
) -> None:
    """A v1 row exported with ``log --format jsonl`` imports into a fresh ledger as v2."""
    from ledger.queries.history import log_table

    store.append_events([category("JP.CORE.DBP")])
    insert_v1_row(store, db_path)
    lines = "".join(json.dumps(row) + "\n" for row in log_table(store, full=True).rows)
    with EventStore.open(str(tmp_path / "fresh.db"), create=True) as fresh:
        assert import_text(fresh, lines, actor="x").appended == 2
        assert fresh.get(2).model() == store.get(2).model()


def test_upcast__steps_and_errors() -> None:
    v1 = json.loads(V1_PAYLOAD.read_text())
    assert upcast("BudgetLineRecorded", 1, v1, 2)["amount"] == "5257400000000"
    assert "amount_yen" in v1, "upcasters must not mutate the stored payload"
    assert upcast("BudgetLineRecorded", 2, {"x": 1}, 2) == {"x": 1}
    with pytest.raises(ValueError, match="newer than this program"):
        upcast("BudgetLineRecorded", 3, v1, 2)
    with pytest.raises(ValueError, match="no upcaster for GdpRecorded v1 → v2"):
        upcast("GdpRecorded", 1, {}, 2)
    with pytest.raises(ValueError, match="is not a version of GdpRecorded"):
        upcast("GdpRecorded", 0, {}, 1)
    with pytest.raises(ValueError, match="unknown event type"):
        load_stored("NoSuchEvent", 1, {})
