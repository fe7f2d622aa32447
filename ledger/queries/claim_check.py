"""Checking one claim against the ledger: the value the ledger gives under the measure the
claim implies, rounded the way the claim was published, and a verdict.

Verdicts: **holds**; **does not hold** (with the gap); **consistent by construction** (it holds,
but a figure behind the ledger's value was derived from this very claim, so it confirms
nothing); **undetermined** (and what is missing). A claim that names no definition is measured
under every recorded definition version (withdrawn ones aside): it holds if it holds under all
of them, does not hold under none, and otherwise **depends on the definition** — with each
version's own verdict listed.

Rounding (``round_at``): half away from zero (ROUND_HALF_UP) at the claim's precision, never
Python's ``round()``. ``equals`` and ``about`` hold when the ledger's value so rounded equals
the published value ("about ¥9.9T" published to 0.1T holds for 9.85T..9.95T, exclusive of
9.95T): "about" says the claimant rounded, the precision says how far. ``between`` holds when
the rounded value is within the range, ends included. Bounds (``at-least``, ``at-most``,
``more-than``, ``less-than``) compare the exact value: 1.97 % is not "at least 2 %".

"Derived from this claim" is decided from the provenance of the events behind the value: an
event whose source is marked ``hypothetical`` (an assumption, not a published figure) and cites
the claim's own publication (the same URL; the same title when either has none). Only the
events that make the number count: each counted line's latest amount (recorded or revised), the
inclusion of its category, the definition's stages and GDP basis, the GDP figure, exchange
rates and, for a gap, the target. Pure: the store or an export bundle supplies the events
(``Evidence``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import Any, Protocol

from events import ClaimMetric, ClaimRecorded, Comparison
from events.claims import GAP_METRICS
from ledger.errors import InvalidInput
from ledger.intake.lines import LineState, key_of_payload, line_transition
from ledger.projections.claims import ClaimState
from ledger.projections.definitions import (
    DefinitionVersion,
    definition_names,
    describe_versions,
    in_force,
    parse_spec,
)
from ledger.projections.fold import EventLike, LedgerState
from ledger.projections.measure import (
    Measure,
    describe_missing_gdp,
    measure,
    parse_basis,
)
from ledger.storage.records import current_payload


class Verdict(StrEnum):
    HOLDS = "holds"
    DOES_NOT_HOLD = "does-not-hold"
    BY_CONSTRUCTION = "consistent-by-construction"
    UNDETERMINED = "undetermined"
    DEPENDS = "depends-on-definition"

    @property
    def text(self) -> str:
        """In words: ``does not hold``, ``depends on the definition``."""
        return VERDICT_TEXT[self]


VERDICT_TEXT = {
    Verdict.HOLDS: "holds",
    Verdict.DOES_NOT_HOLD: "does not hold",
    Verdict.BY_CONSTRUCTION: "consistent by construction",
    Verdict.UNDETERMINED: "undetermined",
    Verdict.DEPENDS: "depends on the definition",
}
HOLDING = frozenset({Verdict.HOLDS, Verdict.BY_CONSTRUCTION})


class Evidence(Protocol):
    """The events a check needs beyond the aggregate state, as of the moment checked."""

    def line_events(self, jurisdiction: str, fiscal_year: int) -> Iterable[EventLike]:
        """Every event of the lines of one jurisdiction and year, in seq order."""
        ...

    def source(self, seq: int) -> dict[str, Any] | None:
        """The source (citation) of the event at ``seq``."""
        ...


# -- numbers --------------------------------------------------------------------------------


def round_at(value: Fraction, decimals: int) -> Decimal:
    """``value`` rounded half away from zero to ``decimals`` places (negative: to tens,
    hundreds…), exactly: a ``Fraction`` in, a ``Decimal`` with that exponent out."""
    quantum = Fraction(10) ** -decimals
    steps = abs(value) / quantum
    whole = int(steps)
    if steps - whole >= Fraction(1, 2):
        whole += 1
    signed = -whole if value < 0 else whole
    with localcontext(Context(prec=200)):
        return Decimal(signed).scaleb(-decimals)


# -- the events behind a value --------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """A line as of the check, and the seq of the event that set its current amount."""

    line: LineState
    amount_seq: int


def line_inputs(events: Iterable[EventLike]) -> dict[str, LineInput]:
    """Fold line events (one group, seq order) into each line's state and amount event."""
    lines: dict[str, LineInput] = {}
    for event in events:
        payload = current_payload(event.type, event.schema_version, event.payload)
        key = key_of_payload(payload)
        before = lines.get(key)
        line = line_transition(before.line if before else None, event.seq, event.type, payload)
        if line is None:
            continue
        sets_amount = event.type == "BudgetLineRecorded" or (
            event.type == "BudgetLineRevised" and before is not None and not before.line.withdrawn
        )
        amount_seq = event.seq if sets_amount or before is None else before.amount_seq
        lines[key] = LineInput(line, amount_seq)
    return lines


def measure_inputs(m: Measure, tier: str | None, lines: Iterable[LineInput]) -> set[int]:
    """The seqs of the events that make one measure's total (of ``tier``; None: all)."""
    version = m.version
    seqs = {s for s in (version.stages_seq, version.basis_seq) if s}
    if m.gdp is not None:
        seqs.add(m.gdp.seq)
    seqs.update(rate.seq for rate in m.rates)
    for item in lines:
        line = item.line
        inclusion = version.categories.get(line.category)
        if line.withdrawn or line.stage not in m.stages or inclusion is None:
            continue
        if tier is None or inclusion.tier == tier:
            seqs.update((item.amount_seq, inclusion.seq))
    return seqs


def _same_publication(source: dict[str, Any], claim: ClaimRecorded) -> bool:
    url = str(source.get("url") or "").strip().rstrip("/")
    if url and claim.url:
        return url == claim.url.strip().rstrip("/")
    title = str(source.get("title") or "").strip().casefold()
    return bool(title) and title == claim.publication.strip().casefold()


def derived_from(source: dict[str, Any] | None, claim: ClaimRecorded) -> bool:
    """Whether an event with ``source`` was derived from ``claim``: an assumption (marked
    hypothetical) that cites the claim's own publication."""
    if not source or not source.get("hypothetical"):
        return False
    return _same_publication(source, claim)


# -- one measure ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """The claim under one definition version (or why none could be chosen)."""

    label: str
    verdict: Verdict
    status: str | None = None
    in_force: bool = False
    value: Fraction | None = None
    rounded: Decimal | None = None
    gap: Fraction | None = None
    missing: str = ""
    tier: str | None = None
    stages: tuple[str, ...] = ()
    gdp: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    derived: list[int] = field(default_factory=list)


class _Missing(Exception):
    """What the ledger lacks to measure a claim (the outcome is undetermined)."""


def judge(claim: ClaimRecorded, value: Fraction) -> tuple[bool, Decimal, Fraction]:
    """(holds, the value rounded as the claim, gap) for the ledger's exact ``value`` in the
    claim's unit: the gap is the exact value minus the published one (the nearer end of a
    range), 0 when a range holds."""
    rounded = round_at(value, claim.decimals)
    holds, gap = _compare(claim, value, rounded)
    return holds, rounded, gap


def _compare(claim: ClaimRecorded, value: Fraction, rounded: Decimal) -> tuple[bool, Fraction]:
    low = Fraction(claim.value)
    match claim.comparison:
        case Comparison.EQUALS | Comparison.ABOUT:
            return rounded == claim.value, value - low
        case Comparison.BETWEEN:
            assert claim.value_high is not None
            high = Fraction(claim.value_high)
            if rounded < claim.value:
                return False, value - low
            if rounded > claim.value_high:
                return False, value - high
            return True, Fraction(0)
        case Comparison.AT_LEAST:
            return value >= low, value - low
        case Comparison.AT_MOST:
            return value <= low, value - low
        case Comparison.MORE_THAN:
            return value > low, value - low
        case Comparison.LESS_THAN:
            return value < low, value - low
    raise AssertionError(claim.comparison)  # pragma: no cover


class _Measured:
    """The measures of one version for the claim's years, and the events behind them."""

    def __init__(
        self,
        claim: ClaimRecorded,
        state: LedgerState,
        version: DefinitionVersion,
        tier: str | None,
        evidence: Evidence,
    ) -> None:
        self.claim, self.state, self.version, self.tier = claim, state, version, tier
        self.evidence = evidence
        self.inputs: set[int] = set()
        self.measures: dict[int, Measure] = {}

    def at(self, year: int) -> Measure:
        if year in self.measures:
            return self.measures[year]
        claim, j, label = self.claim, self.claim.jurisdiction, self.version.label
        if not self.state.group(j, year):
            raise _Missing(f"no budget lines recorded for {j} FY{year}")
        if self.tier is not None and self.tier not in self.version.tiers():
            tiers = ", ".join(self.version.tiers())
            raise _Missing(f"{label} has no tier {self.tier} (tiers: {tiers})")
        basis = parse_basis(claim.gdp_basis) if claim.gdp_basis else None
        try:
            m = measure(self.state, j, year, self.version, stages=claim.stages, basis=basis)
        except InvalidInput as exc:  # a currency without a recorded rate
            raise _Missing(str(exc)) from None
        if not m.stages:
            stages = ", ".join(claim.stages or ())
            raise _Missing(f"{label} does not count stage {stages}")
        if not any(self.tier is None or t == self.tier for t, _ in m.by_category):
            recorded = sorted({stage for stage, _, _ in self.state.group(j, year)})
            where = f" in tier {self.tier}" if self.tier else ""
            raise _Missing(
                f"nothing recorded for {j} FY{year} counts under {label}{where} (it counts "
                f"{', '.join(m.stages)}; lines are recorded at {', '.join(recorded)})"
            )
        lines = line_inputs(self.evidence.line_events(j, year)).values()
        self.inputs |= measure_inputs(m, self.tier, lines)
        self.measures[year] = m
        return m

    def total(self, year: int) -> Fraction:
        """The total of the claim's tier, in the claim's currency."""
        m = self.at(year)
        total = Fraction(m.total(self.tier))
        wanted = self.claim.currency
        if wanted is None or wanted == m.currency:
            return total
        rates = self.state.rates
        direct, inverse = (
            rates.get((m.currency, wanted, year)),
            rates.get((wanted, m.currency, year)),
        )
        if direct is None and inverse is None:
            raise _Missing(
                f"no exchange rate {m.currency}→{wanted} for FY{year} is recorded (the total is "
                f"in {m.currency}, the claim in {wanted})"
            )
        if direct is not None:
            self.inputs.add(direct.seq)
            return total * Fraction(direct.rate)
        assert inverse is not None
        self.inputs.add(inverse.seq)
        return total / Fraction(inverse.rate)

    def share(self, year: int) -> Fraction:
        m = self.at(year)
        share = m.share(self.tier)
        if share is None:
            basis = parse_basis(self.claim.gdp_basis) if self.claim.gdp_basis else m.version.basis
            raise _Missing(describe_missing_gdp(m.jurisdiction, year, basis))
        return share

    def target_gap(self) -> tuple[Fraction, Fraction]:
        """(amount short of the target, percentage points short of it) in the claim's year."""
        claim = self.claim
        target = self.state.targets.get((claim.jurisdiction, claim.target_id or ""))
        if target is None:
            raise _Missing(f"target {claim.target_id} is not recorded for {claim.jurisdiction}")
        self.inputs.add(target.seq)
        share = self.share(claim.fiscal_year)
        m = self.at(claim.fiscal_year)
        assert m.gdp is not None
        pct = Fraction(target.percent_of_gdp)
        amount = pct * Fraction(m.gdp.amount) / 100 - Fraction(m.total(self.tier))
        return amount, pct - share

    def value(self) -> Fraction:
        """The claim's metric under this version, in the claim's published unit."""
        claim = self.claim
        unit = Fraction(10) ** claim.scale
        year, before = claim.fiscal_year, claim.compared_with
        match claim.metric:
            case ClaimMetric.AMOUNT:
                return sum((self.total(y) for y in claim.years), Fraction(0)) / unit
            case ClaimMetric.SHARE_OF_GDP:
                return self.share(year)
            case ClaimMetric.CHANGE_AMOUNT:
                assert before is not None
                return (self.total(year) - self.total(before)) / unit
            case ClaimMetric.CHANGE_PERCENT:
                assert before is not None
                base = self.total(before)
                if base == 0:
                    raise _Missing(f"the FY{before} total is 0: no percentage change")
                return (self.total(year) - base) / base * 100
            case ClaimMetric.CHANGE_PP:
                assert before is not None
                return self.share(year) - self.share(before)
            case ClaimMetric.GAP_AMOUNT:
                return self.target_gap()[0] / unit
            case ClaimMetric.GAP_PP:
                return self.target_gap()[1]
        raise AssertionError(claim.metric)  # pragma: no cover


def evaluate(
    claim: ClaimRecorded, state: LedgerState, version: DefinitionVersion, evidence: Evidence
) -> Outcome:
    """The claim under one definition version."""
    tier = claim_tier(claim, state)
    measured = _Measured(claim, state, version, tier, evidence)
    outcome = Outcome(
        version.label,
        Verdict.UNDETERMINED,
        status=version.status,
        in_force=in_force(state.definitions, version.definition, claim.fiscal_year) is version,
        tier=tier,
    )  # fmt: skip
    try:
        value = measured.value()
    except _Missing as missing:
        outcome.missing = str(missing)
        return outcome
    finally:
        first = measured.measures.get(claim.fiscal_year) or next(
            iter(measured.measures.values()), None
        )
        outcome.stages = first.stages if first else ()
        outcome.gdp = [m.gdp.meta() for _, m in sorted(measured.measures.items()) if m.gdp]
    holds, rounded, gap = judge(claim, value)
    inputs = sorted(measured.inputs)
    derived = [seq for seq in inputs if derived_from(evidence.source(seq), claim)]
    outcome.value, outcome.rounded, outcome.gap = value, rounded, gap
    outcome.inputs, outcome.derived = inputs, derived
    if not holds:
        outcome.verdict = Verdict.DOES_NOT_HOLD
    else:
        outcome.verdict = Verdict.BY_CONSTRUCTION if derived else Verdict.HOLDS
    return outcome


def claim_tier(claim: ClaimRecorded, state: LedgerState) -> str | None:
    """The tier a claim is about: its own, else its target's (for a gap), else all (None)."""
    if claim.tier is not None:
        return None if claim.tier == "all" else claim.tier
    if claim.metric in GAP_METRICS:
        target = state.targets.get((claim.jurisdiction, claim.target_id or ""))
        return target.tier if target else None
    return None


# -- one claim ----------------------------------------------------------------------------------


@dataclass
class ClaimCheck:
    """A claim, its verdict, and the outcome under each definition version it was measured by
    (one when the claim names its definition)."""

    state: ClaimState
    verdict: Verdict
    outcomes: list[Outcome]
    specified: bool

    @property
    def claim(self) -> ClaimRecorded:
        return self.state.claim

    def under(self, *verdicts: Verdict) -> list[str]:
        return [o.label for o in self.outcomes if o.verdict in verdicts]

    def signature(self) -> tuple[Any, ...]:
        """What ``--since`` compares: the verdict, and for a claim of no definition the verdict
        under each version (a new version, or one that flips, changes the answer)."""
        per = () if self.specified else tuple((o.label, o.verdict) for o in self.outcomes)
        return (self.verdict, per)

    def missing(self) -> str:
        return "; ".join(dict.fromkeys(o.missing for o in self.outcomes if o.missing))


def versions_for_claim(
    claim: ClaimRecorded, state: LedgerState
) -> tuple[list[DefinitionVersion], Outcome | None]:
    """The versions to measure a claim by, or the undetermined outcome saying why there is
    none: ``NAME@N`` exactly; ``NAME`` the version in force in the claim's year; no definition:
    every version of every definition (of the target's, for a gap to a target that names one),
    withdrawn versions aside."""
    definitions = state.definitions
    spec = claim.definition
    if spec is None:
        names = definition_names(definitions)
        if claim.metric in GAP_METRICS:
            target = state.targets.get((claim.jurisdiction, claim.target_id or ""))
            if target is not None and target.definition:
                names = [target.definition]
        versions = [
            definitions[key]
            for key in sorted(definitions)
            if key[0] in names and definitions[key].status != "withdrawn"
        ]
        if not versions:
            return [], Outcome("(unspecified)", Verdict.UNDETERMINED, missing=(
                "no definition version is recorded to measure it by"))  # fmt: skip
        return versions, None
    name, number = parse_spec(spec)
    if name not in definition_names(definitions):
        known = ", ".join(definition_names(definitions)) or "none recorded"
        why = f"definition {name} is not recorded (definitions: {known})"
        return [], Outcome(spec, Verdict.UNDETERMINED, missing=why)
    if number is not None:
        found = definitions.get((name, number))
        if found is None:
            why = f"{spec} is not recorded (versions: {describe_versions(definitions, name)})"
            return [], Outcome(spec, Verdict.UNDETERMINED, missing=why)
        return [found], None
    found = in_force(definitions, name, claim.fiscal_year)
    if found is None:
        why = (
            f"no adopted version of {name} is in force for FY{claim.fiscal_year} "
            f"({describe_versions(definitions, name)})"
        )
        return [], Outcome(spec, Verdict.UNDETERMINED, missing=why)
    return [found], None


def overall(outcomes: list[Outcome], specified: bool) -> Verdict:
    """One verdict from the outcomes (see the module docstring)."""
    if specified:
        return outcomes[0].verdict
    determined = [o for o in outcomes if o.verdict is not Verdict.UNDETERMINED]
    if not determined:
        return Verdict.UNDETERMINED
    holding = [o for o in determined if o.verdict in HOLDING]
    if not holding:
        return Verdict.DOES_NOT_HOLD
    if len(holding) < len(determined):
        return Verdict.DEPENDS
    if any(o.verdict is Verdict.BY_CONSTRUCTION for o in holding):
        return Verdict.BY_CONSTRUCTION
    return Verdict.HOLDS


def check(claim_state: ClaimState, state: LedgerState, evidence: Evidence) -> ClaimCheck:
    """Check one claim against ``state`` (the aggregate state as of the moment checked)."""
    claim = claim_state.claim
    specified = claim.definition is not None
    versions, none = versions_for_claim(claim, state)
    if none is not None:
        absent = [y for y in claim.years if not state.group(claim.jurisdiction, y)]
        if absent:
            years = ", ".join(f"FY{y}" for y in absent)
            lines = f"no budget lines recorded for {claim.jurisdiction} {years}"
            none.missing = f"{lines}; {none.missing}"
    outcomes = [none] if none else [evaluate(claim, state, v, evidence) for v in versions]
    return ClaimCheck(claim_state, overall(outcomes, specified), outcomes, specified)
