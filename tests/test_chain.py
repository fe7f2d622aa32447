"""The hash chain: the algorithm recomputed independently (RFC 8785 reference + hashlib, straight
from the SQLite file), digests, and a clean ledger verifying."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from helpers import category, line, pending

from ledger.audit.checkpoints import checkpoint_text
from ledger.audit.verify import digest, verify_ledger
from ledger.errors import InvalidInput
from ledger.storage.chain import GENESIS_HASH, Problem, check_chain, decode_digest, gap_problem
from ledger.storage.store import EventStore


def independent_hashes(db_path: Path) -> list[tuple[int, bytes, bytes, bytes]]:
    """(seq, prev_hash, stored hash, recomputed hash) for every row, computed with the
    reference RFC 8785 implementation and nothing from ``ledger``; prev_hash is the stored hash
    of the row before (not a column)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT e.seq, e.event_id, s.name, e.stream_version, t.name, e.schema_version, e.payload,"
        " e.recorded_at, a.name, e.reason, e.source, e.idempotency_key,"
        " (SELECT p.hash FROM events p WHERE p.seq = e.seq - 1), e.hash"
        " FROM events e JOIN streams s ON s.id = e.stream_id"
        " JOIN event_types t ON t.id = e.type_id JOIN actors a ON a.id = e.actor_id ORDER BY e.seq"
    ).fetchall()
    conn.close()
    out = []
    for seq, eid, stream, ver, kind, schema, payload, at, actor, reason, source, key, ph, h in rows:
        ph = ph if ph is not None else bytes(32)
        at = (datetime(1970, 1, 1) + timedelta(microseconds=at)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        envelope: dict[str, Any] = {
            "seq": seq,
            "event_id": str(uuid.UUID(bytes=eid)),
            "stream": stream,
            "stream_version": ver,
            "type": kind,
            "schema_version": schema,
            "payload": json.loads(payload),
            "recorded_at": at,
            "actor": actor,
            "reason": reason,
            "source": json.loads(source) if source else None,
            "idempotency_key": key,
            "prev_hash": ph.hex(),
        }
        out.append((seq, ph, h, hashlib.sha256(ph + rfc8785.dumps(envelope)).digest()))
    return out


@pytest.fixture
def varied(store: EventStore) -> EventStore:
    """Events of many shapes, with non-ASCII text, sources, reasons and keys."""
    store.append_events(
        [
            category("JP.CORE", name="防衛力整備計画対象経費", description='core 😀 \u2028 "q"'),
            category("JP.REL", name="関連経費", parent="JP.CORE"),
            line("MOD-1", "8.5E12", "JP.CORE", program="ミサイル\t防衛\n", agency="防衛省"),
            pending(
                "GdpRecorded",
                actor="山田 太郎",
                fiscal_year=2022,
                amount="560000000000000",
                vintage="2022-12-estimate",
                source={"title": "白書", "url": "https://example.org/p?q=1&r=é", "page": "p.3"},
            ),
            pending(
                "TargetSet",
                actor="analyst",
                target_id="nss-2pct",
                percent_of_gdp="2",
                by_fiscal_year="FY2027",
                reason="閣議決定",
                idempotency_key="k-\u00e9",
            ),
            pending("StagesSet", definition="jp", version=1, stages=["initial", "supplementary"]),
            pending(
                "ExchangeRateRecorded", base="USD", quote="JPY", fiscal_year=2025, rate="151.234567"
            ),
        ]  # fmt: skip
    )
    store.append_events([line("MOD-2", "-0.000001", "JP.REL", stage="settled")])
    return store


def test_chain__independent_recomputation_matches_every_stored_hash(
    varied: EventStore, db_path: Path
) -> None:
    rows = independent_hashes(db_path)
    assert [r[0] for r in rows] == list(range(1, 9))
    assert rows[0][1] == GENESIS_HASH == bytes(32)
    previous = GENESIS_HASH
    for seq, prev_hash, stored, recomputed in rows:
        assert prev_hash == previous, f"link at seq {seq}"
        assert recomputed == stored, f"hash at seq {seq}"
        previous = stored
    head = varied.head()
    assert head is not None and head.hash == previous.hex()


def test_chain__stored_envelope_is_what_append_returned(store: EventStore) -> None:
    appended = store.append_events([category("A"), line("L", "1.50", "A")]).appended
    assert [e.envelope() for e in store.read()] == [e.envelope() for e in appended]
    assert appended[1].prev_hash == appended[0].hash
    assert appended[0].prev_hash == "0" * 64
    assert appended[1].payload["amount"] == "1.5"


def test_chain__clean_ledger_verifies(varied: EventStore) -> None:
    report = verify_ledger(varied)
    assert report.ok and report.problems == ()
    assert report.checked == report.head_seq == 8
    assert report.first_bad_seq is None
    assert list(check_chain(varied.read_chain())) == []


def test_chain__empty_ledger_verifies(store: EventStore) -> None:
    report = verify_ledger(store)
    assert report.ok and report.checked == 0 and report.head_hash == "0" * 64
    assert digest(store) == {"seq": 0, "hash": "0" * 64, "recorded_at": None}
    assert verify_ledger(store, json.dumps(digest(store))).ok


def test_chain__thousand_appends_verify(store: EventStore) -> None:
    store.append_events([category("A")])
    for start in range(0, 1000, 100):
        store.append_events([line(f"L{i}", str(i), "A") for i in range(start, start + 100)])
    report = verify_ledger(store)
    assert report.ok and report.checked == 1001


def test_chain_digest__kept_prefix_still_verifies_after_more_appends(store: EventStore) -> None:
    store.append_events([category("A"), category("B")])
    kept = json.dumps(digest(store))
    store.append_events([category("C")])
    assert verify_ledger(store, kept).ok
    assert verify_ledger(store, json.dumps(digest(store))).ok


def test_chain_digest__other_ledger_with_same_length_fails(tmp_path: Path) -> None:
    """A self-consistent replacement ledger passes on its own but not against a kept digest."""
    real = EventStore.open(str(tmp_path / "real.db"), create=True)
    fake = EventStore.open(str(tmp_path / "fake.db"), create=True)
    try:
        real.append_events([category("A"), line("L", "100", "A")])
        fake.append_events([category("A"), line("L", "999", "A")])
        kept = json.dumps(digest(real))
        assert verify_ledger(fake).ok
        report = verify_ledger(fake, kept)
        assert not report.ok
        assert [(p.seq, p.kind) for p in report.problems] == [(2, "digest-mismatch")]
    finally:
        real.close()
        fake.close()


@pytest.mark.parametrize(
    "text", ["", "{}", "not json", '{"seq": "x", "hash": "00"}', '{"seq": 1, "hash": "zz"}', "[1]"]
)
def test_chain_digest__malformed_digest_is_bad_input(store: EventStore, text: str) -> None:
    with pytest.raises(ValueError):
        decode_digest(text)
    with pytest.raises(InvalidInput, match="digest"):
        verify_ledger(store, text)


def test_chain_gap__names_the_missing_seqs() -> None:
    assert gap_problem(68, 67) == Problem(67, "seq-gap", "seq 67 is missing")
    assert gap_problem(71, 67) == Problem(67, "seq-gap", "seqs 67..70 are missing")
    assert gap_problem(0, 1) == Problem(0, "seq-gap", "seq 0 is out of place: seqs run 1, 2, 3, …")


def test_chain__varied_ledger_passes_every_verifier(
    varied: EventStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Non-ASCII text, escapes, nested payloads, sources: canonical for our check (one pass,
    the parallel scan, the Merkle pass) and for the shipped standard-library script."""
    from ledger.audit import scan as chain_scan

    assert verify_ledger(varied).ok
    assert verify_ledger(varied, checkpoint=checkpoint_text(varied, None)).ok
    monkeypatch.setattr(chain_scan, "PARALLEL_MIN_EVENTS", 2)
    monkeypatch.setattr(chain_scan, "default_workers", lambda: 2)
    assert verify_ledger(varied).ok
    script = Path(__file__).resolve().parent.parent / "docs" / "verifiers" / "verify_chain.py"
    done = subprocess.run(
        [sys.executable, str(script), str(db_path)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"ok: {varied.count()} events, head {varied.head().hash}")
