"""``defledger claims`` on the Japan scenario: check, --since (which verdicts a new event
flipped, and by which event; exit 4), show, withdraw and supersede, imports of claim files,
``totals --claims``, ClaimReview JSON-LD, and claims in export bundles and on PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.app import cli as app
from ledger.demo.seed import scenario_text

Run = Callable[..., Result]


def runner_for(db: Path | str) -> Run:
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--db", str(db), *args], catch_exceptions=False)

    return run


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("claims")
    seed = directory / "japan.jsonl"
    seed.write_text(scenario_text(), encoding="utf-8")
    path = directory / "seed.db"
    result = runner_for(path)("import", str(seed))
    assert result.exit_code == 0, result.output
    assert runner_for(path)("claims", "check").exit_code == 0  # projections caught up once
    return path


def copy_of(seeded_file: Path, directory: Path) -> tuple[Path, Run]:
    path = directory / f"copy-{len(list(directory.glob('copy-*.db')))}.db"
    shutil.copyfile(seeded_file, path)
    return path, runner_for(path)


@pytest.fixture
def ledger(seeded_file: Path, tmp_path: Path) -> Run:
    return copy_of(seeded_file, tmp_path)[1]


def as_json(result: Result) -> Any:
    assert result.exit_code in (0, 4), result.output
    return json.loads(result.stdout)


def verdicts(run: Run, *args: str) -> dict[str, tuple[Any, ...]]:
    """Each claim's verdict and, for a claim of no definition, its verdict per version."""
    doc = as_json(run("claims", "check", "--format", "json", *args))
    return {
        c["claim_id"]: (
            c["verdict"],
            () if c["specified"] else tuple((o["definition"], o["verdict"]) for o in c["outcomes"]),
        )
        for c in doc["claims"]
    }


def head(run: Run) -> int:
    return int(json.loads(run("digest").stdout)["seq"])


# -- check ------------------------------------------------------------------------------------


def test_claims_check__every_claim_with_its_verdict(ledger: Run) -> None:
    result = ledger("claims", "check")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith("jp-fy2025-2pct-nikkei"))
    assert "holds" in row and "1.972804%" in row and "jp-defense-related@2" in row
    circular = next(line for line in lines if line.startswith("jp-fy2024-share-japantimes"))
    assert "consistent by construction" in circular and "rests on seq 65" in circular
    assert "14 claims as of seq 133: " in result.stdout


def test_claims_check__json_exact_values_and_verdicts(ledger: Run) -> None:
    doc = as_json(ledger("claims", "check", "--format", "json", "--claim", "seed-fy2025-related"))
    (claim,) = doc["claims"]
    assert (claim["verdict"], claim["specified"]) == ("does-not-hold", False)
    assert claim["undetermined_under"] == ["jp-mod-core@1"]
    assert claim["does_not_hold_under"] == [
        "jp-defense-related@1", "jp-defense-related@2", "jp-defense-related@3", "nato@1",
    ]  # fmt: skip
    nato = next(o for o in claim["outcomes"] if o["definition"] == "nato@1")
    assert (nato["value_exact"], nato["value_as_published"], nato["gap"]) == ("0.5", "0.5", "-¥1T")


def test_claims_check__unknown_claim_is_one_line_exit_2(ledger: Run) -> None:
    result = ledger("claims", "check", "--claim", "nope")
    assert result.exit_code == 2
    assert result.output.startswith("Error: unknown claim 'nope' (claims: jp-fy2021-nato-jiji, ")
    assert len(result.output.strip().splitlines()) == 1


def test_claims_check__as_of_before_a_claim_was_recorded(ledger: Run) -> None:
    doc = as_json(ledger("claims", "check", "--as-of", "125", "--format", "json"))
    assert [c["claim_id"] for c in doc["claims"]] == [
        "jp-fy2021-nato-jiji", "jp-fy2024-share-japantimes", "jp-fy2024-amount-japantimes",
        "jp-fy2025-share-same-year-jiji", "jp-fy2025-share-yomiuri", "jp-fy2025-amount-yomiuri",
    ]  # fmt: skip
    assert doc["meta"]["as_of"]["seq"] == 125


# -- what changed since --------------------------------------------------------------------------

REVISE = ("record", "revise", "--fy", "FY2025", "--actor", "tester")


def test_since__a_revision_that_flips_verdicts_names_them_and_exits_4(ledger: Run) -> None:
    before = head(ledger)
    revised = ledger(*REVISE, "--line-id", "MOD-DBP", "--amount", "9474800000000",
                     "--reason", "restated")  # fmt: skip
    assert revised.exit_code == 0, revised.output
    result = ledger("claims", "check", "--since", str(before))
    assert result.exit_code == 4, result.output
    assert "4 claim(s) changed verdict between" in result.stdout
    assert "Error" not in result.stderr  # a finding (exit 4, as diff), not an error
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[2:] if line.strip()}
    changed = {name for name in rows if name.startswith(("jp-", "seed-", "us-"))}
    assert changed == {
        "jp-fy2025-share-yomiuri", "jp-fy2025-amount-yomiuri", "jp-fy2025-total-nikkei",
        "jp-fy2025-total-mof",
    }  # fmt: skip
    yomiuri = rows["jp-fy2025-share-yomiuri"]
    assert "holds (1.8%)" in yomiuri and "does not hold (1.9%)" in yomiuri
    assert f"seq {before + 1} BudgetLineRevised line/JP/FY2025/MOD-DBP" in yomiuri


def test_since__nothing_changed_exits_0(ledger: Run) -> None:
    before = head(ledger)
    unrelated = ledger(*REVISE[:3], "FY2022", "--actor", "tester", "--line-id", "NATO-PENSIONS",
                       "--amount", "110000000001", "--reason", "restated")  # fmt: skip
    assert unrelated.exit_code == 0, unrelated.output
    result = ledger("claims", "check", "--since", str(before))
    assert result.exit_code == 0, result.output
    assert "0 claim(s) changed verdict between seq 133 and seq 134" in result.stdout


def test_since__a_gdp_recorded_settles_an_undetermined_claim(ledger: Run) -> None:
    before = head(ledger)
    gdp = ledger("record", "gdp", "--fy", "2025", "--amount", "620000000000000",
                 "--vintage", "2025-estimate", "--actor", "tester")  # fmt: skip
    assert gdp.exit_code == 0, gdp.output
    doc = as_json(ledger("claims", "check", "--since", str(before), "--format", "json"))
    changes = {c["claim"]: c for c in doc["changes"]}
    assert set(changes) == {"jp-fy2025-share-same-year-jiji", "us-ask-3p5pct"}
    same_year = changes["jp-fy2025-share-same-year-jiji"]
    assert (same_year["before"]["verdict"], same_year["after"]["verdict"]) == (
        "undetermined", "holds",  # 8.4748 + 0.2257 + 1.2 = 9.9005 ÷ 620 = 1.5968 % → 1.6 %
    )  # fmt: skip
    assert [e["seq"] for e in same_year["changed_by"]] == [before + 1]


def test_since__after_the_moment_checked_is_exit_2(ledger: Run) -> None:
    result = ledger("claims", "check", "--since", "133", "--as-of", "120")
    assert result.exit_code == 2
    assert "is after the moment checked" in result.output


LINES = [
    ("FY2024", "REL-ALL", 950400000000),
    ("FY2024", "MOD-DBP", 7724900000000),
    ("FY2025", "MOD-DBP", 8474800000000),
    ("FY2025", "REL-JCG-PKO", 700000000000),
    ("FY2025", "REL-FOUR-ITEMS", 500000000000),
    ("FY2025", "SUPP-MOD", 847200000000),
    ("FY2025", "SUPP-CYBER", 100000000000),
]


@pytest.mark.slow  # a long hypothesis run: every example checks the claims through the CLI
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(LINES),
    factor=st.integers(0, 300),
    withdraw=st.booleans(),
)
def test_since__finds_exactly_the_claims_a_revision_flips(
    seeded_file: Path, tmp_path: Path, target: tuple[str, str, int], factor: int, withdraw: bool
) -> None:
    """After any revision (or withdrawal) of a line, ``--since`` lists exactly the claims whose
    verdict differs between before and after (each checked on its own, ``--as-of``), each
    changed by that one event; exit 4 iff there is one."""
    _, run = copy_of(seeded_file, tmp_path)
    before = head(run)
    year, line_id, amount = target
    if withdraw:
        change = run("record", "withdraw", "--fy", year, "--line-id", line_id,
                     "--reason", "test", "--actor", "tester")  # fmt: skip
    else:
        new = amount * factor // 100  # 0 %..300 % of the figure
        change = run(*REVISE[:3], year, "--actor", "tester", "--line-id", line_id,
                     "--amount", str(new), "--reason", "test")  # fmt: skip
    assert change.exit_code == 0, change.output
    then, now = verdicts(run, "--as-of", str(before)), verdicts(run)
    flipped = {claim for claim in now if then[claim] != now[claim]}
    result = run("claims", "check", "--since", str(before), "--format", "json")
    assert result.exit_code == (4 if flipped else 0), result.output
    changes = json.loads(result.stdout)["changes"]
    assert {c["claim"] for c in changes} == flipped
    for c in changes:
        assert [e["seq"] for e in c["changed_by"]] == [before + 1]
        assert (c["before"]["verdict"], c["after"]["verdict"]) == (
            then[c["claim"]][0], now[c["claim"]][0],
        )  # fmt: skip


# -- show, withdraw, supersede ----------------------------------------------------------------


def test_claims_show__history_check_and_trace(ledger: Run) -> None:
    result = ledger("claims", "show", "jp-fy2024-share-japantimes")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("Claim jp-fy2024-share-japantimes (active): 1.6% — JP FY2024")
    assert "jp-defense-related@1: consistent by construction 1.589286% → 1.6%" in text
    assert "rests on seq 65, derived from this claim's publication" in text
    assert "ClaimRecorded" in text.split("History")[1]
    trace = text.split("Trace: jp-defense-related@1 FY2024")[1]
    assert "JP/FY2024/REL-ALL" in trace and "8,900,000,000,000 / 560,000,000,000,000" in trace
    doc = as_json(ledger("claims", "show", "jp-fy2024-share-japantimes", "--format", "json"))
    assert [h["type"] for h in doc["history"]] == ["ClaimRecorded"]
    (traced,) = doc["traces"]
    total = next(row for row in traced["rows"] if row["role"] == "total")
    assert total["contribution"] == "8900000000000"


def test_claims_show__a_definition_it_was_not_measured_by_is_exit_2(ledger: Run) -> None:
    result = ledger("claims", "show", "jp-fy2025-2pct-nikkei", "--definition", "nato@1")
    assert result.exit_code == 2
    assert "was not measured by nato@1 (measured by: jp-defense-related@2)" in result.output


def test_claims__withdraw_and_supersede_never_edit(ledger: Run, tmp_path: Path) -> None:
    assert ledger("claims", "withdraw", "seed-fy2025-total").exit_code == 2  # no --reason
    withdrawn = ledger("claims", "withdraw", "seed-fy2025-total", "--reason", "a reader's sum")
    assert withdrawn.exit_code == 0, withdrawn.output
    again = ledger("claims", "withdraw", "seed-fy2025-total", "--reason", "twice")
    assert again.exit_code == 2
    assert "claim seed-fy2025-total was already withdrawn" in again.output
    assert (
        "seed-fy2025-total"
        not in as_json(ledger("claims", "check", "--format", "json"))["claims"].__repr__()
    )
    everything = as_json(ledger("claims", "check", "--all", "--format", "json"))["claims"]
    assert next(c for c in everything if c["claim_id"] == "seed-fy2025-total")["status"] == (
        "withdrawn"
    )
    unknown = ledger("claims", "supersede", "us-ask-3p5pct", "--by", "nope", "--reason", "x")
    assert unknown.exit_code == 2 and "claim nope (by) is not recorded" in unknown.output
    superseded = ledger(
        "claims", "supersede", "jp-fy2025-share-yomiuri", "--by", "jp-fy2025-2pct-nikkei",
        "--reason", "the later figure counts the supplementary",
    )  # fmt: skip
    assert superseded.exit_code == 0, superseded.output
    doc = as_json(ledger("claims", "show", "jp-fy2025-share-yomiuri", "--format", "json"))
    assert doc["claim"]["status"] == "superseded"
    assert doc["claim"]["superseded_by"] == "jp-fy2025-2pct-nikkei"
    assert [h["type"] for h in doc["history"]] == [
        "ClaimRecorded", "ClaimRecorded", "ClaimSuperseded",
    ]  # fmt: skip
    # recording the same id again, with other content, is refused: a claim is never edited
    edited = tmp_path / "edited.jsonl"
    line = next(row for row in scenario_text().splitlines() if '"claim_id": "us-ask-3p5pct"' in row)
    edited.write_text(line.replace('"value": "3.5"', '"value": "3"') + "\n", encoding="utf-8")
    refused = ledger("import", str(edited))
    assert refused.exit_code == 2
    assert "claim us-ask-3p5pct is already recorded (a claim is never edited" in refused.output


# -- claim files -------------------------------------------------------------------------------

TOML = """\
# claims of one article
[[claim]]
claim_id = "toml-1"
claimant = "Minister"
publication = "Paper: FY2025"
url = "https://example.org/fy2025"
published = 2025-04-16
quote = "約9.9兆円"
language = "ja"
translation = "about 9.9 trillion yen"
fiscal_year = 2025
metric = "amount"
comparison = "about"
value = "9.9"
scale = 12
definition = "jp-defense-related"
stages = ["initial"]
reason = "recorded from the paper"

[[claim]]
claim_id = "toml-2"
claimant = "Minister"
publication = "Paper: FY2025"
published = "2025-04"
quote = "2.0%"
fiscal_year = 2025
metric = "share-of-gdp"
value = "2.0"
"""
CSV = (
    "claim_id,claimant,publication,url,published,quote,fiscal_year,metric,comparison,value,"
    "value_high,stages,definition\n"
    "csv-1,X,Paper: a,https://example.org/a,2025-11-29,1.9–2.0 %,2025,share-of-gdp,between,"
    "1.9,2.0,initial;supplementary,jp-defense-related@2\n"
)


def test_import__toml_claims_checked_idempotent(ledger: Run, tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(TOML, encoding="utf-8")
    first = ledger("import", str(path))
    assert first.exit_code == 0, first.output
    assert "claims: 2 rows, added 2 events" in first.stderr
    assert (
        "claims: 2 rows, added 0 events, 2 already recorded" in ledger("import", str(path)).stderr
    )
    got = verdicts(ledger, "--claim", "toml-1", "--claim", "toml-2")
    assert got["toml-1"] == ("holds", ())
    assert got["toml-2"][0] == "depends-on-definition"  # 2.0 at 1 dp: @2 and @3 only
    assert ("jp-defense-related@2", "holds") in got["toml-2"][1]
    assert ("jp-defense-related@1", "does-not-hold") in got["toml-2"][1]
    shown = as_json(ledger("claims", "show", "toml-1", "--format", "json"))
    assert shown["history"][0]["reason"] == "recorded from the paper"
    assert shown["history"][0]["source"]["url"] == "https://example.org/fy2025"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TOML.replace('value = "9.9"', "value = 9.9"), "line 2: value: 9.9 is a TOML float"),
        (TOML.replace("scale = 12", "scale = 12\nunit = 1"), "line 2: unknown key unit"),
        (TOML.replace('quote = "2.0%"', ""), "line 20: quote: Field required"),
        (TOML + "[other]\nx = 1\n", "a claims file holds [[claim]] tables only, not other"),
        (
            TOML.replace("published = 2025-04-16", "published = 2025-04-16T10:00:00"),
            "line 2: published: give a date",
        ),  # fmt: skip
        (
            CSV.replace("1.9,2.0,", "2.0,1.9,"),
            "line 2: ClaimRecorded: value_high must be greater than value",
        ),
        (CSV.replace(",2025-11-29,", ",2025-11-31,"), "line 2: published: publication date"),
        (CSV.replace("claimant", "claimer"), "line 1: unknown column claimer"),
    ],
)
def test_import__bad_claim_files_name_the_line_and_write_nothing(
    ledger: Run, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / ("claims.csv" if text.startswith("claim_id") else "claims.toml")
    path.write_text(text, encoding="utf-8")
    before = head(ledger)
    result = ledger("import", str(path))
    assert result.exit_code == 2
    assert message in result.output, result.output
    assert head(ledger) == before


def test_import__csv_claims(ledger: Run, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(CSV, encoding="utf-8")
    result = ledger("import", str(path))
    assert result.exit_code == 0, result.output
    assert verdicts(ledger, "--claim", "csv-1")["csv-1"] == ("holds", ())  # 1.97 → 2.0


def test_totals__claims_lists_the_claims_about_each_row(ledger: Run) -> None:
    doc = as_json(ledger("totals", "--fy", "FY2024", "--definition", "jp-defense-related",
                         "--tier", "all", "--claims", "--format", "json"))  # fmt: skip
    (row,) = doc["totals"]
    assert row["claims"] == (
        "jp-fy2024-share-japantimes: consistent by construction; "
        "jp-fy2024-amount-japantimes: consistent by construction"
    )


# -- ClaimReview -------------------------------------------------------------------------------

DATE = r"\d{4}(-\d{2}(-\d{2})?)?"


def assert_claim_review(review: dict[str, Any]) -> None:
    """The shape schema.org and fact-check consumers require of a ClaimReview."""
    import re

    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    assert isinstance(review["url"], str) and ":" in review["url"]
    assert re.fullmatch(DATE, review["datePublished"])
    assert isinstance(review["claimReviewed"], str) and review["claimReviewed"].strip()
    author = review["author"]
    assert author["@type"] in ("Organization", "Person") and author["name"].strip()
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating"
    assert isinstance(rating["ratingValue"], int)
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert isinstance(rating["alternateName"], str) and rating["alternateName"].strip()
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"]["@type"] in ("Organization", "Person") and item["author"]["name"]
    assert re.fullmatch(DATE, item["datePublished"])
    appearance = item["appearance"]
    assert appearance["@type"] == "CreativeWork"
    assert appearance["headline"] and appearance["url"].startswith(("http://", "https://"))
    assert isinstance(review["reviewBody"], str) and review["reviewBody"].strip()


def test_claimreview__every_claim_has_the_schema_org_shape(ledger: Run, tmp_path: Path) -> None:
    out = tmp_path / "reviews.jsonld"
    result = ledger("claims", "export", "-o", str(out), "--reviewer", "Fact desk",
                    "--review-url", "https://facts.example/claims/{id}")  # fmt: skip
    assert result.exit_code == 0, result.output
    reviews = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(reviews, list) and len(reviews) == 14
    for review in reviews:
        assert_claim_review(review)
    by_url = {r["url"]: r for r in reviews}
    circular = by_url["https://facts.example/claims/jp-fy2024-share-japantimes"]
    assert circular["reviewRating"]["ratingValue"] == 3
    assert circular["reviewRating"]["alternateName"].startswith("Consistent by construction")
    assert "seq 65" in circular["reviewBody"]
    assert (
        by_url["https://facts.example/claims/jp-fy2025-2pct-nikkei"]["reviewRating"][
            "alternateName"
        ]
        == "Holds"
    )
    assert circular["author"]["name"] == "Fact desk"


def test_claimreview__one_claim_is_one_object_a_japanese_quote_translated(ledger: Run) -> None:
    review = as_json(ledger("claims", "export", "jp-fy2025-total-mof"))
    assert_claim_review(review)
    assert review["claimReviewed"] == "about 10 trillion yen"
    assert (review["itemReviewed"]["text"], review["itemReviewed"]["inLanguage"]) == (
        "10兆円程度", "ja",
    )  # fmt: skip
    assert review["url"].startswith("urn:defledger:") and review["url"].endswith(
        ":claim:jp-fy2025-total-mof"
    )


# -- export bundles, copies --------------------------------------------------------------------


def _claims_csv(bundle: Path) -> list[dict[str, str]]:
    text = (bundle / "claims.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_export__claims_csv_rechecked_offline_and_tampering_found(
    ledger: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert ledger("export", "-o", "bundle").exit_code == 0
    bundle = tmp_path / "bundle"
    rows = _claims_csv(bundle)
    circular = next(r for r in rows if r["claim_id"] == "jp-fy2024-share-japantimes")
    assert (circular["verdict"], circular["derived_from_claim_seqs"]) == (
        "consistent-by-construction", "65",
    )  # fmt: skip
    assert circular["ledger_value"].startswith("1.58928571428571428571")
    assert ledger("verify-export", "bundle").exit_code == 0
    # a verdict edited, SHA256SUMS rewritten to match: the offline re-check finds it
    path = bundle / "claims.csv"
    data = path.read_bytes().replace(b",consistent-by-construction,", b",holds,", 1)
    path.write_bytes(data)
    sums = (bundle / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    digest = hashlib.sha256(data).hexdigest()
    fixed = [f"{digest}  claims.csv" if s.endswith(" claims.csv") else s for s in sums]
    (bundle / "SHA256SUMS").write_text("\n".join(fixed) + "\n", encoding="utf-8")
    result = ledger("verify-export", "bundle", "--format", "json")
    assert result.exit_code == 3
    messages = [p["message"] for p in json.loads(result.stdout)["problems"]]
    assert any(
        m.startswith("claims.csv row ")
        and "jp-fy2024-share-japantimes jp-defense-related@1: claim_verdict is 'holds', the "
        "events give 'consistent-by-construction'"
        in m
        for m in messages
    ), messages


def test_export__round_trip_gives_the_same_claims(ledger: Run, tmp_path: Path) -> None:
    """Exported, and logged then imported into a fresh ledger: the same claims, the same
    checks, row for row with the bundle's claims.csv."""
    assert ledger("claims", "withdraw", "seed-fy2025-total", "--reason", "test").exit_code == 0
    bundle = tmp_path / "b"
    assert ledger("export", "-o", str(bundle), "--root", str(tmp_path)).exit_code == 0
    assert ledger("verify-export", str(bundle)).exit_code == 0
    log = tmp_path / "log.jsonl"
    assert ledger("log", "--format", "jsonl", "-o", str(log)).exit_code == 0
    fresh = runner_for(tmp_path / "fresh.db")
    imported = fresh("import", str(log))
    assert imported.exit_code == 0, imported.output
    original = as_json(ledger("claims", "check", "--all", "--format", "json"))["claims"]
    again = as_json(fresh("claims", "check", "--all", "--format", "json"))["claims"]
    assert again == original
    rows = _claims_csv(bundle)
    assert {r["claim_id"] for r in rows} == {c["claim_id"] for c in original}
    assert {r["status"] for r in rows if r["claim_id"] == "seed-fy2025-total"} == {"withdrawn"}
    assert {(r["claim_id"], r["measured_by"], r["verdict"]) for r in rows} == {
        (c["claim_id"], o["definition"], o["verdict"]) for c in original for o in c["outcomes"]
    }


@pytest.mark.pg
def test_copy__claims_survive_a_copy_to_postgresql(seeded_file: Path, tmp_path: Path,
                                                     pg_url: str) -> None:  # fmt: skip
    path, source = copy_of(seeded_file, tmp_path)
    assert source("claims", "withdraw", "seed-fy2025-total", "--reason", "test").exit_code == 0
    copied = source("copy", "--to", pg_url)
    assert copied.exit_code == 0, copied.output
    target = runner_for(pg_url)
    for args in (("--all",), ("--as-of", "125"), ("--since", "130")):
        a = as_json(source("claims", "check", "--format", "json", *args))
        b = as_json(target("claims", "check", "--format", "json", *args))
        assert a.get("claims", a.get("changes")) == b.get("claims", b.get("changes"))
    assert (
        target("claims", "show", "seed-fy2025-total").stdout
        == source("claims", "show", "seed-fy2025-total").stdout
    )


def test_claims_check_html__circular_figures_said_first_in_words_and_escaped(
    ledger: Run, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        CSV.replace("1.9–2.0 %", '"<script>alert(1)</script> & 2 %"').replace("csv-1", "csv-x"),
        encoding="utf-8",
    )
    assert ledger("import", str(hostile)).exit_code == 0
    out = tmp_path / "claims.html"
    result = ledger("claims", "check", "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    first = page.index("Read first: consistent by construction, not confirmed")
    assert first < page.index("<table>")
    read_first = page[first : page.index("</section>")]
    assert "JP FY2024 share-of-gdp “1.6%”" in read_first
    assert "JP FY2024 amount “¥8.9T”" in read_first
    row = page[page.index('<tr id="jp-fy2024-share-japantimes">') :].split("</tr>")[0]
    assert ">consistent by construction</span>" in row and "rests on seq 65" in row
    assert "✓" not in page and "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 2 %" in page
    since = ledger("claims", "check", "--since", "130", "--format", "html")
    assert since.exit_code == 2 and "leave out --since" in since.output
