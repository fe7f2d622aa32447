"""How a claim and its check are written for people and for JSON: values in the claim's own
unit (``¥9.9T``, ``1.8%``, ``+0.2 pp``), the claim in words, and the check as a document."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from typing import Any

from events import ClaimMetric, ClaimRecorded, Comparison, event_payload
from events.claims import MONEY_METRICS
from ledger.numbers import SYMBOLS
from ledger.projections.claims import ClaimState
from ledger.projections.fold import dec_str
from ledger.projections.measure import exact_str
from ledger.queries.claim_check import Outcome, round_at

DISPLAY_PLACES = 6  # the ledger's value is shown to 6 places (2 more than a claim with more)


def fixed(value: Decimal, decimals: int) -> str:
    """A rounded value written with exactly ``decimals`` places (``2`` → ``2.0`` at 1 place;
    ``40`` at −1)."""
    if decimals >= 0:
        with localcontext(Context(prec=200, rounding=ROUND_HALF_UP)):
            return format(value.quantize(Decimal(1).scaleb(-decimals)), "f")
    return format(value.quantize(Decimal(1)), "f")


def shown(value: Fraction | None, decimals: int) -> str:
    """The ledger's value to ``DISPLAY_PLACES`` places (2 more than a claim's own when it has
    more), trailing zeros dropped (``8.7005``, ``1.972804``)."""
    if value is None:
        return ""
    return dec_str(round_at(value, max(DISPLAY_PLACES, decimals + 2)))


def signed(text: str) -> str:
    return text if text.startswith("-") or text in ("", "0") else f"+{text}"


SCALES = {0: "", 3: "K", 6: "M", 9: "B", 12: "T"}
WORDS = {
    Comparison.EQUALS: "",
    Comparison.ABOUT: "about ",
    Comparison.AT_LEAST: "at least ",
    Comparison.AT_MOST: "at most ",
    Comparison.MORE_THAN: "more than ",
    Comparison.LESS_THAN: "less than ",
}


def with_unit(claim: ClaimRecorded, number: str) -> str:
    """``number`` in the claim's unit: ``¥9.9T``, ``1.8%``, ``+0.2 pp``."""
    if claim.metric in MONEY_METRICS:
        currency = claim.currency or ""
        suffix = SCALES.get(claim.scale, f"×10^{claim.scale}")
        sign, digits = (number[0], number[1:]) if number[:1] in ("-", "+") else ("", number)
        symbol = SYMBOLS.get(currency)
        return f"{sign}{symbol}{digits}{suffix}" if symbol else f"{sign}{digits}{suffix} {currency}"
    if claim.metric in (ClaimMetric.CHANGE_PP, ClaimMetric.GAP_PP):
        return f"{number} pp"
    return f"{number}%"


BOUNDS = frozenset({Comparison.AT_LEAST, Comparison.AT_MOST, Comparison.MORE_THAN,
                    Comparison.LESS_THAN})  # fmt: skip


def as_published_text(claim: ClaimRecorded, o: Outcome) -> str:
    """The ledger's value as the claim is compared: rounded to the claim's precision, or, for
    a bound (compared exactly), the value itself."""
    if o.value is None or o.rounded is None:
        return ""
    if claim.comparison in BOUNDS:
        return with_unit(claim, shown(o.value, claim.decimals))
    return with_unit(claim, fixed(o.rounded, claim.decimals))


def gap_text(claim: ClaimRecorded, gap: Fraction | None) -> str:
    """The gap, signed: money in the claim's unit, anything else in percentage points."""
    if gap is None:
        return ""
    number = signed(shown(gap, claim.decimals))
    return with_unit(claim, number) if claim.metric in MONEY_METRICS else f"{number} pp"


def claimed_text(claim: ClaimRecorded) -> str:
    """The claim's value in words: ``about ¥9.9T``, ``2%``, ``at least 3.5%``, ``1.7–1.8%``."""
    low = fixed(claim.value, claim.decimals)
    if claim.comparison is Comparison.BETWEEN:
        assert claim.value_high is not None
        high = fixed(claim.value_high, claim.decimals)
        return with_unit(claim, f"{low}–{high}")
    return WORDS[claim.comparison] + with_unit(claim, low)


def metric_text(claim: ClaimRecorded) -> str:
    """What the value is of: ``FY2025 share of GDP``, ``FY2023–FY2027 amount``…"""
    years = claim.years
    if claim.compared_with is not None:
        span = f"FY{claim.fiscal_year} vs FY{claim.compared_with}"
    else:
        span = f"FY{years[0]}" + (f"–FY{years[-1]}" if len(years) > 1 else "")
    tier = f" ({claim.tier})" if claim.tier else ""
    target = f" to {claim.target_id}" if claim.target_id else ""
    return f"{claim.jurisdiction} {span} {claim.metric.value}{target}{tier}"


def outcome_doc(claim: ClaimRecorded, o: Outcome) -> dict[str, Any]:
    """One outcome for JSON: exact values as strings, the rounded one as the claim prints."""
    return {
        "definition": o.label,
        "status": o.status,
        "in_force": o.in_force,
        "tier": o.tier or "all",
        "stages": list(o.stages),
        "verdict": o.verdict.value,
        "value": shown(o.value, claim.decimals) or None,
        "value_exact": exact_str(o.value) or None,
        "value_as_published": fixed(o.rounded, claim.decimals) if o.rounded is not None else None,
        "value_text": with_unit(claim, shown(o.value, claim.decimals))
        if o.value is not None
        else None,
        "compared_text": as_published_text(claim, o) or None,
        "gap": gap_text(claim, o.gap) or None,
        "gap_exact": exact_str(o.gap) or None,
        "missing": o.missing or None,
        "gdp": o.gdp,
        "inputs": o.inputs,
        "derived_from_claim": o.derived,
    }


def claim_doc(claim_state: ClaimState) -> dict[str, Any]:
    """The claim as recorded, with its status."""
    return {
        **event_payload(claim_state.claim),
        "status": claim_state.status,
        "superseded_by": claim_state.superseded_by,
        "supersedes": claim_state.supersedes,
        "recorded_seq": claim_state.recorded_seq,
        "seqs": claim_state.seqs,
        "claimed": claimed_text(claim_state.claim),
        "about": metric_text(claim_state.claim),
    }
