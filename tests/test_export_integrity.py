"""``export`` builds each events.jsonl line from the stored bytes (``chain_row_line``) and
refuses a ledger wherever ``verify`` finds a problem in a row: an edited payload or source
(even one that only loses its canonical form), reason, time, id or hash, a text that is not
UTF-8. Nothing is written then; an untouched ledger exports and its bundle verifies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers.audit_scenario import build_scenario

from ledger.audit.verify import verify_ledger
from ledger.errors import IntegrityFailure
from ledger.exports.verify import verify_export
from ledger.exports.write import export_bundle
from ledger.storage.store import EventStore

SEQ = 10  # a BudgetLineRecorded with a source in the scenario

EDITS = {
    "payload value": "UPDATE events SET payload = replace(payload, '8500000000000', "
    f"'9500000000000') WHERE seq = {SEQ}",
    "payload spacing": f"UPDATE events SET payload = replace(payload, ':', ': ') WHERE seq = {SEQ}",
    "source spacing": f"UPDATE events SET source = replace(source, ':', ': ') WHERE seq = {SEQ}",
    "source value": f"UPDATE events SET source = replace(source, 'MOF', 'MoF') WHERE seq = {SEQ}",
    "reason": f"UPDATE events SET reason = 'edited' WHERE seq = {SEQ}",
    "time": f"UPDATE events SET recorded_at = recorded_at - 1 WHERE seq = {SEQ}",
    "event id": f"UPDATE events SET event_id = X'00' WHERE seq = {SEQ}",
    "hash as text": f"UPDATE events SET hash = 'x' WHERE seq = {SEQ}",
    "actor not UTF-8": f"UPDATE actors SET name = CAST(X'ff' AS TEXT) WHERE id = "
    f"(SELECT actor_id FROM events WHERE seq = {SEQ})",
}


def _edit(db_path: Path, sql: str) -> None:
    with sqlite3.connect(db_path) as conn:
        for trigger in ("events_no_update", "actors_no_update"):
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.executescript(sql)


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_export__refuses_a_row_verify_flags(
    store: EventStore, db_path: Path, tmp_path: Path, edit: str
) -> None:
    head = build_scenario(store)
    source = store.get(SEQ).source
    if edit.startswith("source") and source is None:
        pytest.skip("the scenario's event has no source")
    _edit(db_path, EDITS[edit])
    store.close()
    reopened = EventStore.open(str(db_path))
    assert not verify_ledger(reopened).ok
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(IntegrityFailure, match="does not verify at seq|is not UTF-8"):
        export_bundle(reopened, "bundle", head, root=str(out))
    assert list(out.iterdir()) == []
    reopened.close()


def test_export__an_untouched_ledger_exports_and_verifies(
    store: EventStore, tmp_path: Path
) -> None:
    head = build_scenario(store)
    assert verify_ledger(store).ok
    export_bundle(store, "bundle", head, root=str(tmp_path))
    lines = (tmp_path / "bundle" / "events.jsonl").read_bytes().splitlines()
    assert len(lines) == head
    assert verify_export(tmp_path / "bundle").ok
