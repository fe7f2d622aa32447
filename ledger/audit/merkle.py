"""RFC 6962 / RFC 9162 section 2.1 Merkle tree hashing, proofs and verification.

Leaves are normally the 32-byte event hashes of the ledger, but every function
that takes leaf *data* (``leaf_hash``) accepts arbitrary bytes so that the
published RFC 6962 test vectors can be checked. All other functions work on
leaf *hashes* (``leaf_hash(data)``), which are always 32 bytes.

Hashing (RFC 9162 section 2.1.1)::

    MTH({})      = SHA-256()
    MTH({d0})    = SHA-256(0x00 || d0)
    MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k = largest power of 2 < n

Odd nodes are promoted, never duplicated (unlike Bitcoin, CVE-2012-2459).
The module is pure: no I/O, no database access, no global state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "consistency_proof_from_leaves",
    "inclusion_proof",
    "inclusion_proof_from_leaves",
    "leaf_hash",
    "node_hash",
    "perfect_root",
    "root_from_leaf_hashes",
    "subtree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""Root of the empty tree, SHA-256 of the empty string (differs from ``leaf_hash(b"")``)."""

LeafHashGetter = Callable[[int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 || data), the RFC 6962 hash of one leaf; always 32 bytes."""
    return hashlib.sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the RFC 6962 interior node hash."""
    return hashlib.sha256(b"\x01" + bytes(left) + bytes(right)).digest()


def _check_hash(value: bytes, what: str) -> bytes:
    """Return ``value`` as bytes, raising TypeError/ValueError unless it is a 32-byte hash."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, got {type(value).__name__}")
    value = bytes(value)
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")
    return value


def _largest_pow2_below(n: int) -> int:
    """Return the largest power of two strictly less than ``n`` (requires n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """Incremental Merkle tree builder holding only the right frontier.

    The frontier is the list of roots of the perfect subtrees that make up the
    tree, left to right; there is one per set bit of ``size`` (so at most 64
    hashes for any 64-bit size). Guarantees:

    * ``append_leaf_hash`` is amortised O(1) (n appends cost O(n) hashes total);
    * ``root()`` costs O(log n) hashes and equals ``MTH`` of all appended leaves;
    * ``to_state()`` is JSON-serialisable and ``from_state(to_state())`` resumes
      exactly where the builder stopped.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """The perfect-subtree roots, left (largest) to right (smallest)."""
        return tuple(self._hashes)

    def append_leaf_hash(self, h: bytes) -> None:
        """Append one leaf hash (32 bytes, already ``leaf_hash``-ed); amortised O(1)."""
        node = _check_hash(h, "leaf hash")
        s = self._size
        while s & 1:
            node = node_hash(self._hashes.pop(), node)
            s >>= 1
        self._hashes.append(node)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append every hash of ``leaf_hashes`` in order."""
        for h in leaf_hashes:
            self.append_leaf_hash(h)

    def root(self) -> bytes:
        """Return the RFC 6962 tree head of the leaves appended so far (``EMPTY_ROOT`` if none)."""
        if not self._hashes:
            return EMPTY_ROOT
        acc = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            acc = node_hash(h, acc)
        return acc

    def copy(self) -> CompactRange:
        """Return an independent copy of this builder."""
        other = CompactRange()
        other._size = self._size
        other._hashes = list(self._hashes)
        return other

    def to_state(self) -> dict[str, Any]:
        """Return ``{"size": int, "hashes": [hex, ...]}``, safe to pass to ``json.dumps``."""
        return {"size": self._size, "hashes": [h.hex() for h in self._hashes]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CompactRange:
        """Rebuild a builder from ``to_state()`` output.

        Raises ValueError if the state is inconsistent (negative size, number of
        hashes different from the number of set bits of size, bad hex, wrong
        hash length) and TypeError for wrong types.
        """
        if not isinstance(state, dict) or "size" not in state or "hashes" not in state:
            raise ValueError("state must be a dict with 'size' and 'hashes'")
        size, hashes = state["size"], state["hashes"]
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError("state['size'] must be an int")
        if not isinstance(hashes, list):
            raise TypeError("state['hashes'] must be a list of hex strings")
        if size < 0:
            raise ValueError("state['size'] must be >= 0")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"state has {len(hashes)} hashes but size {size} needs {size.bit_count()}"
            )
        rng = cls()
        for item in hashes:
            if not isinstance(item, str):
                raise TypeError("state['hashes'] must contain hex strings")
            rng._hashes.append(_check_hash(bytes.fromhex(item), "state hash"))
        rng._size = size
        return rng


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """Return MTH of the leaves, streaming: O(n) hashes, O(log n) memory."""
    rng = CompactRange()
    rng.extend(leaf_hashes)
    return rng.root()


def perfect_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH of a perfect subtree (a power-of-two number of leaf hashes), one level at a
    time: the same root as ``root_from_leaf_hashes``, in about half its time (no frontier
    bookkeeping). Raises ValueError unless the count is a power of two."""
    count = len(leaf_hashes)
    if count == 0 or count & (count - 1):
        raise ValueError(f"a perfect subtree has a power-of-two number of leaves, not {count}")
    sha256 = hashlib.sha256
    level = list(leaf_hashes)
    while len(level) > 1:
        pairs = zip(level[::2], level[1::2], strict=True)
        level = [sha256(b"\x01" + left + right).digest() for left, right in pairs]
    return _check_hash(level[0], "leaf hash")


def subtree_root(start: int, end: int, get_leaf_hash: LeafHashGetter) -> bytes:
    """Return MTH(D[start:end]), reading each leaf hash in the range exactly once.

    Raises ValueError unless 0 <= start <= end.
    """
    if start < 0 or end < start:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    return root_from_leaf_hashes(get_leaf_hash(i) for i in range(start, end))


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PATH(index, D[size]), bottom-up (RFC 9162 2.1.3.1)."""
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_pow2_below(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PROOF(m, D[n]) = SUBPROOF(m, D[n], true), in order."""
    ranges: list[tuple[int, int]] = []
    start, end, m, complete = 0, new_size, old_size, True
    while m != end - start:
        k = _largest_pow2_below(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            complete = False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def inclusion_proof(index: int, size: int, get_leaf_hash: LeafHashGetter) -> list[bytes]:
    """Return the RFC 9162 inclusion proof (audit path) of leaf ``index`` in a tree of ``size``.

    The path is ordered from the leaf's sibling up to the root's child. Each of
    the other ``size - 1`` leaves is read once; O(log n) memory. Raises
    ValueError unless 0 <= index < size.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} out of range for tree size {size}")
    return [subtree_root(a, b, get_leaf_hash) for a, b in _inclusion_ranges(index, size)]


def inclusion_proof_from_leaves(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """``inclusion_proof`` over an in-memory sequence; the tree size is ``len(leaf_hashes)``."""
    return inclusion_proof(index, len(leaf_hashes), leaf_hashes.__getitem__)


def consistency_proof(old_size: int, new_size: int, get_leaf_hash: LeafHashGetter) -> list[bytes]:
    """Return the RFC 9162 consistency proof between tree sizes ``old_size`` and ``new_size``.

    Returns ``[]`` when old_size is 0 or equal to new_size (nothing to prove).
    Reads each leaf at most once. Raises ValueError unless 0 <= old_size <= new_size.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"invalid consistency range {old_size} -> {new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    return [subtree_root(a, b, get_leaf_hash) for a, b in _consistency_ranges(old_size, new_size)]


def consistency_proof_from_leaves(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """``consistency_proof`` over an in-memory sequence; new size is ``len(leaf_hashes)``."""
    return consistency_proof(old_size, len(leaf_hashes), leaf_hashes.__getitem__)


def _is_hash(value: object) -> bool:
    """True iff ``value`` is a bytes-like object of exactly 32 bytes."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected bytes, got {type(value).__name__}")
    return len(value) == HASH_SIZE


def _check_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    return value


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof with the RFC 9162 section 2.1.3.2 algorithm.

    Returns True iff ``proof`` shows that ``leaf_hash`` is leaf ``index`` of the
    tree of ``size`` leaves with head ``root``. Returns False (never raises) for
    malformed input: index outside [0, size), size 0, proof too long or too
    short, components or hashes that are not 32 bytes. Raises TypeError only
    when arguments have the wrong type.
    """
    _check_int(index, "index")
    _check_int(size, "size")
    components = list(proof)
    hashes_ok = [_is_hash(p) for p in components]
    if not (_is_hash(leaf_hash) and _is_hash(root) and all(hashes_ok)):
        return False
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in components:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == bytes(root)


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Check a consistency proof with the RFC 9162 section 2.1.4.2 algorithm.

    Returns True iff the tree of ``new_size`` leaves with head ``new_root`` is an
    append-only extension of the tree of ``old_size`` leaves with head
    ``old_root``. Edge cases (stricter than the RFC prose, like
    transparency-dev/merkle): old_size == 0 needs an empty proof and
    ``old_root == EMPTY_ROOT``; old_size == new_size needs an empty proof and
    equal roots. Returns False (never raises) for malformed input: negative
    sizes, old_size > new_size, wrong proof length, non-32-byte hashes. Raises
    TypeError only when arguments have the wrong type.
    """
    _check_int(old_size, "old_size")
    _check_int(new_size, "new_size")
    components = list(proof)
    hashes_ok = [_is_hash(p) for p in components]
    if not (_is_hash(old_root) and _is_hash(new_root) and all(hashes_ok)):
        return False
    old_root, new_root = bytes(old_root), bytes(new_root)
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not components and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not components and old_root == new_root
    path = [bytes(p) for p in components]
    if old_size & (old_size - 1) == 0:  # exact power of two: old root is a node of the new tree
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
