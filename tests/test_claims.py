"""Claims: the value as published with its precision (rounding table), the verdicts (holds,
does not hold, consistent by construction, undetermined, and under which definitions an
unspecified claim holds), on small ledgers built for each case."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers import category, line, pending
from pydantic import ValidationError

from events import ClaimRecorded, parse_event
from ledger.queries.claim_check import Verdict, judge, round_at
from ledger.queries.claims import check_claims, claims_at
from ledger.storage.records import PendingEvent
from ledger.storage.store import EventStore

CLAIM_URL = "https://example.org/claim"
BASE = {
    "claim_id": "c",
    "claimant": "Minister",
    "publication": "Paper: the claim",
    "url": CLAIM_URL,
    "published": "2025-04-16",
    "quote": "q",
    "fiscal_year": 2025,
}


def claim(**fields: Any) -> ClaimRecorded:
    data = {**BASE, "metric": "share-of-gdp", **fields}
    event = parse_event({**data, "type": "ClaimRecorded"})
    assert isinstance(event, ClaimRecorded)
    return event


# -- precision: half-up at the claim's precision, about, ranges, bounds ----------------------

ROUNDING = [
    # (comparison, value as published, value_high, ledger value, holds, rounded as published)
    ("equals", "1.8", None, "1.75", True, "1.8"),  # half-up: .75 → .8
    ("equals", "1.8", None, "1.7499999", False, "1.7"),
    ("equals", "1.8", None, "1.8499999", True, "1.8"),
    ("equals", "1.8", None, "1.85", False, "1.9"),
    ("equals", "3", None, "2.5", True, "3"),  # half-up, not half-even (round(2.5) == 2)
    ("equals", "2", None, "2.5", False, "3"),
    ("equals", "2", None, "1.972804", True, "2"),  # "2 %" at 0 dp
    ("equals", "2", None, "1.4999999", False, "1"),
    ("equals", "2.0", None, "1.972804", True, "2.0"),  # "2.0 %" at 1 dp
    ("equals", "2.0", None, "1.94", False, "1.9"),
    ("equals", "-0.3", None, "-0.25", True, "-0.3"),  # half away from zero
    ("equals", "0.0", None, "-0.04", True, "0.0"),
    ("about", "9.9", None, "9.9005", True, "9.9"),  # "about ¥9.9T" at 0.1T
    ("about", "9.9", None, "9.85", True, "9.9"),
    ("about", "9.9", None, "9.9499999", True, "9.9"),
    ("about", "9.9", None, "9.95", False, "10.0"),
    ("about", "10", None, "9.9005", True, "10"),  # "10兆円程度" at 1T
    ("about", "10.0", None, "9.9005", False, "9.9"),  # 8.5 + 1.5, each at 0.1T
    ("between", "1.7", "1.8", "1.8499", True, "1.8"),  # ends included, rounded
    ("between", "1.7", "1.8", "1.85", False, "1.9"),
    ("between", "1.7", "1.8", "1.65", True, "1.7"),
    ("between", "1.7", "1.8", "1.6499", False, "1.6"),
    ("at-least", "2", None, "1.972804", False, "2"),  # a bound compares the exact value
    ("at-least", "2", None, "2", True, "2"),
    ("at-least", "2", None, "1.5", False, "2"),
    ("at-least", "3.5", None, "3.5000001", True, "3.5"),
    ("at-most", "1", None, "1.0000001", False, "1"),
    ("at-most", "1", None, "1", True, "1"),
    ("more-than", "1", None, "1", False, "1"),
    ("more-than", "1", None, "1.1472", True, "1"),
    ("less-than", "3.5", None, "3.5", False, "3.5"),
    ("less-than", "3.5", None, "3.4999", True, "3.5"),
]


@pytest.mark.parametrize(("comparison", "value", "high", "ledger", "holds", "rounded"), ROUNDING)
def test_precision__half_up_at_the_published_precision(
    comparison: str, value: str, high: str | None, ledger: str, holds: bool, rounded: str
) -> None:
    published = claim(comparison=comparison, value=value, value_high=high)
    got_holds, got_rounded, gap = judge(published, Fraction(Decimal(ledger)))
    assert (got_holds, format(got_rounded, "f")) == (holds, rounded)
    if comparison != "between":
        assert gap == Fraction(Decimal(ledger)) - Fraction(Decimal(value))


def test_precision__is_the_value_as_written_unless_stated() -> None:
    assert claim(value="2").decimals == 0
    assert claim(value="2.0").decimals == 1  # stored "2", but the precision is kept
    assert claim(value="2.0").value == Decimal(2)
    assert claim(value="1.80", comparison="about").decimals == 2
    assert claim(value="10", decimals=-1).decimals == -1
    assert claim(value="1.7", value_high="1.85", comparison="between").decimals == 2


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (Fraction(44), -1, "40"),
        (Fraction(45), -1, "50"),
        (Fraction(-45), -1, "-50"),
        (Fraction(1, 3), 2, "0.33"),
        (Fraction(2, 3), 0, "1"),
        (Fraction(5, 1000), 2, "0.01"),
        (Fraction(-5, 1000), 2, "-0.01"),
    ],
)
def test_round_at__exact_half_away_from_zero(value: Fraction, decimals: int, expected: str) -> None:
    assert round_at(value, decimals) == Decimal(expected)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "1", "comparison": "between"}, "value_high is required for a between claim"),
        ({"value": "1", "value_high": "2"}, "value_high is required for a between claim"),
        ({"value": "2", "value_high": "1", "comparison": "between"}, "greater than value"),
        ({"value": "1", "metric": "gap-pp"}, "target_id is required"),
        ({"value": "1", "target_id": "t"}, "target_id is required"),
        ({"value": "1", "through_fiscal_year": 2026}, "only for an amount"),
        ({"value": "1", "metric": "amount", "through_fiscal_year": 2024}, "after fiscal_year"),
        ({"value": "1", "scale": 12}, "currency and scale are for money metrics"),
        ({"value": "1", "language": "ja"}, "translation is required for a quote in ja"),
        ({"value": "1.8", "published": "2025-02-30"}, "is not a date"),
        ({"value": "1.8", "definition": "jp@x"}, "is not like jp-defense-related"),
        ({"value": "1.8", "gdp_basis": "last-year"}, "is not same-year, FY2022"),
        ({"value": 1.8}, "not a float"),
    ],
)
def test_claim_event__refuses_what_cannot_be_checked(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        claim(**fields)


# -- verdicts, on small ledgers ------------------------------------------------------------


def _gdp(amount: str = "1000", year: int = 2025, vintage: str = "v1") -> PendingEvent:
    return pending("GdpRecorded", fiscal_year=year, amount=amount, currency="JPY", vintage=vintage)


def _definition(name: str, version: int = 1, *codes: str, status: str = "adopted") -> list[Any]:
    events = [
        pending("DefinitionVersionOpened", definition=name, version=version, title=name),
        *[
            pending(
                "CategoryIncluded",
                definition=name,
                version=version,
                category=code,
                tier="related" if ".REL" in code else "core",
            )
            for code in codes
        ],  # fmt: skip
        pending("GdpBasisSet", definition=name, version=version, basis="same-year"),
    ]
    if status == "adopted":
        events.append(
            pending(
                "DefinitionStatusChanged",
                definition=name,
                version=version,
                status="adopted",
                effective_from=2020,
            )  # fmt: skip
        )
    elif status != "draft":
        events.append(
            pending("DefinitionStatusChanged", definition=name, version=version, status=status)
        )
    return events


def _claim(claim_id: str = "c", **fields: Any) -> PendingEvent:
    data = {**BASE, "claim_id": claim_id, "metric": "share-of-gdp", **fields}
    return pending("ClaimRecorded", **data)


def base_ledger() -> list[PendingEvent]:
    """FY2025: core 15 (DBP 10 + SACO 5), related 4 (JCG); GDP 1000 (same-year). Definition
    ``narrow`` counts core only (1.5 %), ``wide`` core + related (1.9 %)."""
    return [
        category("JP.CORE.DBP"),
        category("JP.CORE.SACO"),
        category("JP.REL.JCG"),
        line("DBP", "10"),
        line("SACO", "5", "JP.CORE.SACO"),
        line("JCG", "4", "JP.REL.JCG", agency="JCG"),
        _gdp(),
        *_definition("narrow", 1, "JP.CORE.DBP", "JP.CORE.SACO"),
        *_definition("wide", 1, "JP.CORE.DBP", "JP.CORE.SACO", "JP.REL.JCG"),
    ]


def outcome_of(
    tmp_path: Path, events: list[PendingEvent], claim_id: str = "c"
) -> tuple[Verdict, dict[str, tuple[Verdict, str]]]:
    """The claim's verdict and, by definition measured, (verdict, value or what is missing)."""
    store = EventStore.open(str(tmp_path / "claims.db"), create=True)
    try:
        store.append_events(events)
        head = store.head()
        assert head is not None
        chosen = claims_at(store, head.seq)[claim_id]
        (result,) = check_claims(store, head.seq, [chosen])
    finally:
        store.close()
    per = {
        o.label: (o.verdict, o.missing or (format(o.rounded, "f") if o.rounded is not None else ""))
        for o in result.outcomes
    }
    return result.verdict, per


def hypothetical_line(url: str = CLAIM_URL, hypothetical: bool = True) -> PendingEvent:
    source = {"title": "Paper: the claim", "url": url, "hypothetical": hypothetical}
    return line("EST", "4", "JP.REL.JCG", agency="estimate", source=source)


VERDICTS: list[tuple[str, list[Any], dict[str, Any], Verdict, dict[str, tuple[Verdict, str]]]] = [
    (
        "holds under the definition named",
        [], {"value": "1.9", "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "1.9")},
    ),
    (
        "does not hold, with the rounded value",
        [], {"value": "1", "definition": "narrow"},
        Verdict.DOES_NOT_HOLD, {"narrow@1": (Verdict.DOES_NOT_HOLD, "2")},
    ),
    (
        "an amount in the published unit (scale), about",
        [], {"metric": "amount", "value": "0.02", "scale": 3, "comparison": "about",
             "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "0.02")},
    ),
    (
        "consistent by construction: a hypothetical input cites the claim's publication",
        [hypothetical_line()], {"value": "2.3", "definition": "wide"},
        Verdict.BY_CONSTRUCTION, {"wide@1": (Verdict.BY_CONSTRUCTION, "2.3")},
    ),
    (
        "a hypothetical input citing another publication is no circle",
        [hypothetical_line("https://example.org/other")], {"value": "2.3", "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "2.3")},
    ),
    (
        "a published (not hypothetical) figure from the same article is transcribed, not derived",
        [hypothetical_line(hypothetical=False)], {"value": "2.3", "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "2.3")},
    ),
    (
        "an input derived from the claim that does not count is no circle",
        [hypothetical_line()], {"value": "1.5", "definition": "narrow"},
        Verdict.HOLDS, {"narrow@1": (Verdict.HOLDS, "1.5")},
    ),
    (
        "a derived figure revised to a published one no longer makes a circle",
        [hypothetical_line(), pending("BudgetLineRevised", fiscal_year=2025, line_id="EST",
                                      amount="4", reason="published at last")],
        {"value": "2.3", "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "2.3")},
    ),
    (
        "a derived figure that does not hold is not called consistent",
        [hypothetical_line()], {"value": "2.4", "definition": "wide"},
        Verdict.DOES_NOT_HOLD, {"wide@1": (Verdict.DOES_NOT_HOLD, "2.3")},
    ),
    (
        "undetermined: the definition is not recorded",
        [], {"value": "2", "definition": "nato"},
        Verdict.UNDETERMINED,
        {"nato": (Verdict.UNDETERMINED, "definition nato is not recorded (definitions: "
                                        "narrow, wide)")},
    ),
    (
        "undetermined: no version in force that year",
        _definition("later", 1, "JP.CORE.DBP", status="proposed"),
        {"value": "2", "definition": "later"},
        Verdict.UNDETERMINED,
        {"later": (Verdict.UNDETERMINED, "no adopted version of later is in force for FY2025 "
                                         "(later@1 proposed)")},
    ),
    (
        "undetermined: no budget lines for the year",
        [], {"value": "2", "definition": "wide@1", "fiscal_year": 2021},
        Verdict.UNDETERMINED,
        {"wide@1": (Verdict.UNDETERMINED, "no budget lines recorded for JP FY2021")},
    ),
    (
        "undetermined: no GDP for the basis",
        [], {"value": "2", "definition": "wide", "gdp_basis": "FY2022"},
        Verdict.UNDETERMINED,
        {"wide@1": (Verdict.UNDETERMINED, "no GDP recorded for JP FY2022 (GDP basis FY2022)")},
    ),
    (
        "undetermined: the tier is not one of the definition's",
        [], {"value": "2", "definition": "narrow", "tier": "related"},
        Verdict.UNDETERMINED,
        {"narrow@1": (Verdict.UNDETERMINED, "narrow@1 has no tier related (tiers: core)")},
    ),
    (
        "undetermined: the definition does not count the stage",
        [], {"value": "2", "definition": "wide", "stages": ["supplementary"]},
        Verdict.UNDETERMINED,
        {"wide@1": (Verdict.UNDETERMINED, "wide@1 does not count stage supplementary")},
    ),
    (
        "undetermined: a currency with no rate",
        [], {"metric": "amount", "value": "1", "currency": "USD", "definition": "wide"},
        Verdict.UNDETERMINED,
        {"wide@1": (Verdict.UNDETERMINED, "no exchange rate JPY→USD for FY2025 is recorded "
                                          "(the total is in JPY, the claim in USD)")},
    ),
    (
        "a currency through a recorded rate",
        [pending("ExchangeRateRecorded", base="USD", quote="JPY", fiscal_year=2025, rate="2")],
        {"metric": "amount", "value": "9.5", "currency": "USD", "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "9.5")},
    ),
    (
        "unspecified: holds under one definition, not the other",
        [], {"value": "1.9"},
        Verdict.DEPENDS,
        {"narrow@1": (Verdict.DOES_NOT_HOLD, "1.5"), "wide@1": (Verdict.HOLDS, "1.9")},
    ),
    (
        "unspecified: holds under every definition",
        [], {"value": "2", "comparison": "about"},
        Verdict.HOLDS, {"narrow@1": (Verdict.HOLDS, "2"), "wide@1": (Verdict.HOLDS, "2")},
    ),
    (
        "unspecified: a withdrawn version is not measured",
        _definition("old", 1, "JP.CORE.DBP", status="withdrawn"), {"value": "3.5",
                                                                   "comparison": "at-least"},
        Verdict.DOES_NOT_HOLD,
        {"narrow@1": (Verdict.DOES_NOT_HOLD, "1.5"), "wide@1": (Verdict.DOES_NOT_HOLD, "1.9")},
    ),
    (
        "unspecified: undetermined under some, the others decide",
        [], {"value": "1.5", "tier": "core"},
        Verdict.HOLDS, {"narrow@1": (Verdict.HOLDS, "1.5"), "wide@1": (Verdict.HOLDS, "1.5")},
    ),
    (
        "unspecified: related tier, undetermined where there is none",
        [], {"value": "0.4", "tier": "related"},
        Verdict.HOLDS,
        {"narrow@1": (Verdict.UNDETERMINED, "narrow@1 has no tier related (tiers: core)"),
         "wide@1": (Verdict.HOLDS, "0.4")},
    ),
    (
        "a change in percentage points from the year before",
        [line("DBP24", "10", fiscal_year=2024), _gdp("1000", 2024)],
        {"metric": "change-pp", "value": "0.9", "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "0.9")},
    ),
    (
        "a change in percent from the year before",
        [line("DBP24", "10", fiscal_year=2024)],
        {"metric": "change-percent", "value": "90", "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "90")},
    ),
    (
        "an amount summed over a span of years",
        [line("DBP26", "1", fiscal_year=2026)],
        {"metric": "amount", "value": "20", "through_fiscal_year": 2026, "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "20")},
    ),
    (
        "a gap to a target, in percentage points",
        [pending("TargetSet", target_id="two", percent_of_gdp="2", by_fiscal_year=2025)],
        {"metric": "gap-pp", "value": "0.1", "target_id": "two", "definition": "wide"},
        Verdict.HOLDS, {"wide@1": (Verdict.HOLDS, "0.1")},
    ),
    (
        "a target (a request) is met or not",
        [], {"value": "3.5", "comparison": "at-least", "kind": "target", "definition": "wide"},
        Verdict.DOES_NOT_HOLD, {"wide@1": (Verdict.DOES_NOT_HOLD, "1.9")},
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "fields", "verdict", "per"),
    [case[1:] for case in VERDICTS],
    ids=[case[0] for case in VERDICTS],
)
def test_verdicts(
    tmp_path: Path,
    extra: list[PendingEvent],
    fields: dict[str, Any],
    verdict: Verdict,
    per: dict[str, tuple[Verdict, str]],
) -> None:
    got = outcome_of(tmp_path, [*base_ledger(), *extra, _claim(**fields)])
    assert got == (verdict, per)


def test_verdict__consistent_by_construction_names_the_derived_seq(tmp_path: Path) -> None:
    store = EventStore.open(str(tmp_path / "c.db"), create=True)
    try:
        result = store.append_events([*base_ledger(), hypothetical_line()])
        derived_seq = result.last_seq
        store.append_events([_claim(value="2.3", definition="wide")])
        head = store.head()
        assert head is not None
        (checked,) = check_claims(store, head.seq, claims_at(store, head.seq).values())
    finally:
        store.close()
    (outcome,) = checked.outcomes
    assert outcome.derived == [derived_seq]
    assert derived_seq in outcome.inputs


@pytest.mark.parametrize(
    ("field", "value"), [("metric", [1]), ("metric", {"a": 1}), ("fiscal_year", [2025])]
)
def test_claim_event__a_value_of_the_wrong_shape_is_a_validation_error(
    field: str, value: Any
) -> None:
    """Stored payloads of any shape load or fail with a ValidationError, never a TypeError
    (a list as the metric once reached a set lookup; found by the hostile-payload test)."""
    data: dict[str, Any] = {
        "type": "ClaimRecorded", "claim_id": "c", "claimant": "x", "publication": "x",
        "published": "2025-01-01", "quote": "x", "jurisdiction": "JP", "fiscal_year": 2025,
        "metric": "share_change_pp", "kind": "figure", "comparison": "equals", "value": "1",
    }  # fmt: skip
    data[field] = value
    with pytest.raises(ValidationError):
        parse_event(data)
