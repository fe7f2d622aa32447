"""Claims as state: each recorded claim, whether it is still active (or withdrawn, or
superseded by which claim), and the seqs of its events — folded from the ``claim/…`` streams.

Claims are few and do not move any total, so they are not part of ``LedgerState`` (nor of the
persisted projections): they are folded on demand from their own streams, as of any seq.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from events import ClaimRecorded, ClaimSuperseded, ClaimWithdrawn, load_stored
from ledger.projections.fold import EventLike
from ledger.storage.records import DECODE_ERRORS, unreadable

CLAIM_PREFIX = "claim/"
CLAIM_EVENTS = frozenset({"ClaimRecorded", "ClaimWithdrawn", "ClaimSuperseded"})
ACTIVE, WITHDRAWN, SUPERSEDED = "active", "withdrawn", "superseded"


@dataclass
class ClaimState:
    """One claim as of the last event applied: the claim as recorded (never edited), its
    status, the claim that superseded it and the ones it supersedes, and its events' seqs."""

    claim: ClaimRecorded
    recorded_seq: int
    status: str = ACTIVE
    status_seq: int | None = None
    superseded_by: str | None = None
    supersedes: list[str] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)

    @property
    def claim_id(self) -> str:
        return self.claim.claim_id

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


def fold_claims(events: Iterable[EventLike]) -> dict[str, ClaimState]:
    """The claims after ``events`` (any events, in seq order; only claim events count), by id
    in the order they were recorded. A stored payload that is not a valid claim is an
    ``IntegrityFailure`` naming its seq (the rules never write one)."""
    claims: dict[str, ClaimState] = {}
    for event in events:
        if event.type not in CLAIM_EVENTS:
            continue
        try:
            model = load_stored(event.type, event.schema_version, event.payload)
        except (ValidationError, *DECODE_ERRORS) as exc:
            raise unreadable(event.seq, event.type, event.schema_version, exc) from None
        if isinstance(model, ClaimRecorded):
            if model.claim_id not in claims:
                claims[model.claim_id] = ClaimState(model, event.seq, seqs=[event.seq])
            continue
        assert isinstance(model, ClaimWithdrawn | ClaimSuperseded)  # CLAIM_EVENTS: the other two
        found = claims.get(model.claim_id)
        if found is None or not found.active:
            continue  # the rules refuse it; a forged one changes nothing
        found.seqs.append(event.seq)
        found.status_seq = event.seq
        if isinstance(model, ClaimSuperseded):
            found.status, found.superseded_by = SUPERSEDED, model.by
            if model.by in claims:
                claims[model.by].supersedes.append(found.claim_id)
        else:
            found.status = WITHDRAWN
    return claims
