"""Merkle tree heads and proofs over the stored ledger (ledger.audit.checkpoints,
ledger.storage.meta)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import category, line

from ledger.audit import checkpoints, merkle
from ledger.audit.signing import (
    generate_keypair,
    parse_signed_checkpoint,
    verify_checkpoint_signature,
)
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.storage.meta import ledger_id, origin
from ledger.storage.store import EventStore

SIZE = 21


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(checkpoints, "BLOCK", 4)
    return 4


def _fill(store: EventStore, count: int) -> list[bytes]:
    store.append_events([category()])
    for i in range(1, count):
        store.append_events([line(f"L{i}", str(i))])
    return [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in store.read()]


def _block_rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM merkle_blocks").fetchone()[0])


def test_tree_head__matches_the_rfc6962_root_at_every_size(
    store: EventStore, small_blocks: int
) -> None:
    leaves = _fill(store, SIZE)
    for size in range(SIZE + 1):
        assert checkpoints.tree_head(store, size).root == merkle.root_from_leaf_hashes(
            leaves[:size]
        )
    assert checkpoints.tree_head(store).size == SIZE


def test_inclusion_proof__equals_the_reference_for_every_leaf_and_size(
    store: EventStore, small_blocks: int
) -> None:
    leaves = _fill(store, SIZE)
    for size in range(1, SIZE + 1):
        for seq in range(1, size + 1):
            expected = merkle.inclusion_proof_from_leaves(seq - 1, leaves[:size])
            assert checkpoints.inclusion_proof(store, seq, size) == expected, (seq, size)


def test_consistency_proof__equals_the_reference_and_verifies(
    store: EventStore, small_blocks: int
) -> None:
    leaves = _fill(store, SIZE)
    for new in range(SIZE + 1):
        new_root = merkle.root_from_leaf_hashes(leaves[:new])
        for old in range(new + 1):
            proof = checkpoints.consistency_proof(store, old, new)
            assert proof == merkle.consistency_proof_from_leaves(old, leaves[:new])
            old_root = merkle.root_from_leaf_hashes(leaves[:old])
            assert merkle.verify_consistency(old, new, old_root, new_root, proof)


def test_cache__is_filled_incrementally_one_row_per_block(
    store: EventStore, db_path: Path, small_blocks: int
) -> None:
    _fill(store, 10)
    checkpoints.tree_head(store)
    assert _block_rows(db_path) == 2
    for i in range(10, 19):
        store.append_events([line(f"M{i}", "1")])
    checkpoints.tree_head(store)
    assert _block_rows(db_path) == 4  # blocks 2 and 3 were added, 0 and 1 kept


def test_cache__rewritten_events_are_detected_not_trusted(
    store: EventStore, db_path: Path, small_blocks: int
) -> None:
    _fill(store, 10)
    checkpoints.tree_head(store)
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET hash = ? WHERE seq = 8", (bytes(32),))
    with pytest.raises(IntegrityFailure, match="rewritten"):
        checkpoints.tree_head(store, 9)


def test_tree_head__beyond_the_head_is_refused(store: EventStore) -> None:
    _fill(store, 3)
    with pytest.raises(InvalidInput, match="the ledger has 3 events"):
        checkpoints.tree_head(store, 4)
    with pytest.raises(InvalidInput):
        checkpoints.inclusion_proof(store, 4, 3)


def test_ledger_id__is_created_once_and_names_the_origin(store: EventStore) -> None:
    first = ledger_id(store)
    assert ledger_id(store) == first
    assert origin(store) == f"defledger/{first}"


def test_checkpoint_text__signed_c2sp_note_verifies(store: EventStore) -> None:
    leaves = _fill(store, 5)
    private, public = generate_keypair("auditor", seed=bytes(range(32)))
    text = checkpoints.checkpoint_text(store, 4, private)
    cp = verify_checkpoint_signature(text, public)
    assert (cp.origin, cp.size, cp.root) == (
        origin(store),
        4,
        merkle.root_from_leaf_hashes(leaves[:4]),
    )
    unsigned = checkpoints.checkpoint_text(store, 4)
    assert text.startswith(unsigned + "\n\u2014 auditor ")
    assert parse_signed_checkpoint(unsigned) == (cp, [])


def test_checkpoint_text__a_bad_key_is_invalid_input(store: EventStore) -> None:
    _fill(store, 2)
    with pytest.raises(InvalidInput, match="cannot sign"):
        checkpoints.checkpoint_text(store, None, "PRIVATE+KEY+x+00000000+AAAA")


def test_merkle_tee__streams_rows_and_keeps_the_prefix_root(store: EventStore) -> None:
    leaves = _fill(store, 7)
    tee = checkpoints.MerkleTee(store.read_chain(), 5)
    assert [row.seq for row in tee][:2] == [1, 2]
    assert tee.prefix_root == merkle.root_from_leaf_hashes(leaves[:5])
    assert tee.range.root() == merkle.root_from_leaf_hashes(leaves)


def test_checkpoint_proofs_and_export__on_both_backends(
    backend_store: EventStore, small_blocks: int, tmp_path: Path
) -> None:
    from ledger.audit.proofs import make_proof, verify_proof
    from ledger.audit.verify import verify_ledger
    from ledger.exports.verify import verify_export
    from ledger.exports.write import export_bundle

    leaves = _fill(backend_store, 11)
    text = checkpoints.checkpoint_text(backend_store, 9)
    assert parse_signed_checkpoint(text)[0].root == merkle.root_from_leaf_hashes(leaves[:9])
    assert checkpoints.consistency_proof(backend_store, 5, 11) == (
        merkle.consistency_proof_from_leaves(5, leaves)
    )
    assert verify_proof(make_proof(backend_store, 7, text), text).ok
    assert verify_ledger(backend_store, checkpoint=text).ok
    export_bundle(backend_store, "bundle", 11, root=str(tmp_path))
    assert verify_export(tmp_path / "bundle").ok
