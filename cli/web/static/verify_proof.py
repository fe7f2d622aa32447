"""Check a defledger inclusion proof offline, with Python's standard library only.

    python verify_proof.py proofs/12.json checkpoint.txt

Recomputes the event's hash from its envelope (SHA-256 of the previous hash and the envelope's
canonical JSON), its Merkle leaf hash, and the audit path up to the root (RFC 9162, 2.1.3.2),
and compares root and tree size with the checkpoint's. The checkpoint's Ed25519 signature is not
checked here (the standard library has no Ed25519): ``defledger verify-proof PROOF --checkpoint
CHECKPOINT --pubkey KEY`` checks it too."""

import base64
import hashlib
import json
import sys


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """The root an audit path leads to, or None when the path does not fit the tree."""
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = sha256(b"\x01" + sibling + node)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = sha256(b"\x01" + node + sibling)
        fn, sn = fn >> 1, sn >> 1
    return node if sn == 0 else None


def main(proof_file: str, checkpoint_file: str) -> None:
    with open(proof_file, encoding="utf-8") as handle:
        proof = json.load(handle)
    with open(checkpoint_file, encoding="utf-8") as handle:
        origin, size, root = handle.read().split("\n")[:3]
    event = dict(proof["event"])
    stated = bytes.fromhex(event.pop("hash"))
    hashed = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if sha256(bytes.fromhex(event["prev_hash"]) + hashed.encode("utf-8")) != stated:
        sys.exit(f"FAILED: the hash of seq {event['seq']} does not match its envelope")
    leaf = sha256(b"\x00" + stated)
    if leaf.hex() != proof["leaf_hash"] or proof["leaf_index"] != event["seq"] - 1:
        sys.exit("FAILED: the leaf is not this event's")
    path = [bytes.fromhex(node) for node in proof["proof"]]
    found = root_from_path(proof["leaf_index"], int(size), leaf, path)
    if proof["tree_size"] != int(size) or found != base64.b64decode(root):
        sys.exit(f"FAILED: the proof does not lead to the checkpoint's root ({origin})")
    print(f"ok: seq {event['seq']} is in the first {size} events of {origin} (root {root})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
