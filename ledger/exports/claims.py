"""The claims of a bundle (``claims.csv``): every claim recorded up to the export's seq, checked
by ``ledger.queries.claim_check`` against the exported state, the same way at export time (from
the database) and at verification time (from ``events.jsonl``), so ``verify-export`` re-checks
each claim offline and compares row by row.

What a check needs beyond the folded state is gathered while the events stream by
(``ClaimInputs``: the claim events and the sources of the events marked hypothetical, the only
ones that can make a check circular) and, for the few (jurisdiction, fiscal year) groups the
claims are about, the events of their budget lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ledger.projections.claims import CLAIM_PREFIX, ClaimState, fold_claims
from ledger.projections.fold import EventLike, LedgerState, dec_str
from ledger.projections.measure import exact_str
from ledger.projections.sql import EventRecord
from ledger.queries.claim_check import ClaimCheck, check
from ledger.storage.records import StoredEvent

Group = tuple[str, int]
LineReader = Callable[[set[Group]], dict[Group, list[EventLike]]]


class ClaimInputs:
    """Collects, one event at a time, the claim events and the hypothetical sources."""

    def __init__(self) -> None:
        self.claim_events: list[EventRecord] = []
        self.hypothetical: dict[int, dict[str, Any]] = {}

    def add(self, event: StoredEvent) -> None:
        if event.stream.startswith(CLAIM_PREFIX):
            self.claim_events.append(
                EventRecord(
                    event.seq,
                    event.type,
                    event.schema_version,
                    event.payload,
                    event.recorded_at,
                    event.actor,
                    event.stream,
                )  # fmt: skip
            )
        source = event.source
        if isinstance(source, dict) and source.get("hypothetical") is True:
            self.hypothetical[event.seq] = source

    def claims(self) -> dict[str, ClaimState]:
        return fold_claims(self.claim_events)


def groups_of(claims: Iterable[ClaimState]) -> set[Group]:
    """The (jurisdiction, fiscal year) groups whose lines the claims' checks read."""
    return {(c.claim.jurisdiction, year) for c in claims for year in c.claim.years}


def line_prefix(group: Group) -> str:
    return f"line/{group[0]}/FY{group[1]}/"


class _Evidence:
    """``Evidence`` from what the bundle's event stream gave."""

    def __init__(self, inputs: ClaimInputs, lines: dict[Group, list[EventLike]]) -> None:
        self.inputs, self.lines = inputs, lines

    def line_events(self, jurisdiction: str, fiscal_year: int) -> Iterable[EventLike]:
        return self.lines.get((jurisdiction, fiscal_year), [])

    def source(self, seq: int) -> dict[str, Any] | None:
        return self.inputs.hypothetical.get(seq)


def check_all(state: LedgerState, inputs: ClaimInputs, read_lines: LineReader) -> list[ClaimCheck]:
    """Every claim (withdrawn and superseded ones too) checked against ``state``."""
    claims = inputs.claims()
    if not claims:
        return []
    evidence = _Evidence(inputs, read_lines(groups_of(claims.values())))
    return [check(claim, state, evidence) for claim in claims.values()]


def _seqs(seqs: Iterable[int]) -> str:
    return " ".join(str(s) for s in seqs)


def claim_rows(results: Iterable[ClaimCheck]) -> list[dict[str, Any]]:
    """The ``claims.csv`` rows: one per claim and definition version measured."""
    rows: list[dict[str, Any]] = []
    for result in results:
        state, claim = result.state, result.claim
        base = {
            "claim_id": claim.claim_id,
            "status": state.status,
            "superseded_by": state.superseded_by,
            "claimant": claim.claimant,
            "publication": claim.publication,
            "url": claim.url,
            "published": claim.published,
            "quote": claim.quote,
            "language": claim.language,
            "translation": claim.translation,
            "jurisdiction": claim.jurisdiction,
            "fiscal_year": claim.fiscal_year,
            "through_fiscal_year": claim.through_fiscal_year,
            "compared_with": claim.compared_with,
            "metric": claim.metric.value,
            "kind": claim.kind.value,
            "comparison": claim.comparison.value,
            "value": dec_str(claim.value),
            "value_high": dec_str(claim.value_high) if claim.value_high is not None else None,
            "decimals": claim.decimals,
            "scale": claim.scale,
            "currency": claim.currency,
            "as_published": claim.as_published,
            "definition": claim.definition,
            "tier": claim.tier,
            "stages": ";".join(claim.stages) if claim.stages else None,
            "gdp_basis": claim.gdp_basis,
            "target_id": claim.target_id,
            "recorded_seq": state.recorded_seq,
            "claim_verdict": result.verdict.value,
        }
        for o in result.outcomes:
            rows.append(
                {
                    **base,
                    "measured_by": o.label,
                    "measured_status": o.status,
                    "measured_stages": ";".join(o.stages),
                    "verdict": o.verdict.value,
                    "ledger_value": exact_str(o.value) or None,
                    "ledger_as_published": format(o.rounded, "f")
                    if o.rounded is not None
                    else None,
                    "gap": exact_str(o.gap) or None,
                    "missing": o.missing or None,
                    "derived_from_claim_seqs": _seqs(o.derived),
                    "input_seqs": _seqs(o.inputs),
                }
            )
    return rows
