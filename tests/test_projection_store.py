"""Persisted projections: incremental catch-up == full rebuild == as-of(last seq) == the pure
fold; as-of(seq n) == the fold of the first n events; stale or tampered projections are found."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers import category, line, pending
from helpers.projection_scenarios import OPS, as_stored, interpret
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import IntegrityFailure, InvalidInput
from ledger.projections import snapshots as snap
from ledger.projections.fold import LedgerState, fold_all
from ledger.projections.persisted import catch_up, snapshot_seqs, state_at, stored_state
from ledger.projections.rebuild import rebuild
from ledger.storage.store import EventStore


def _pending(event: dict[str, object]) -> object:
    fields = dict(event)
    return pending(str(fields.pop("type")), **fields)


def _rows(state: LedgerState, lines: bool = True) -> dict[str, object]:
    rows: dict[str, object] = dict(snap.small_state(state))
    if lines:
        rows["lines"] = sorted(snap.line_row(x) for x in state.lines.values())
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS, st.lists(st.integers(1, 12), min_size=1, max_size=8), st.integers(2, 9), st.data())
def test_catch_up__in_random_chunks_equals_rebuild_and_as_of_and_pure_fold(
    ops: list[tuple[int, ...]], chunks: list[int], every: int, data: st.DataObject
) -> None:
    events = interpret(ops)
    with tempfile.TemporaryDirectory() as folder:
        with EventStore.open(str(Path(folder) / "l.db"), create=True) as store:
            position, index = 0, 0
            while position < len(events):
                size = chunks[index % len(chunks)]
                store.append_events([_pending(e) for e in events[position : position + size]])
                position += size
                index += 1
                catch_up(store, snapshot_every=every)
            reference = fold_all(as_stored(events))
            incremental = stored_state(store)
            assert _rows(incremental) == _rows(reference)
            assert _rows(state_at(store, len(events)), lines=False) == _rows(reference, lines=False)
            seq = data.draw(st.integers(0, len(events)), label="as-of seq")
            prefix = fold_all(as_stored(events)[:seq])
            assert _rows(state_at(store, seq), lines=False) == _rows(prefix, lines=False)
            table = rebuild(store, snapshot_every=every)
            assert table.rows == []
            assert _rows(stored_state(store)) == _rows(reference)
            assert snapshot_seqs(store) == list(range(every, len(events) + 1, every))


def _ledger(store: EventStore) -> None:
    store.append_events([category("A"), category("B")])
    store.append_events([line(f"L{i}", str(10 + i), "A" if i % 2 else "B") for i in range(6)])


def test_catch_up__applies_only_new_events(store: EventStore) -> None:
    _ledger(store)
    assert catch_up(store) == 8
    store.append_events(
        [pending("BudgetLineRevised", fiscal_year=2025, line_id="L1", amount="1", reason="r")]
    )
    assert catch_up(store) == 9
    state = stored_state(store)
    assert state.lines["JP/FY2025/L1"].amount == 1
    assert state.sums[("JP", 2025)][("initial", "A", "JPY")].amount == 1 + 13 + 15


def test_as_of__uses_the_nearest_snapshot_and_the_lines_own_streams(store: EventStore) -> None:
    _ledger(store)
    catch_up(store, snapshot_every=3)
    revisions = [
        pending(
            "BudgetLineRevised", fiscal_year=2025, line_id="L0", amount=str(100 + i), reason="r"
        )
        for i in range(5)
    ]
    for revision in revisions:
        store.append_events([revision])
        catch_up(store, snapshot_every=3)
    assert snapshot_seqs(store) == [3, 6, 9, 12]
    for seq in range(0, 14):
        expected = fold_all(list(store.read(stop=seq)))
        assert _rows(state_at(store, seq), lines=False) == _rows(expected, lines=False)


def test_rebuild__reports_a_tampered_projection_then_repairs_it(
    store: EventStore, db_path: Path
) -> None:
    _ledger(store)
    catch_up(store)
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE proj_sums SET amount = '999' WHERE category = 'A'")
        raw.execute("UPDATE proj_lines SET category = 'B' WHERE key = 'JP/FY2025/L1'")
    table = rebuild(store, replace=False)
    assert {(row["table"], row["key"]) for row in table.rows} == {
        ("proj_sums", "JP/2025/initial/A/JPY"),
        ("proj_lines", "JP/FY2025/L1"),
    }
    assert rebuild(store, replace=False).rows != []  # --check kept the bad rows
    assert rebuild(store).rows != []
    assert rebuild(store).rows == []


def test_catch_up__refuses_projections_built_from_other_events(
    store: EventStore, db_path: Path
) -> None:
    _ledger(store)
    catch_up(store)
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE proj_checkpoints SET last_hash = ?", ("ab" * 32,))
    with pytest.raises(IntegrityFailure, match="rebuild"):
        catch_up(store)
    table = rebuild(store)
    assert [row["table"] for row in table.rows] == ["proj_checkpoints"]
    assert catch_up(store) == 8


def test_catch_up__creates_missing_tables_of_an_older_ledger(
    store: EventStore, db_path: Path
) -> None:
    _ledger(store)
    with sqlite3.connect(db_path) as raw:
        for table in ("proj_checkpoints", "proj_lines", "proj_sums", "proj_snapshots"):
            raw.execute(f"DROP TABLE {table}")
    assert catch_up(store) == 8
    assert stored_state(store).sums[("JP", 2025)][("initial", "B", "JPY")].amount == 10 + 12 + 14


def test_projections__same_answers_on_both_backends(
    backend_store: EventStore, backend_cli: Callable[..., Result]
) -> None:
    primer = Path(__file__).resolve().parent.parent / "examples" / "primer.jsonl"
    assert backend_cli("import", str(primer)).exit_code == 0
    catch_up(backend_store, snapshot_every=10)
    revise = ("record", "revise", "--fy", "2025", "--line-id", "REL-OTHER")
    assert backend_cli(*revise, "--amount", "700000000000", "--reason", "9.9").exit_code == 0
    catch_up(backend_store, snapshot_every=10)
    assert snapshot_seqs(backend_store) == [10, 20, 30, 40]
    events = list(backend_store.read())
    for seq in (0, 15, 22, 43, 44):
        expected = fold_all(events[:seq])
        assert _rows(state_at(backend_store, seq), lines=False) == _rows(expected, lines=False)
    assert _rows(stored_state(backend_store)) == _rows(fold_all(events))
    totals = backend_cli("totals", "--fy", "2025", "--tier", "all", "--format", "json")
    assert json.loads(totals.stdout)["totals"][0]["share_of_gdp_pct"] == "1.96"
    assert backend_cli("trace", "--fy", "2025", "--format", "json").exit_code == 0
    assert backend_cli("replay", "--fy", "2025", "--format", "json").exit_code == 0
    assert backend_cli("rebuild").exit_code == 0
    assert rebuild(backend_store, snapshot_every=10).rows == []


def test_state_at__beyond_the_head_is_invalid_input(store: EventStore) -> None:
    _ledger(store)
    with pytest.raises(InvalidInput, match="beyond the ledger's head"):
        state_at(store, 9)
