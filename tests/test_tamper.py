"""Tampering with the SQLite file behind the ledger's back (triggers dropped, rows edited,
deleted, swapped, inserted, corrupted) is detected by ``verify`` at the right seq."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers import category, line

from ledger.audit.verify import digest, verify_ledger
from ledger.storage.chain import GENESIS_HASH, chain_hash, envelope_bytes
from ledger.storage.store import EventStore
from ledger.storage.times import text_of

N = 100


@pytest.fixture
def ledger(store: EventStore) -> EventStore:
    """100 events: 2 categories, then 98 budget lines (seq k holds line L{k} of amount k)."""
    store.append_events([category("A"), category("B")])
    for start in range(3, N + 1, 49):
        store.append_events(
            [line(f"L{k}", str(k), "A" if k % 2 else "B") for k in range(start, start + 49)]
        )
    assert store.count() == N
    return store


def tamper(db_path: Path, *statements: str, params: tuple[object, ...] = ()) -> None:
    """What anyone holding the file can do: drop the guard rails, then edit."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        for trigger in ("events_no_update", "events_no_delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
    finally:
        conn.close()


def one_line(result: Result) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- edits ---------------------------------------------------------------------------------------


def test_tamper_edit__seq_42_payload_named_by_verify_exit_3(
    ledger: EventStore, db_path: Path, cli: Callable[..., Result]
) -> None:
    assert cli("verify").exit_code == 0
    tamper(
        db_path,
        'UPDATE events SET payload = replace(payload, \'"amount":"42"\', \'"amount":"4200"\')'
        " WHERE seq = 42",
    )
    assert '"amount":"4200"' in ledger.get(42).payload_json
    report = verify_ledger(ledger)
    assert [(p.seq, p.kind) for p in report.problems] == [(42, "hash-mismatch")]
    result = cli("verify")
    assert result.exit_code == 3
    assert "seq 42" in one_line(result)
    assert "42" in result.stdout and "hash-mismatch" in result.stdout
    as_json = cli("verify", "--format", "json")
    assert as_json.exit_code == 3
    document = json.loads(as_json.stdout)
    assert document["meta"]["first_bad_seq"] == 42 and document["meta"]["ok"] is False


@pytest.mark.parametrize(
    ("column", "value"),
    [("hash", "abc"), ("hash", 7), ("event_id", "not-a-uuid"), ("event_id", b"short")],
)
def test_tamper_column_type__a_hash_or_id_of_another_type_is_named_not_raised(
    ledger: EventStore, db_path: Path, cli: Callable[..., Result], column: str, value: object
) -> None:
    tamper(db_path, f"UPDATE events SET {column} = ? WHERE seq = 42", params=(value,))
    result = cli("verify")
    assert result.exit_code == 3, result.output
    assert "internal error" not in result.output
    assert one_line(result).startswith("Error: verification failed at seq 42")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_id", "(SELECT id FROM actors WHERE name = 'mallory')"),
        ("reason", "'because'"),
        ("recorded_at", "1577836800000000"),  # 2020-01-01T00:00:00.000000Z
        ("recorded_at", "'2020-01-01T00:00:00.000000Z'"),  # text where an integer belongs
        ("type_id", "(SELECT id FROM event_types WHERE name = 'CategoryDefined')"),
        ("schema_version", "1"),
        ("stream_version", "7"),
        ("idempotency_key", "'forged'"),
        ("source", '\'{"title":"x"}\''),
        ("event_id", "randomblob(16)"),
    ],
)
def test_tamper_edit__any_envelope_column_detected(
    ledger: EventStore, db_path: Path, column: str, value: str
) -> None:
    tamper(
        db_path,
        "INSERT INTO actors (name) VALUES ('mallory')",
        f"UPDATE events SET {column} = {value} WHERE seq = 42",
    )
    report = verify_ledger(ledger)
    assert report.first_bad_seq in (0, 42) and not report.ok
    assert any(p.seq == 42 and p.kind == "hash-mismatch" for p in report.problems)


@pytest.mark.parametrize(
    ("table", "old", "new"),
    [("actors", "tester", "mallory"), ("event_types", "CategoryDefined", "Category")],
)
def test_tamper_edit__renamed_type_or_actor_detected_at_its_first_event(
    ledger: EventStore, db_path: Path, table: str, old: str, new: str
) -> None:
    """Types and actors are stored once, by id: renaming one rewrites every event that uses it."""
    assert old in {e.actor for e in ledger.read()} | {e.type for e in ledger.read()}
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute(f"DROP TRIGGER {table}_no_update")
    conn.execute(f"UPDATE {table} SET name = ? WHERE name = ?", (new, old))  # noqa: S608
    conn.close()
    report = verify_ledger(ledger)
    assert report.first_bad_seq == 1
    assert all(p.kind == "hash-mismatch" for p in report.problems)


def test_tamper_edit__stream_rename_detected(ledger: EventStore, db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("DROP TRIGGER streams_no_update")
    conn.execute(
        "UPDATE streams SET name = 'line/JP/FY2025/L42x' WHERE name = 'line/JP/FY2025/L42'"
    )
    conn.close()
    assert verify_ledger(ledger).first_bad_seq == 42


def test_tamper_edit__rewritten_tail_passes_chain_but_fails_kept_digest(
    ledger: EventStore, db_path: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    """An attacker who knows the algorithm edits seq 42 and recomputes every later hash."""
    kept = tmp_path / "digest.json"
    assert cli("digest", "-o", str(kept)).exit_code == 0
    tamper(
        db_path,
        'UPDATE events SET payload = replace(payload, \'"amount":"42"\', \'"amount":"1"\')'
        " WHERE seq = 42",
    )
    conn = sqlite3.connect(db_path, isolation_level=None)
    previous = conn.execute("SELECT hash FROM events WHERE seq = 41").fetchone()[0]
    for row in ledger.read_chain(start=42):
        envelope = envelope_bytes(
            seq=row.seq, event_id=row.event_id, stream=row.stream,
            stream_version=row.stream_version, type=row.type, schema_version=row.schema_version,
            payload_json=row.payload_json, recorded_at=row.recorded_at, actor=row.actor,
            reason=row.reason, source_json=row.source_json, idempotency_key=row.idempotency_key,
            prev_hash=previous,
        )  # fmt: skip
        new_hash = chain_hash(previous, envelope)
        conn.execute("UPDATE events SET hash = ? WHERE seq = ?", (new_hash, row.seq))
        previous = new_hash
    conn.close()
    assert cli("verify").exit_code == 0  # the chain alone cannot see it
    result = cli("verify", "--digest", str(kept))
    assert result.exit_code == 3
    assert "seq 100" in one_line(result)


# -- deletions -----------------------------------------------------------------------------------


def test_tamper_truncate__last_5_deleted_plain_verify_passes_digest_fails(
    ledger: EventStore, db_path: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    kept = cli("digest").stdout
    assert json.loads(kept)["seq"] == N
    (tmp_path / "kept.json").write_text(kept)
    tamper(db_path, f"DELETE FROM events WHERE seq > {N - 5}")
    assert ledger.count() == N - 5
    plain = cli("verify")
    assert plain.exit_code == 0, "documented limit: a chain cannot see a shorter tail"
    assert plain.stdout.startswith(f"ok: {N - 5} events verified")
    for argument in (str(tmp_path / "kept.json"), kept.strip()):
        result = cli("verify", "--digest", argument)
        assert result.exit_code == 3
        message = one_line(result)
        assert f"seq {N}" in message and f"ends at seq {N - 5}" in message
    report = verify_ledger(ledger, kept)
    assert [(p.seq, p.kind) for p in report.problems] == [(N - 4, "truncated")]


def test_tamper_delete__middle_event_is_a_seq_gap(ledger: EventStore, db_path: Path) -> None:
    tamper(db_path, "DELETE FROM events WHERE seq = 50")
    report = verify_ledger(ledger)
    assert report.first_bad_seq == 50
    assert [(p.seq, p.kind, p.message) for p in report.problems] == [
        (50, "seq-gap", "seq 50 is missing"),
        (
            51,
            "broken-link",
            "seq 51: not chained to the hash of seq 49, the event stored before it",
        ),
    ]


def test_tamper_delete__first_event(ledger: EventStore, db_path: Path) -> None:
    tamper(db_path, "DELETE FROM events WHERE seq = 1")
    report = verify_ledger(ledger)
    assert [(p.seq, p.kind) for p in report.problems] == [(1, "seq-gap"), (2, "broken-link")]


# -- swaps, reorders, inserts ------------------------------------------------------------------


def test_tamper_swap__two_payloads_detected_at_the_first(
    ledger: EventStore, db_path: Path, cli: Callable[..., Result]
) -> None:
    tamper(
        db_path,
        "CREATE TEMP TABLE swap AS SELECT seq, payload FROM events WHERE seq IN (10, 11)",
        "UPDATE events SET payload = (SELECT payload FROM swap WHERE swap.seq = 21 - events.seq)"
        " WHERE seq IN (10, 11)",
    )
    assert ledger.get(10).payload["line_id"] == "L11"
    report = verify_ledger(ledger)
    assert report.first_bad_seq == 10
    assert {p.seq for p in report.problems} == {10, 11}
    result = cli("verify")
    assert result.exit_code == 3 and "seq 10" in one_line(result)


def test_tamper_reorder__two_rows_swapped_detected(ledger: EventStore, db_path: Path) -> None:
    tamper(
        db_path,
        "UPDATE events SET seq = -seq WHERE seq IN (10, 11)",
        "UPDATE events SET seq = CASE seq WHEN -10 THEN 11 WHEN -11 THEN 10 END WHERE seq < 0",
    )
    report = verify_ledger(ledger)
    assert report.first_bad_seq == 10
    assert [(p.seq, p.kind) for p in report.problems] == [
        (10, "hash-mismatch"),  # each was hashed with its own seq and predecessor
        (11, "hash-mismatch"),
        (12, "hash-mismatch"),  # follows what is now seq 11, not the event it was chained to
    ]


def test_tamper_insert__forged_event_in_the_middle_detected(
    ledger: EventStore, db_path: Path
) -> None:
    """A self-consistent forged event at seq 50 (hash correct for its own content): the event
    after it no longer links, so verify fails at seq 51."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    row49 = conn.execute(
        "SELECT hash, recorded_at, stream_id FROM events WHERE seq = 49"
    ).fetchone()
    conn.execute("UPDATE events SET seq = -seq WHERE seq >= 50")
    conn.execute("UPDATE events SET seq = 1 - seq WHERE seq < 0")
    payload = '{"amount":"1","line_id":"FORGED"}'
    forged_id = "00000000-0000-4000-8000-000000000000"
    digest_ = chain_hash(
        row49[0],
        envelope_bytes(
            seq=50, event_id=forged_id, stream="line/JP/FY2025/L49", stream_version=2,
            type="BudgetLineRevised", schema_version=1, payload_json=payload,
            recorded_at=text_of(row49[1]), actor="mallory", reason="forged", source_json=None,
            idempotency_key=None, prev_hash=row49[0],
        ),
    )  # fmt: skip
    conn.execute("INSERT INTO event_types (name) VALUES ('BudgetLineRevised')")
    conn.execute("INSERT INTO actors (name) VALUES ('mallory')")
    conn.execute(
        "INSERT INTO events (seq, event_id, stream_id, stream_version, type_id, schema_version,"
        " payload, recorded_at, actor_id, reason, source, idempotency_key, hash)"
        " VALUES (50, ?, ?, 2, (SELECT id FROM event_types WHERE name = 'BudgetLineRevised'), 1,"
        " ?, ?, (SELECT id FROM actors WHERE name = 'mallory'), 'forged', NULL, NULL, ?)",
        (uuid.UUID(forged_id).bytes, row49[2], payload, row49[1], digest_),
    )
    conn.close()
    assert ledger.count() == N + 1
    report = verify_ledger(ledger)
    assert not report.ok
    assert report.first_bad_seq == 51
    # the old seq 50, now at 51, was hashed with seq 50 and after seq 49; and so on
    assert {(p.seq, p.kind) for p in report.problems if p.seq <= 52} == {
        (51, "hash-mismatch"),
        (52, "hash-mismatch"),
    }


def test_tamper_insert__appended_row_with_made_up_hash(ledger: EventStore, db_path: Path) -> None:
    tamper(
        db_path,
        "INSERT INTO events SELECT 101, randomblob(16), stream_id, 99, type_id, schema_version,"
        " payload, recorded_at, actor_id, reason, source, NULL, randomblob(32)"
        " FROM events WHERE seq = 100",
    )
    assert verify_ledger(ledger).first_bad_seq == 101


# -- corrupted bytes ----------------------------------------------------------------------------


def test_tamper_hash__flipped_byte_detected(ledger: EventStore, db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    stored = bytearray(conn.execute("SELECT hash FROM events WHERE seq = 30").fetchone()[0])
    stored[7] ^= 0x01
    conn.execute("UPDATE events SET hash = ? WHERE seq = 30", (bytes(stored),))
    conn.close()
    report = verify_ledger(ledger)
    assert report.first_bad_seq == 30
    assert (30, "hash-mismatch") in [(p.seq, p.kind) for p in report.problems]
    assert (31, "broken-link") in [(p.seq, p.kind) for p in report.problems]


def test_tamper_hash__seq_1_chained_to_another_genesis(ledger: EventStore, db_path: Path) -> None:
    """seq 1 must be chained to 32 zero bytes: a first event hashed after anything else (the
    tail of another ledger, say) is reported, even with its hash right for that predecessor."""
    other = b"\x01" * 32
    assert GENESIS_HASH != other
    row = next(ledger.read_chain(stop=1))
    forged = chain_hash(
        other,
        envelope_bytes(
            seq=1, event_id=row.event_id, stream=row.stream, stream_version=row.stream_version,
            type=row.type, schema_version=row.schema_version, payload_json=row.payload_json,
            recorded_at=row.recorded_at, actor=row.actor, reason=row.reason,
            source_json=row.source_json, idempotency_key=row.idempotency_key, prev_hash=other,
        ),
    )  # fmt: skip
    tamper(db_path, "UPDATE events SET hash = ? WHERE seq = 1", params=(forged,))
    report = verify_ledger(ledger)
    assert report.first_bad_seq == 1
    assert [(p.seq, p.kind) for p in report.problems] == [(1, "hash-mismatch"), (2, "broken-link")]


@pytest.mark.parametrize(
    ("label", "statement"),
    [
        ("invalid-utf8", "UPDATE events SET payload = CAST(X'7B22616D6F756E74223AFF7D' AS TEXT)"),
        ("truncated-json", "UPDATE events SET payload = substr(payload, 1, 17)"),
        ("not-an-object", "UPDATE events SET payload = '[1,2]'"),
        ("empty", "UPDATE events SET payload = ''"),
        ("bit-flip", "UPDATE events SET payload = replace(payload, 'MoD', 'MoE')"),
        (
            "invalid-utf8-actor",
            "INSERT INTO actors (name) VALUES (CAST(X'C328' AS TEXT));"
            "UPDATE events SET actor_id = (SELECT MAX(id) FROM actors)",
        ),
    ],
)
def test_tamper_corrupt__payload_reported_naming_the_seq_no_traceback(
    ledger: EventStore, db_path: Path, cli: Callable[..., Result], label: str, statement: str
) -> None:
    tamper(db_path, *(statement + " WHERE seq = 60").split(";"))
    report = verify_ledger(ledger)
    assert report.first_bad_seq == 60, label
    assert all(p.seq == 60 for p in report.problems), report.problems
    result = cli("verify")
    assert result.exit_code == 3
    assert "seq 60" in one_line(result)
    # reading commands do not crash either: an integrity error naming the seq, or the event
    for args in (("log",), ("show", "60"), ("log", "--format", "jsonl"), ("show", "59")):
        shown = cli(*args)
        assert shown.exit_code in (0, 3), (args, shown.stderr)
        if shown.exit_code:
            assert "seq 60" in one_line(shown)
            assert "internal error" not in shown.stderr


def test_tamper_digest__value_from_before_and_after(ledger: EventStore) -> None:
    before = json.dumps(digest(ledger))
    ledger.append_events([category("C")])
    assert verify_ledger(ledger, before).ok
