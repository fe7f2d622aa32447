"""Checked claims as schema.org ``ClaimReview`` JSON-LD, the form fact-checkers publish
(https://schema.org/ClaimReview).

The rating is on a 1–5 scale: 5 holds; 3 consistent by construction, depends on the
definition, or undetermined (none is a confirmation or a refutation; ``alternateName`` says
which); 1 does not hold. ``reviewBody`` explains the verdict with the ledger's figures, and the
review is dated by the last event it was checked against (the same ledger and seq give the same
review).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.queries.claim_check import ClaimCheck, Outcome, Verdict
from ledger.queries.claim_text import (
    as_published_text,
    claimed_text,
    gap_text,
    metric_text,
    shown,
    with_unit,
)
from ledger.queries.claims import check_claims, claims_at, note, select_claims
from ledger.queries.question import open_context
from ledger.storage.meta import ledger_id
from ledger.storage.store import EventStore

BEST, WORST = 5, 1
RATING = {
    Verdict.HOLDS: 5,
    Verdict.BY_CONSTRUCTION: 3,
    Verdict.DEPENDS: 3,
    Verdict.UNDETERMINED: 3,
    Verdict.DOES_NOT_HOLD: 1,
}
NAMES = {
    Verdict.HOLDS: "Holds",
    Verdict.BY_CONSTRUCTION: "Consistent by construction (not an independent confirmation)",
    Verdict.DEPENDS: "Depends on the definition",
    Verdict.UNDETERMINED: "Undetermined",
    Verdict.DOES_NOT_HOLD: "Does not hold",
}


def _outcome_text(result: ClaimCheck, o: Outcome) -> str:
    claim = result.claim
    if o.value is None:
        return f"{o.label}: undetermined ({o.missing})"
    value = with_unit(claim, shown(o.value, claim.decimals))
    compared = as_published_text(claim, o)
    text = f"{o.label} ({o.status}) gives {value}"
    if compared != value:
        text += f", {compared} as published"
    text += f": {o.verdict.text}"
    if o.verdict is Verdict.DOES_NOT_HOLD and o.gap is not None:
        text += f" (gap {gap_text(claim, o.gap)})"
    extra = note(o)
    return text + (f"; {extra}" if extra and not o.missing else "")


def review_body(result: ClaimCheck, seq: int) -> str:
    """The verdict explained: the value under each definition measured, as of ``seq``."""
    claim = result.claim
    head = (
        f"Claimed: {claimed_text(claim)} ({metric_text(claim)}). Checked against the defledger "
        f"ledger as of seq {seq}"
    )
    if not result.specified:
        head += ", the claim naming no definition, under every recorded definition version"
    body = "; ".join(_outcome_text(result, o) for o in result.outcomes)
    return f"{head}: {body}. Verdict: {result.verdict.text}."


def claim_review(
    result: ClaimCheck, *, seq: int, date: str, reviewer: str, url: str
) -> dict[str, Any]:
    """One ClaimReview object."""
    claim = result.claim
    appearance: dict[str, Any] = {
        "@type": "CreativeWork",
        "headline": claim.publication,
        "datePublished": claim.published,
        "inLanguage": claim.language,
    }
    if claim.url:
        appearance["url"] = claim.url
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "datePublished": date,
        "author": {"@type": "Organization", "name": reviewer},
        "claimReviewed": claim.translation or claim.quote,
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Organization", "name": claim.claimant},
            "datePublished": claim.published,
            "appearance": appearance,
            "text": claim.quote,
            "inLanguage": claim.language,
        },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING[result.verdict],
            "bestRating": BEST,
            "worstRating": WORST,
            "alternateName": NAMES[result.verdict],
        },
        "reviewBody": review_body(result, seq),
    }


def claim_reviews(
    store: EventStore,
    claim_ids: Sequence[str],
    *,
    as_of: str | None = None,
    reviewer: str = "defledger",
    review_url: str | None = None,
    all: bool = False,
) -> list[dict[str, Any]]:
    """ClaimReview objects for the claims named (every active one when none is)."""
    context = open_context(store, as_of, None)
    seq = context.as_of.seq
    chosen = select_claims(claims_at(store, seq), claim_ids, all)
    results = check_claims(store, seq, chosen, context.state)
    recorded = context.meta["as_of"]["recorded_at"] or ""
    date = recorded[:10]
    if review_url is None:
        base = f"urn:defledger:{ledger_id(store)}:claim:{{id}}"
    else:
        base = review_url if "{id}" in review_url else review_url + "{id}"
    return [
        claim_review(
            r, seq=seq, date=date, reviewer=reviewer, url=base.replace("{id}", r.claim.claim_id)
        )
        for r in results
    ]
