"""The Merkle cache (``merkle_blocks``) is insert-only, and nothing signed or proved trusts it: a
cache poisoned by someone who could bypass the triggers (on SQLite, anyone with the file; on
PostgreSQL, a role with write access) cannot make ``checkpoint`` sign a root the events do not
have, nor ``prove`` or ``verify --checkpoint`` assert one. Both backends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import Result
from helpers import category, line
from sqlalchemy import text

from ledger.audit import checkpoints, merkle
from ledger.audit.merkle import CompactRange, leaf_hash
from ledger.errors import AppendOnlyViolation, IntegrityFailure
from ledger.storage.store import EventStore, translate

BLOCK = 4
SIZE = 12  # three complete blocks: a cache-trusting head is the last block's frontier alone

Cli = Callable[..., Result]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoints, "BLOCK", BLOCK)


def _fill(store: EventStore, count: int) -> list[bytes]:
    store.append_events([category()])
    for i in range(1, count):
        store.append_events([line(f"L{i}", str(i))])
    return [leaf_hash(bytes.fromhex(e.hash)) for e in store.read()]


def _forged_rows(leaves: list[bytes]) -> tuple[list[dict[str, Any]], bytes]:
    """The cache rows (root, frontier) of a forged history that differs from ``leaves`` at
    seq 6, and the forged history's root."""
    forged = list(leaves)
    forged[5] = leaf_hash(b"a forged event hash, 32 bytes..")
    rows, frontier = [], CompactRange()
    for block in range(len(forged) // BLOCK):
        part = forged[block * BLOCK : (block + 1) * BLOCK]
        frontier.extend(part)
        rows.append(
            {
                "block": block,
                "root": merkle.root_from_leaf_hashes(part),
                "frontier": orjson.dumps(frontier.to_state()).decode(),
            }
        )
    return rows, merkle.root_from_leaf_hashes(forged)


def _as_attacker(store: EventStore, statement: str, rows: list[dict[str, Any]]) -> None:
    """Run ``statement`` on ``merkle_blocks`` past its triggers, then put them back: on SQLite
    by dropping them (anyone who can write the file can), on PostgreSQL as the tables' owner."""
    with store.engine.begin() as conn:
        if store.sqlite:
            conn.execute(text("DROP TRIGGER merkle_blocks_no_update"))
            conn.execute(text("DROP TRIGGER merkle_blocks_no_delete"))
        else:
            conn.execute(text("ALTER TABLE merkle_blocks DISABLE TRIGGER merkle_blocks_no_change"))
        conn.execute(text(statement), rows or None)
        if not store.sqlite:
            conn.execute(text("ALTER TABLE merkle_blocks ENABLE TRIGGER merkle_blocks_no_change"))
    store.init()  # SQLite: the triggers are created again, as if nothing had happened


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE merkle_blocks SET root = last_hash",
        "UPDATE merkle_blocks SET frontier = '{}'",
        "DELETE FROM merkle_blocks WHERE block = 1",
        "DELETE FROM merkle_blocks",
    ],
)
def test_merkle_cache__update_and_delete_refused_by_the_database(
    backend_store: EventStore, statement: str
) -> None:
    _fill(backend_store, SIZE)
    checkpoints.tree_head(backend_store)
    with pytest.raises(Exception) as caught, backend_store.engine.begin() as conn:
        conn.execute(text(statement))
    assert isinstance(translate(caught.value), AppendOnlyViolation)
    assert "merkle_blocks are append-only" in str(translate(caught.value))
    if not backend_store.sqlite:
        with pytest.raises(Exception) as truncated, backend_store.engine.begin() as conn:
            conn.execute(text("TRUNCATE merkle_blocks"))
        assert isinstance(translate(truncated.value), AppendOnlyViolation)


def test_merkle_cache__a_poisoned_cache_is_refused_not_signed(
    backend_store: EventStore, backend_cli: Cli, tmp_path: Path
) -> None:
    leaves = _fill(backend_store, SIZE)
    kept, early = tmp_path / "kept.checkpoint", tmp_path / "early.checkpoint"
    early.write_text(backend_cli("checkpoint", "--as-of", "4").stdout)
    kept.write_text(backend_cli("checkpoint").stdout)  # fills the cache: blocks 0, 1, 2
    rows, forged_root = _forged_rows(leaves)
    _as_attacker(
        backend_store,
        "UPDATE merkle_blocks SET root = :root, frontier = :frontier WHERE block = :block",
        rows,
    )
    # What the cache now says is the forged history's root: trusting it would sign that.
    with backend_store.engine.connect() as conn:
        poisoned = conn.execute(text("SELECT frontier FROM merkle_blocks WHERE block = 2")).one()
    assert CompactRange.from_state(orjson.loads(poisoned[0])).root() == forged_root
    assert forged_root != merkle.root_from_leaf_hashes(leaves)

    key, _ = _keys(tmp_path)
    signed = backend_cli("checkpoint", "--sign", str(key))
    assert signed.exit_code == 3
    assert signed.stdout == ""
    assert signed.stderr.startswith(
        "Error: the Merkle cache (merkle_blocks) block 1, seq 5..8, does not match the events: "
        "its root is not the one the events give"
    )
    proved = backend_cli("prove", "3", "--checkpoint", str(kept))
    assert proved.exit_code == 3
    assert "block 1, seq 5..8, does not match the events" in proved.stderr
    # The consistency proof from size 4 to 12 takes the root of block 1 from the cache.
    verified = backend_cli("verify", "--checkpoint", str(early))
    assert verified.exit_code == 3
    assert "Merkle cache (merkle_blocks) does not verify against the events" in verified.stderr


@pytest.mark.parametrize(
    ("column", "value", "what"),
    [
        ("root", "last_hash", "root"),
        ("frontier", '\'{"size": 8, "hashes": []}\'', "frontier"),
        ("frontier", "'not json'", "frontier"),
    ],
)
def test_merkle_cache__each_poisoned_column_is_named(
    backend_store: EventStore, column: str, value: str, what: str
) -> None:
    _fill(backend_store, SIZE + 2)
    checkpoints.tree_head(backend_store)
    _as_attacker(backend_store, f"UPDATE merkle_blocks SET {column} = {value} WHERE block = 1", [])
    with pytest.raises(IntegrityFailure, match=f"block 1, seq 5..8, .* its {what} is not"):
        checkpoints.tree_head(backend_store)
    with pytest.raises(IntegrityFailure, match="block 1"):
        checkpoints.checkpoint_text(backend_store, 9)


def test_merkle_cache__a_forged_block_added_ahead_is_refused(
    backend_store: EventStore, backend_cli: Cli
) -> None:
    """Blocks not cached yet: an attacker inserts them (INSERT is allowed) before `checkpoint`
    computes them; the forged rows must not be taken."""
    leaves = _fill(backend_store, SIZE)
    rows, _ = _forged_rows(leaves)
    last = {b: bytes.fromhex(backend_store.get(BLOCK * (b + 1)).hash) for b in range(3)}
    with backend_store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO merkle_blocks (block, root, frontier, last_hash) "
                "VALUES (:block, :root, :frontier, :last_hash)"
            ),
            [{**row, "last_hash": last[row["block"]]} for row in rows],
        )
    result = backend_cli("checkpoint")
    assert result.exit_code == 3
    assert "block 1, seq 5..8, does not match the events" in result.stderr


def test_merkle_cache__an_honest_cache_still_gives_the_rfc6962_root_at_every_size(
    backend_store: EventStore,
) -> None:
    leaves = _fill(backend_store, SIZE + 3)
    for size in (SIZE + 3, 0, 3, 4, 5, 8, 11, SIZE):  # cold, then warm with every tail length
        assert checkpoints.tree_head(backend_store, size).root == merkle.root_from_leaf_hashes(
            leaves[:size]
        )
    with backend_store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM merkle_blocks")).scalar_one() == 3


def _keys(tmp_path: Path) -> tuple[Path, Path]:
    from ledger.audit.signing import generate_keypair

    private, public = generate_keypair("operator", seed=bytes(range(32)))
    (tmp_path / "op.key").write_text(private + "\n")
    (tmp_path / "op.pub").write_text(public + "\n")
    return tmp_path / "op.key", tmp_path / "op.pub"
