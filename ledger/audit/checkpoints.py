"""Merkle tree heads, checkpoints and proofs over the stored ledger (RFC 6962 / RFC 9162).

The leaves are the events' 32-byte chain hashes in seq order: leaf index ``i`` is seq ``i + 1``
and its leaf hash is ``SHA-256(0x00 ‖ event hash)``. A tree head (size, root) is what an
auditor keeps, as a C2SP checkpoint signed with Ed25519 (``ledger.audit.signing``).

The table ``merkle_blocks`` caches, for every complete block of ``BLOCK`` leaves, the block's
subtree root, the ``CompactRange`` frontier at its end and the chain hash of its last event. It
is insert-only (triggers on both backends; ``db grants`` gives the application role SELECT and
INSERT only), and it is never trusted for what is signed or asserted:

- ``tree_head`` (``checkpoint``, and ``prove``'s check of the checkpoint) derives the root from
  the events themselves, one streamed pass over their hashes, and compares every cached block it
  passes with what the events give; a block that differs is an ``IntegrityFailure`` naming it,
  so a poisoned cache can never make the operator sign a root the events do not have.
- Proofs take O(size / BLOCK) node hashes from the cache plus at most two blocks of leaves, and
  are then checked against a root derived from the events (``prove``) or streamed from them
  (``verify --checkpoint``) before they are trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from ledger.audit import merkle
from ledger.audit.merkle import EMPTY_ROOT, CompactRange, leaf_hash, node_hash
from ledger.audit.signing import (
    Checkpoint,
    SignatureError,
    parse_signed_checkpoint,
    sign_checkpoint,
    verify_checkpoint_signature,
)
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.storage.chain import ChainRow, Problem
from ledger.storage.meta import origin
from ledger.storage.store import EventStore, translate

BLOCK = 1024  # leaves per cached block; a power of two, so a block is a perfect subtree
_PAGE_BLOCKS = 16  # blocks computed per read page and per insert transaction


@dataclass(frozen=True)
class TreeHead:
    """The RFC 6962 tree head of the first ``size`` events."""

    size: int
    root: bytes

    def to_checkpoint(self, origin_line: str) -> Checkpoint:
        return Checkpoint(origin=origin_line, size=self.size, root=self.root)


def _largest_pow2_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _leaves(conn: Connection, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
    """(seq, event hash) of leaves ``start`` (inclusive) to ``stop`` (exclusive), in order;
    a missing seq is an integrity failure (the tree would silently shift)."""
    expected = start + 1
    for after in range(start, stop, BLOCK * _PAGE_BLOCKS):
        upto = min(stop, after + BLOCK * _PAGE_BLOCKS)
        rows = conn.execute(
            text("SELECT seq, hash FROM events WHERE seq > :a AND seq <= :b ORDER BY seq"),
            {"a": after, "b": upto},
        ).all()
        for seq, digest in rows:
            if seq != expected:
                raise IntegrityFailure(f"seq {expected} is missing from the ledger (run verify)")
            expected += 1
            yield seq, bytes(digest)
        if expected != upto + 1:
            raise IntegrityFailure(f"seq {expected} is missing from the ledger (run verify)")


def _leaf_hashes(conn: Connection, start: int, stop: int) -> Iterator[bytes]:
    return (leaf_hash(digest) for _, digest in _leaves(conn, start, stop))


def _event_hash(conn: Connection, seq: int) -> bytes | None:
    row = conn.execute(text("SELECT hash FROM events WHERE seq = :s"), {"s": seq}).first()
    return None if row is None else bytes(row[0])


def _head_seq(conn: Connection) -> int:
    return int(conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM events")).scalar_one())


def _checked_block(conn: Connection, block: int) -> tuple[bytes, CompactRange]:
    """The cached (root, frontier) of ``block``, after checking it still matches the events."""
    row = conn.execute(
        text("SELECT root, frontier, last_hash FROM merkle_blocks WHERE block = :b"),
        {"b": block},
    ).first()
    if row is None:
        raise IntegrityFailure(f"Merkle cache block {block} is missing")
    last_seq = (block + 1) * BLOCK
    if _event_hash(conn, last_seq) != bytes(row[2]):
        raise IntegrityFailure(
            f"the stored events no longer match the Merkle cache at seq {last_seq}: "
            "the history was rewritten (run verify)"
        )
    return bytes(row[0]), CompactRange.from_state(orjson.loads(row[1]))


def _insert_blocks(store: EventStore, rows: list[dict[str, Any]]) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO merkle_blocks (block, root, frontier, last_hash) "
                "VALUES (:block, :root, :frontier, :last_hash) ON CONFLICT (block) DO NOTHING"
            ),
            rows,
        )


def ensure_blocks(store: EventStore, size: int) -> int:
    """Fill the cache up to the last complete block within ``size`` leaves; return how many
    blocks that is. Only blocks not yet cached are computed (catch-up, not rebuild)."""
    wanted = size // BLOCK
    try:
        with store.engine.connect() as conn:
            have = int(
                conn.execute(
                    text("SELECT COALESCE(MAX(block) + 1, 0) FROM merkle_blocks")
                ).scalar_one()
            )
            if have >= wanted:
                return wanted
            frontier = _checked_block(conn, have - 1)[1] if have else CompactRange()
            for first in range(have, wanted, _PAGE_BLOCKS):
                last = min(wanted, first + _PAGE_BLOCKS)
                rows: list[dict[str, Any]] = []
                leaves: list[bytes] = []
                for seq, digest in _leaves(conn, first * BLOCK, last * BLOCK):
                    leaves.append(leaf_hash(digest))
                    frontier.append_leaf_hash(leaves[-1])
                    if seq % BLOCK == 0:
                        rows.append(
                            {
                                "block": seq // BLOCK - 1,
                                "root": merkle.perfect_root(leaves),
                                "frontier": orjson.dumps(frontier.to_state()).decode(),
                                "last_hash": digest,
                            }
                        )
                        leaves = []
                conn.rollback()  # end the read transaction before writing (SQLite locks)
                _insert_blocks(store, rows)
    except SQLAlchemyError as exc:
        raise translate(exc) from exc
    return wanted


def _check_size(conn: Connection, size: int | None) -> int:
    head = _head_seq(conn)
    if size is None:
        return head
    if size < 0:
        raise InvalidInput(f"tree size {size} is negative")
    if size > head:
        raise InvalidInput(f"the ledger has {head} events; asked for a tree of size {size}")
    return size


def _cached_blocks(conn: Connection, blocks: int) -> dict[int, tuple[bytes, str, bytes]]:
    rows = conn.execute(
        text("SELECT block, root, frontier, last_hash FROM merkle_blocks WHERE block < :m"),
        {"m": blocks},
    )
    return {int(b): (bytes(root), str(frontier), bytes(last)) for b, root, frontier, last in rows}


def _cache_mismatch(block: int, what: str) -> IntegrityFailure:
    first, last = block * BLOCK + 1, (block + 1) * BLOCK
    return IntegrityFailure(
        f"the Merkle cache (merkle_blocks) block {block}, seq {first}..{last}, does not match "
        f"the events: its {what} is not the one the events give (the cache was altered, or the "
        "events were: run verify); refusing to use it"
    )


def _check_cached(
    block: int, cached: tuple[bytes, str, bytes], root: bytes, frontier: dict[str, Any],
    last_hash: bytes,
) -> None:  # fmt: skip
    """Raise unless the cached row of ``block`` is what the events give."""
    cached_root, cached_frontier, cached_last = cached
    if cached_last != last_hash:
        raise IntegrityFailure(
            f"the stored events no longer match the Merkle cache at seq {(block + 1) * BLOCK}: "
            "the history was rewritten (run verify)"
        )
    if cached_root != root:
        raise _cache_mismatch(block, "root")
    try:
        same_frontier = orjson.loads(cached_frontier) == frontier
    except orjson.JSONDecodeError:
        same_frontier = False
    if not same_frontier:
        raise _cache_mismatch(block, "frontier")


def tree_head(store: EventStore, size: int | None = None) -> TreeHead:
    """The tree head of the first ``size`` events (default: all of them), derived from the
    events' hashes in one streamed pass (O(size) hashes, O(BLOCK) memory). Every cached block on
    the way is compared with what the events give (``IntegrityFailure`` naming the first that
    differs); blocks not yet cached are added."""
    try:
        with store.engine.connect() as conn:
            size = _check_size(conn, size)
            complete = size // BLOCK
            cached = _cached_blocks(conn, complete)
            over_blocks = CompactRange()  # the tree of the block roots: its frontier, with
            leaves: list[bytes] = []  # the size in leaves, is the leaves' frontier
            missing: list[dict[str, Any]] = []
            for seq, digest in _leaves(conn, 0, size):
                leaves.append(leaf_hash(digest))
                if len(leaves) < BLOCK:
                    continue
                block, root = seq // BLOCK - 1, merkle.perfect_root(leaves)
                leaves = []
                over_blocks.append_leaf_hash(root)
                frontier = {
                    "size": seq,
                    "hashes": [h.hex() for h in over_blocks.frontier],
                }
                if block in cached:
                    _check_cached(block, cached[block], root, frontier, digest)
                else:
                    missing.append(
                        {
                            "block": block,
                            "root": root,
                            "frontier": orjson.dumps(frontier).decode(),
                            "last_hash": digest,
                        }
                    )
            conn.rollback()  # end the read transaction before writing (SQLite locks)
        head = CompactRange.from_state(
            {"size": complete * BLOCK, "hashes": [h.hex() for h in over_blocks.frontier]}
        )
        head.extend(leaves)
        if missing:
            _insert_blocks(store, missing)
    except SQLAlchemyError as exc:
        raise translate(exc) from exc
    return TreeHead(size, head.root())


@dataclass
class _Tree:
    """Subtree hashes of the first ``size`` leaves, from cached block roots and raw leaves."""

    conn: Connection
    size: int
    roots: list[bytes]
    leaf_cache: dict[int, list[bytes]] = field(default_factory=dict)

    def _block_leaves(self, block: int) -> list[bytes]:
        if block not in self.leaf_cache:
            start = block * BLOCK
            self.leaf_cache[block] = list(
                _leaf_hashes(self.conn, start, min(self.size, start + BLOCK))
            )
        return self.leaf_cache[block]

    def mth(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for the ranges RFC 6962 proofs use (``start`` aligned)."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if start % BLOCK == 0 and n % BLOCK == 0 and n & (n - 1) == 0:
            return merkle.root_from_leaf_hashes(self.roots[start // BLOCK : end // BLOCK])
        if n <= BLOCK and start // BLOCK == (end - 1) // BLOCK:
            block = start // BLOCK
            offset = block * BLOCK
            leaves = self._block_leaves(block)
            return merkle.root_from_leaf_hashes(leaves[start - offset : end - offset])
        k = _largest_pow2_below(n)
        return node_hash(self.mth(start, start + k), self.mth(start + k, end))


@contextmanager
def _tree(store: EventStore, size: int) -> Iterator[_Tree]:
    blocks = ensure_blocks(store, size)
    with store.engine.connect() as conn:
        if blocks:
            _checked_block(conn, blocks - 1)
        roots = [
            bytes(row[0])
            for row in conn.execute(
                text("SELECT root FROM merkle_blocks WHERE block < :m ORDER BY block"),
                {"m": blocks},
            )
        ]
        if len(roots) != blocks:
            raise IntegrityFailure("the Merkle cache has a missing block")
        yield _Tree(conn, size, roots)


def inclusion_proof(
    store: EventStore, seq: int, size: int | None = None, *, root: bytes | None = None
) -> list[bytes]:
    """Audit path of the event at ``seq`` (leaf index ``seq - 1``) in the tree of ``size``.
    With ``root`` (derived from the events, e.g. by ``tree_head``) the path is checked against
    it: a path made from a cache that does not match the events is an ``IntegrityFailure``."""
    try:
        with store.engine.connect() as conn:
            size = _check_size(conn, size)
            event_hash = _event_hash(conn, seq) if 1 <= seq <= size else None
        if event_hash is None:
            raise InvalidInput(f"seq {seq} is not in a tree of {size} events")
        with _tree(store, size) as tree:
            path = [tree.mth(a, b) for a, b in merkle._inclusion_ranges(seq - 1, size)]
    except SQLAlchemyError as exc:
        raise translate(exc) from exc
    if root is not None and not merkle.verify_inclusion(
        seq - 1, size, leaf_hash(event_hash), path, root
    ):
        raise IntegrityFailure(
            f"the inclusion proof of seq {seq} made from the Merkle cache (merkle_blocks) does "
            "not lead to the root the events give: the cache was altered (run checkpoint to "
            "find the block)"
        )
    return path


def consistency_proof(store: EventStore, old_size: int, new_size: int | None = None) -> list[bytes]:
    """RFC 9162 proof that the tree of ``new_size`` events extends the one of ``old_size``."""
    try:
        with store.engine.connect() as conn:
            new_size = _check_size(conn, new_size)
        if not 0 <= old_size <= new_size:
            raise InvalidInput(f"cannot prove size {old_size} against size {new_size}")
        if old_size in (0, new_size):
            return []
        with _tree(store, new_size) as tree:
            return [tree.mth(a, b) for a, b in merkle._consistency_ranges(old_size, new_size)]
    except SQLAlchemyError as exc:
        raise translate(exc) from exc


def checkpoint_text(
    store: EventStore, size: int | None = None, private_key: str | None = None
) -> str:
    """The C2SP checkpoint of the first ``size`` events, signed when a key is given."""
    head = tree_head(store, size)
    cp = head.to_checkpoint(origin(store))
    if not private_key:
        return cp.body().decode("utf-8")
    try:
        return sign_checkpoint(cp, private_key)
    except SignatureError as exc:
        raise InvalidInput(f"cannot sign with that key: {exc}") from exc


class MerkleTee:
    """Pass chain rows through while building the tree over their stored hashes, so that one
    streamed pass verifies the chain and recomputes the tree head (``verify --checkpoint``)."""

    def __init__(self, rows: Iterable[ChainRow], at_size: int) -> None:
        self._rows = iter(rows)
        self._at = at_size
        self.range = CompactRange()
        self.prefix_root: bytes | None = EMPTY_ROOT if at_size == 0 else None

    def __iter__(self) -> Iterator[ChainRow]:
        for row in self._rows:
            self.range.append_leaf_hash(leaf_hash(row.hash))
            if self.range.size == self._at:
                self.prefix_root = self.range.root()
            yield row

    def drain(self) -> None:
        """Consume what the verifier did not read (it stops after too many problems)."""
        for _ in self:
            pass


def check_checkpoint(
    store: EventStore, text: str | bytes, pubkey: str | None, tee: MerkleTee
) -> list[Problem]:
    """Problems with the ledger against a kept checkpoint, after ``tee`` streamed every event:
    signature (with ``pubkey``), origin, truncation below the checkpoint's size, a different
    root at that size (rewritten history), and the RFC 9162 consistency proof from the
    checkpoint to the ledger's current tree head."""
    try:
        cp, _ = parse_signed_checkpoint(text)
    except SignatureError as exc:
        raise InvalidInput(f"not a checkpoint: {exc}") from exc
    problems: list[Problem] = []
    if pubkey is not None:
        try:
            verify_checkpoint_signature(text, pubkey)
        except SignatureError as exc:
            problems.append(Problem(0, "checkpoint-signature", f"checkpoint signature: {exc}"))
    own = origin(store)
    if cp.origin != own:
        problems.append(
            Problem(
                0, "checkpoint-origin", f"the checkpoint is for {cp.origin}; this ledger is {own}"
            )
        )
    size = tee.range.size
    if size < cp.size:
        problems.append(
            Problem(
                size + 1,
                "truncated",
                f"the ledger has {size} events; the checkpoint says {cp.size}",
            )
        )
        return problems
    if tee.prefix_root != cp.root:
        problems.append(
            Problem(
                cp.size,
                "checkpoint-mismatch",
                f"the first {cp.size} events do not have the checkpoint's Merkle root: "
                "the history was rewritten",
            )
        )
        return problems
    try:
        proof = consistency_proof(store, cp.size, size)
    except IntegrityFailure as exc:
        return [*problems, Problem(cp.size, "consistency", str(exc))]
    if not merkle.verify_consistency(cp.size, size, cp.root, tee.range.root(), proof):
        # Both roots were just computed from the events, so the proof's nodes are what is wrong.
        problems.append(
            Problem(
                cp.size,
                "consistency",
                "the consistency proof made from the Merkle cache (merkle_blocks) does not "
                "verify against the events' roots: the cache was altered (run checkpoint to "
                "find the block)",
            )
        )
    return problems


def checkpoint_size(text: str | bytes) -> int:
    """The tree size a checkpoint states (``InvalidInput`` if it is not a checkpoint)."""
    try:
        return parse_signed_checkpoint(text)[0].size
    except SignatureError as exc:
        raise InvalidInput(f"not a checkpoint: {exc}") from exc
