"""Inclusion proofs as JSON documents: made from the ledger (``prove``), checked offline against
a checkpoint (``verify-proof``), with no database.

A document holds the event's seq, its leaf index (seq - 1), the tree size and root of the
checkpoint it proves against, the event's chain hash, the leaf hash ``SHA-256(0x00 ‖ hash)``,
the RFC 9162 audit path (hex, leaf to root), and the event's full envelope, so the verifier
also recomputes the event's hash from its contents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from events.quoting import named
from ledger.audit import checkpoints
from ledger.audit.merkle import leaf_hash, verify_inclusion
from ledger.audit.signing import (
    Checkpoint,
    SignatureError,
    parse_signed_checkpoint,
    verify_checkpoint_signature,
)
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.storage.event_json import LineError, envelope_hash_ok, event_line
from ledger.storage.meta import origin
from ledger.storage.store import EventStore

FORMAT = "defledger-inclusion-proof/1"


def parse_checkpoint(text: str | bytes) -> Checkpoint:
    try:
        return parse_signed_checkpoint(text)[0]
    except SignatureError as exc:
        raise InvalidInput(f"not a checkpoint: {exc}") from exc


def check_checkpoint_matches(store: EventStore, cp: Checkpoint) -> None:
    """Raise ``IntegrityFailure`` unless this ledger's first ``cp.size`` events have the
    checkpoint's root (and the checkpoint names this ledger)."""
    own = origin(store)
    if cp.origin != own:
        raise IntegrityFailure(f"the checkpoint is for {named(cp.origin)}; this ledger is {own}")
    head = store.head()
    size = head.seq if head else 0
    if size < cp.size:
        raise IntegrityFailure(f"the ledger has {size} events; the checkpoint says {cp.size}")
    if checkpoints.tree_head(store, cp.size).root != cp.root:
        raise IntegrityFailure(
            f"the ledger's first {cp.size} events do not have the checkpoint's root: "
            "the history was rewritten"
        )


def make_proof(store: EventStore, seq: int, checkpoint_text: str | bytes) -> dict[str, Any]:
    """The inclusion proof of the event at ``seq`` in the tree of the checkpoint."""
    cp = parse_checkpoint(checkpoint_text)
    check_checkpoint_matches(store, cp)
    return proof_document(store, seq, cp)


def proof_document(store: EventStore, seq: int, cp: Checkpoint) -> dict[str, Any]:
    """The inclusion proof of the event at ``seq`` in the tree of ``cp``, whose root must be
    the one this ledger's events give (``check_checkpoint_matches`` found so)."""
    if not 1 <= seq <= cp.size:
        raise InvalidInput(f"seq {seq} is not among the checkpoint's {cp.size} events")
    # cp.root is now the root the events give: a path from a cache that disagrees is refused.
    path = checkpoints.inclusion_proof(store, seq, cp.size, root=cp.root)
    event = store.get(seq)
    event_hash = bytes.fromhex(event.hash)
    return {
        "format": FORMAT,
        "origin": cp.origin,
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": cp.size,
        "root": cp.root.hex(),
        "event_hash": event.hash,
        "leaf_hash": leaf_hash(event_hash).hex(),
        "proof": [p.hex() for p in path],
        "event": orjson.loads(event_line(event)),
    }


@dataclass
class ProofCheck:
    """Outcome of ``verify_proof``: ``problems`` empty means the proof holds."""

    seq: int | None
    tree_size: int | None
    root: str | None
    signature: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _hex32(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidInput(f"proof: {what} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise InvalidInput(f"proof: {what} is not hex") from None
    return raw


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"proof: {what} must be an integer")
    return value


def load_proof(text: str | bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the proof is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput("the proof is not a JSON object")
    return document


def verify_proof(
    document: dict[str, Any], checkpoint_text: str | bytes, pubkey: str | None = None
) -> ProofCheck:
    """Check an inclusion proof against a checkpoint (and its signature with ``pubkey``)."""
    cp = parse_checkpoint(checkpoint_text)
    seq = _int(document.get("seq"), "seq")
    index = _int(document.get("leaf_index"), "leaf_index")
    size = _int(document.get("tree_size"), "tree_size")
    event_hash = _hex32(document.get("event_hash"), "event_hash")
    leaf = _hex32(document.get("leaf_hash"), "leaf_hash")
    root = _hex32(document.get("root"), "root")
    path = document.get("proof")
    if not isinstance(path, list):
        raise InvalidInput("proof: proof must be a list of hex strings")
    hashes = [_hex32(p, "a proof hash") for p in path]
    check = ProofCheck(seq, size, cp.root.hex(), "not checked (no --pubkey)")
    problems = check.problems
    if pubkey is not None:
        try:
            verify_checkpoint_signature(checkpoint_text, pubkey)
            check.signature = "verified"
        except SignatureError as exc:
            check.signature = "failed"
            problems.append(f"checkpoint signature: {exc}")
    if document.get("origin") != cp.origin:
        problems.append(
            f"the proof is for {document.get('origin')}, the checkpoint for {cp.origin}"
        )
    if size != cp.size:
        problems.append(f"the proof is for tree size {size}; the checkpoint says {cp.size}")
    if root != cp.root:
        problems.append("the proof's root is not the checkpoint's root")
    if index != seq - 1:
        problems.append(f"leaf_index {index} is not seq - 1 ({seq - 1})")
    if leaf != leaf_hash(event_hash):
        problems.append("leaf_hash is not SHA-256(0x00 || event_hash)")
    if not verify_inclusion(index, cp.size, leaf, hashes, cp.root):
        problems.append(f"the audit path does not lead from leaf {index} to the checkpoint's root")
    event = document.get("event")
    if event is not None:
        try:
            same = isinstance(event, dict) and event.get("seq") == seq
            if not same or event.get("hash") != event_hash.hex() or not envelope_hash_ok(event):
                problems.append("the event's contents do not hash to event_hash")
        except (LineError, KeyError, TypeError, ValueError):
            problems.append("the event is not a complete envelope")
    return check
