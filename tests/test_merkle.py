"""Tests for ledger.audit.merkle: RFC 6962 vectors, proofs, verification and mutation rejection.

Vectors come from google/certificate-transparency (python/ct/crypto/merkle_test.py) as
reproduced in transparency-dev/merkle testonly/constants.go; see docs reliability.md 2.3.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    consistency_proof_from_leaves,
    inclusion_proof,
    inclusion_proof_from_leaves,
    leaf_hash,
    node_hash,
    perfect_root,
    root_from_leaf_hashes,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)

H = bytes.fromhex

# Table A: leaf inputs and the roots of the trees of size 0..8.
LEAF_INPUTS = [
    H(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
LEVEL0 = [
    H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    H("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
    H("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    H("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
    H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
    H("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
]
LEVEL1 = [
    ROOTS[2],
    H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
    H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
    H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
]
LEVEL2 = [ROOTS[4], H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]

# Table C: (leaf index, tree size, proof); the docs number leaves from 1.
INCLUSION_VECTORS = [
    (0, 8, [LEVEL0[1], LEVEL1[1], LEVEL2[1]]),
    (5, 8, [LEVEL0[4], LEVEL1[3], LEVEL2[0]]),
    (2, 3, [LEVEL1[0]]),
    (1, 5, [LEVEL0[0], LEVEL1[1], LEVEL0[4]]),
]
# Table D: (old size, new size, proof).
CONSISTENCY_VECTORS = [
    (1, 8, [LEVEL0[1], LEVEL1[1], LEVEL2[1]]),
    (6, 8, [LEVEL1[2], LEVEL1[3], LEVEL2[0]]),
    (2, 5, [LEVEL1[1], LEVEL0[4]]),
    (6, 7, [LEVEL1[2], LEVEL0[6], LEVEL2[0]]),
]

# Table E: a real CT log inclusion proof (merkle_test.py sha256_audit_path).
CT_LEAF_HASH = H("7a395c866d5ecdb0cccb623e011dbc392cd348d1d1d72776174e127a24b09c78")
CT_LEAF_INDEX = 848049
CT_TREE_SIZE = 3630887
CT_ROOT = H("78316a05c9bcf14a3a4548f5b854a9adfcd46a4c034401b3ce7eb7ac2f1d0ecb")
CT_AUDIT_PATH = [
    H(x)
    for x in (
        "1a208aeebcd1b39fe2de247ee8db9454e1e93a312d206b87f6ca9cc6ec6f1ddd",
        "0a1b78b383f580856f433c01a5741e160d451c185910027f6cc9f828687a40c4",
        "3d1745789bc63f2da15850de1c12a5bf46ed81e1cc90f086148b1662e79aab3d",
        "9095b61e14d8990acf390905621e62b1714fb8e399fbb71de5510e0aef45affe",
        "0a332b91b8fab564e6afd1dd452449e04619b18accc0ff9aa8393cd4928451f2",
        "2336f0181d264aed6d8f3a6507ca14a8d3b3c3a23791ac263e845d208c1ee330",
        "b4ce56e300590500360c146c6452edbede25d4ed83919278749ee5dbe178e048",
        "933f6ddc848ea562e4f9c5cfb5f176941301dad0c6fdb9d1fbbe34fac1be6966",
        "b95a6222958a86f74c030be27c44f57dbe313e5e7c7f4ffb98bcbd3a03bb52f2",
        "daeeb3ce5923defd0faeb8e0c210b753b85b809445d7d3d3cd537a9aabaa9c45",
        "7fadd0a13e9138a2aa6c3fdec4e2275af233b94812784f66bcca9aa8e989f2bc",
        "1864e6ba3e32878610546539734fb5eeae2529991f130c575c73a7e25a2a7c56",
        "12842d1202b1dc6828a17ab253c02e7ce9409b5192430feba44189f39cc02d66",
        "29af64b16fa3053c13d02ac63aa75b23aa468506e44c3a2315edc85d2dc22b11",
        "b527b99934a0bd9edd154e449b0502e2c499bba783f3bc3dfe23364b6b532009",
        "4584db8ae8e351ace08e01f306378a92bfd43611714814f3d834a2842d69faa8",
        "86a9a41573b0d6e4292f01e93243d6cc65b30f06606fc6fa57390e7e90ed580f",
        "a88b98fbe84d4c6aae8db9d1605dfac059d9f03fe0fcb0d5dff1295dacba09e6",
        "06326dc617a6d1f7021dc536026dbfd5fffc6f7c5531d48ef6ccd1ed1569f2a1",
        "f41fe8fdc3a2e4e8345e30216e7ebecffee26ff266eeced208a6c2a3cf08f960",
        "40cf5bde8abb76983f3e98ba97aa36240402975674e120f234b3448911090f8d",
        "b3222dc8658538079883d980d7fdc2bef9285344ea34338968f736b04aeb387a",
    )
]

VECTOR_LEAVES = [leaf_hash(d) for d in LEAF_INPUTS]
BIG_LEAVES = [leaf_hash(i.to_bytes(8, "big")) for i in range(200)]


# --- independent reference: the recursive definitions of RFC 9162 2.1 ----------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(hashes: Sequence[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = _k(len(hashes))
    return node_hash(ref_mth(hashes[:k]), ref_mth(hashes[k:]))


def ref_path(m: int, hashes: Sequence[bytes]) -> list[bytes]:
    if len(hashes) <= 1:
        return []
    k = _k(len(hashes))
    if m < k:
        return ref_path(m, hashes[:k]) + [ref_mth(hashes[k:])]
    return ref_path(m - k, hashes[k:]) + [ref_mth(hashes[:k])]


def ref_subproof(m: int, hashes: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if b else [ref_mth(hashes)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, hashes[:k], b) + [ref_mth(hashes[k:])]
    return ref_subproof(m - k, hashes[k:], False) + [ref_mth(hashes[:k])]


# --- hashing -------------------------------------------------------------------------------


def test_leaf_hash__rfc6962_vectors() -> None:
    assert leaf_hash(b"L123456") == H(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert leaf_hash(H("101112131415161718191a1b1c1d1e1f")) == H(
        "3bfb960453ebaebf33727da7a1f4db38acc051d381b6da20d6d4e88f0eabfd7a"
    )
    assert VECTOR_LEAVES == LEVEL0


def test_node_hash__rfc6962_vectors() -> None:
    assert node_hash(b"N123", b"N456") == H(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    left, right = bytes(range(32)), bytes(range(32, 64))
    assert node_hash(left, right) == H(
        "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57"
    )


def test_empty_root__differs_from_empty_leaf() -> None:
    assert EMPTY_ROOT == ROOTS[0]
    assert leaf_hash(b"") == ROOTS[1]
    assert leaf_hash(b"") != EMPTY_ROOT


def test_node_hash__internal_levels_match_constants() -> None:
    assert [node_hash(LEVEL0[2 * i], LEVEL0[2 * i + 1]) for i in range(4)] == LEVEL1
    assert [node_hash(LEVEL1[2 * i], LEVEL1[2 * i + 1]) for i in range(2)] == LEVEL2


@pytest.mark.parametrize("size", range(9))
def test_root_from_leaf_hashes__table_a(size: int) -> None:
    assert root_from_leaf_hashes(VECTOR_LEAVES[:size]) == ROOTS[size]
    assert subtree_root(0, size, VECTOR_LEAVES.__getitem__) == ROOTS[size]
    assert ref_mth(VECTOR_LEAVES[:size]) == ROOTS[size]


# --- CompactRange --------------------------------------------------------------------------


def test_compact_range__matches_recursive_root_up_to_200() -> None:
    rng = CompactRange()
    for n in range(201):
        assert rng.size == n
        assert len(rng.frontier) == n.bit_count()
        assert rng.root() == ref_mth(BIG_LEAVES[:n]), n
        if n < 200:
            rng.append_leaf_hash(BIG_LEAVES[n])


def test_compact_range__resume_from_json_state_at_every_size() -> None:
    final = ref_mth(BIG_LEAVES)
    rng = CompactRange()
    for n in range(201):
        resumed = CompactRange.from_state(json.loads(json.dumps(rng.to_state())))
        assert resumed.size == n and resumed.root() == rng.root()
        resumed.extend(BIG_LEAVES[n:])
        assert resumed.root() == final, n
        if n < 200:
            rng.append_leaf_hash(BIG_LEAVES[n])


@pytest.mark.parametrize("size", [1, 2, 4, 8, 16, 32, 64, 128])
def test_perfect_root__equals_the_recursive_root(size: int) -> None:
    assert perfect_root(BIG_LEAVES[:size]) == ref_mth(BIG_LEAVES[:size])


@pytest.mark.parametrize("size", [0, 3, 6, 100])
def test_perfect_root__refuses_a_tree_that_is_not_perfect(size: int) -> None:
    with pytest.raises(ValueError, match="power-of-two"):
        perfect_root(BIG_LEAVES[:size])


def test_compact_range__copy_is_independent() -> None:
    rng = CompactRange()
    rng.extend(BIG_LEAVES[:5])
    clone = rng.copy()
    clone.append_leaf_hash(BIG_LEAVES[5])
    assert rng.size == 5 and clone.size == 6
    assert rng.root() == ref_mth(BIG_LEAVES[:5])


@pytest.mark.parametrize(
    "state",
    [
        {"size": 3, "hashes": [ROOTS[2].hex()]},
        {"size": -1, "hashes": []},
        {"size": 1, "hashes": ["00" * 31]},
        {"size": 1, "hashes": ["zz" * 32]},
        {"hashes": []},
    ],
)
def test_compact_range__from_state_rejects_bad_state(state: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CompactRange.from_state(state)


def test_compact_range__rejects_non_hash_leaf() -> None:
    rng = CompactRange()
    with pytest.raises(ValueError):
        rng.append_leaf_hash(b"short")
    with pytest.raises(TypeError):
        rng.append_leaf_hash("00" * 32)  # type: ignore[arg-type]
    assert rng.size == 0


# --- proof vectors -------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_proof__table_c(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof_from_leaves(index, VECTOR_LEAVES[:size]) == proof
    assert verify_inclusion(index, size, VECTOR_LEAVES[index], proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proof__table_d(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof_from_leaves(old, VECTOR_LEAVES[:new]) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def test_verify_inclusion__real_ct_log_proof() -> None:
    assert verify_inclusion(CT_LEAF_INDEX, CT_TREE_SIZE, CT_LEAF_HASH, CT_AUDIT_PATH, CT_ROOT)
    assert not verify_inclusion(
        CT_LEAF_INDEX, CT_TREE_SIZE, CT_LEAF_HASH, CT_AUDIT_PATH, b"\0" * 32
    )
    too_far = CT_LEAF_INDEX + 2 ** (len(CT_AUDIT_PATH) + 1)
    assert not verify_inclusion(too_far, CT_TREE_SIZE, CT_LEAF_HASH, CT_AUDIT_PATH, CT_ROOT)


def test_verify_inclusion__ct_rightmost_node_cases() -> None:
    ones, zeros = b"\x11" * 32, b"\0" * 32
    h = leaf_hash(ones)
    root8 = node_hash(zeros, node_hash(zeros, node_hash(zeros, h)))
    assert verify_inclusion(7, 8, h, [zeros] * 3, root8)
    assert verify_inclusion(4, 5, h, [zeros], node_hash(zeros, h))
    assert verify_inclusion(5, 6, h, [zeros] * 2, node_hash(zeros, node_hash(zeros, h)))
    assert verify_inclusion(4, 6, h, [zeros] * 2, node_hash(zeros, node_hash(h, zeros)))
    assert verify_inclusion(0, 1, h, [], h)


def test_verify_consistency__trivial_sizes() -> None:
    assert verify_consistency(1, 1, ROOTS[1], ROOTS[1], [])
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(3, 3, ROOTS[3], ROOTS[3], [ROOTS[1]])
    assert not verify_consistency(3, 3, ROOTS[2], ROOTS[3], [])
    assert not verify_consistency(0, 5, ROOTS[1], ROOTS[5], [])
    assert not verify_consistency(0, 1, EMPTY_ROOT, ROOTS[1], [ROOTS[1]])
    assert not verify_consistency(5, 2, ROOTS[5], ROOTS[2], [LEVEL1[1], LEVEL0[4]])
    assert not verify_consistency(6, 8, ROOTS[6], ROOTS[8], CONSISTENCY_VECTORS[1][2][:2])


@pytest.mark.parametrize(
    ("index", "size", "leaf", "proof", "root"),
    [
        (0, 0, VECTOR_LEAVES[0], [], EMPTY_ROOT),
        (1, 1, VECTOR_LEAVES[0], [], ROOTS[1]),
        (-1, 3, VECTOR_LEAVES[0], [LEVEL1[0]], ROOTS[3]),
        (2, 3, VECTOR_LEAVES[2], [LEVEL1[0][:31]], ROOTS[3]),
        (2, 3, VECTOR_LEAVES[2][:31], [LEVEL1[0]], ROOTS[3]),
        (2, 3, VECTOR_LEAVES[2], [LEVEL1[0]], ROOTS[3] + b"\0"),
        (0, 4, b"\x11" * 32, [b"\0" * 32] * 3, b"\0" * 32),
        (0, 4, b"\x11" * 32, [b"\0" * 32], b"\0" * 32),
    ],
)
def test_verify_inclusion__malformed_input_returns_false(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> None:
    assert verify_inclusion(index, size, leaf, proof, root) is False


def test_verify__wrong_types_raise_type_error() -> None:
    with pytest.raises(TypeError):
        verify_inclusion("0", 1, ROOTS[1], [], ROOTS[1])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_consistency(1, 2, ROOTS[1], ROOTS[2], ["00" * 32])  # type: ignore[list-item]


def test_proof_generation__rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(3, 3, VECTOR_LEAVES.__getitem__)
    with pytest.raises(ValueError):
        inclusion_proof(0, 0, VECTOR_LEAVES.__getitem__)
    with pytest.raises(ValueError):
        consistency_proof(5, 4, VECTOR_LEAVES.__getitem__)


def _counting(leaves: Sequence[bytes]) -> tuple[Callable[[int], bytes], list[int]]:
    reads: list[int] = []

    def get(i: int) -> bytes:
        reads.append(i)
        return leaves[i]

    return get, reads


def test_inclusion_proof__reads_each_other_leaf_once() -> None:
    get, reads = _counting(BIG_LEAVES)
    inclusion_proof(77, 200, get)
    assert sorted(reads) == [i for i in range(200) if i != 77]


def test_consistency_proof__reads_each_leaf_at_most_once() -> None:
    get, reads = _counting(BIG_LEAVES)
    consistency_proof(77, 200, get)
    assert len(reads) == len(set(reads)) and max(reads) < 200


# --- exhaustive round trips and mutations --------------------------------------------------


def test_inclusion_proof__all_indices_and_sizes_up_to_40_verify() -> None:
    for size in range(1, 41):
        leaves = BIG_LEAVES[:size]
        root = ref_mth(leaves)
        for index in range(size):
            proof = inclusion_proof_from_leaves(index, leaves)
            assert proof == ref_path(index, leaves), (index, size)
            assert verify_inclusion(index, size, leaves[index], proof, root), (index, size)


def test_consistency_proof__all_size_pairs_up_to_40_verify() -> None:
    for new in range(0, 41):
        leaves = BIG_LEAVES[:new]
        new_root = ref_mth(leaves)
        for old in range(0, new + 1):
            proof = consistency_proof_from_leaves(old, leaves)
            if 0 < old < new:
                assert proof == ref_subproof(old, leaves, True), (old, new)
            assert verify_consistency(old, new, ref_mth(leaves[:old]), new_root, proof), (old, new)


def _flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def _proof_mutants(proof: list[bytes]) -> list[list[bytes]]:
    out: list[list[bytes]] = []
    for i in range(len(proof)):
        out += [proof[:i] + [_flip(proof[i], bit)] + proof[i + 1 :] for bit in (0, 77, 255)]
        out.append(proof[:i] + proof[i + 1 :])
        out.append(proof[:i] + [proof[i]] + proof[i:])
    out += [proof + [EMPTY_ROOT], [EMPTY_ROOT] + proof, proof + [b"\0" * 32]]
    if len(proof) > 1:
        out.append(proof[::-1])
    return [p for p in out if p != proof]


def test_verify_inclusion__every_mutated_proof_is_rejected() -> None:
    accepted, tried = [], 0
    for size in range(1, 33):
        leaves = BIG_LEAVES[:size]
        root = ref_mth(leaves)
        for index in range(size):
            leaf, proof = leaves[index], inclusion_proof_from_leaves(index, leaves)
            cases = [(index, size, leaf, p, root) for p in _proof_mutants(proof)]
            cases += [(i, size, leaf, proof, root) for i in (index - 1, index + 1, index ^ 2)]
            cases += [(index, s, leaf, proof, root) for s in (size * 2, size // 2)]
            cases += [
                (index, size, _flip(leaf, 3), proof, root),
                (index, size, leaf, proof, _flip(root, 3)),
            ]
            cases.append((index, size, leaf, proof, EMPTY_ROOT))
            if size > 1:  # for size 1 the leaf hash is the root, so a swap changes nothing
                cases.append((index, size, root, proof, leaf))
                cases.append((index, size, leaves[(index + 1) % size], proof, root))
            for case in cases:
                tried += 1
                if verify_inclusion(*case):
                    accepted.append(case[:2])
    assert tried > 10_000
    assert accepted == []


def test_verify_consistency__every_mutated_proof_is_rejected() -> None:
    accepted, tried = [], 0
    for new in range(1, 33):
        leaves = BIG_LEAVES[:new]
        new_root = ref_mth(leaves)
        for old in range(1, new + 1):
            old_root = ref_mth(leaves[:old])
            proof = consistency_proof_from_leaves(old, leaves)
            cases = [(old, new, old_root, new_root, p) for p in _proof_mutants(proof)]
            cases += [
                (m, new, old_root, new_root, proof) for m in (old - 1, old + 1, old * 2, old // 2)
            ]
            # new size +-1 is deliberately absent: e.g. PROOF(1, D[3]) and PROOF(1, D[4]) have the
            # same shape, so only the signed (size, root) pair binds the size (RFC 9162 2.1.4).
            cases += [(old, n, old_root, new_root, proof) for n in (new * 2, new // 2)]
            cases += [
                (old, new, _flip(old_root, 9), new_root, proof),
                (old, new, old_root, _flip(new_root, 9), proof),
                (old, new, EMPTY_ROOT, new_root, proof),
            ]
            if old != new:
                cases.append((old, new, new_root, old_root, proof))  # swapped roots
                cases.append((new, old, new_root, old_root, proof))  # swapped sizes and roots
            for case in cases:
                tried += 1
                if verify_consistency(*case):
                    accepted.append(case[:2])
    assert tried > 10_000
    assert accepted == []


# --- property tests ------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 200), data=st.data())
def test_inclusion_proof__property_round_trip(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    leaves = BIG_LEAVES[:size]
    proof = inclusion_proof_from_leaves(index, leaves)
    assert verify_inclusion(index, size, leaves[index], proof, root_from_leaf_hashes(leaves))


@settings(max_examples=150, deadline=None)
@given(new=st.integers(0, 200), data=st.data())
def test_consistency_proof__property_round_trip(new: int, data: st.DataObject) -> None:
    old = data.draw(st.integers(0, new))
    leaves = BIG_LEAVES[:new]
    proof = consistency_proof_from_leaves(old, leaves)
    old_root, new_root = root_from_leaf_hashes(leaves[:old]), root_from_leaf_hashes(leaves)
    assert verify_consistency(old, new, old_root, new_root, proof)


_hashes = st.binary(min_size=0, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    a=st.integers(-5, 2**64),
    b=st.integers(-5, 2**64),
    h1=_hashes,
    h2=_hashes,
    proof=st.lists(_hashes, max_size=70),
)
def test_verify__garbage_never_raises(
    a: int, b: int, h1: bytes, h2: bytes, proof: list[bytes]
) -> None:
    assert verify_inclusion(a, b, h1, proof, h2) in (True, False)
    assert verify_consistency(a, b, h1, h2, proof) in (True, False)
