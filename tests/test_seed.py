"""The Japan seed scenario (ledger/demo/seed/japan.jsonl): imports through the real CLI, verifies,
is idempotent, cites a source for everything, and reproduces the published ratios by hand.

The figures are summed here from the file's own events, independently of the projections, so
the scenario is checked even where ``totals`` would be the thing under test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from events import parse_event
from ledger.demo.seed import SCENARIO_ACTOR, scenario_text
from ledger.storage.store import EventStore

PRIMER_CODES = (
    "JP.CORE.DBP", "JP.CORE.SACO", "JP.CORE.USFJ",
    "JP.REL.JCG", "JP.REL.PKO", "JP.REL.RND", "JP.REL.INFRA", "JP.REL.CYBER", "JP.REL.INTL",
    "JP.CAND.SPACE", "JP.CAND.ENERGY", "JP.CAND.CI_TRANS", "JP.CAND.CI_COMMS", "JP.CAND.SHIP",
    "JP.CAND.DISASTER", "JP.CAND.POLICE_TECH",
    "JP.NATO.PENSIONS",
)  # fmt: skip
CANDIDATES = tuple(code for code in PRIMER_CODES if code.startswith("JP.CAND."))
GDP_560 = Decimal("560000000000000")
TN = Decimal(10**12)

# The events whose figure or share is illustrative, not published (and only these).
HYPOTHETICAL = {
    ("BudgetLineRecorded", "line/JP/FY2024/REL-ALL"),
    ("CategoryIncluded", "nato@1/JP.REL.JCG"),
    ("CategoryIncluded", "nato@1/JP.REL.JCG_PKO"),
    ("TargetSet", "us-ask-3p5pct"),
    ("ExchangeRateRecorded", "USD-JPY/FY2025"),
}


def _identity(event: dict[str, Any]) -> tuple[str, str]:
    match event["type"]:
        case "BudgetLineRecorded":
            return event["type"], f"line/JP/FY{event['fiscal_year']}/{event['line_id']}"
        case "CategoryIncluded":
            key = f"{event['definition']}@{event['version']}/{event['category']}"
            return event["type"], key
        case "TargetSet":
            return event["type"], event["target_id"]
        case "ExchangeRateRecorded":
            return event["type"], f"{event['base']}-{event['quote']}/FY{event['fiscal_year']}"
    return event["type"], ""


def _file_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in scenario_text().splitlines() if line.strip()]


@dataclass
class Ledger:
    """A ledger built from the scenario once for the module, and a CLI bound to it."""

    path: Path
    runner: CliRunner = field(default_factory=CliRunner)

    def run(self, *args: str) -> Any:
        from cli.app import cli as app

        return self.runner.invoke(app, ["--db", str(self.path), *args], catch_exceptions=False)

    def log(self, *types: str) -> list[dict[str, Any]]:
        args = [arg for t in types for arg in ("--type", t)]
        result = self.run("log", *args, "--format", "jsonl")
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "japan.jsonl"
    path.write_text(scenario_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, seed_file: Path) -> Iterator[Ledger]:
    ledger = Ledger(tmp_path_factory.mktemp("ledger") / "seed.db")
    result = ledger.run("import", str(seed_file))
    assert result.exit_code == 0, result.output
    yield ledger


def _stored(ledger: Ledger) -> list[Any]:
    with EventStore.open(str(ledger.path)) as store:
        return list(store.read())


# -- the file as package data ----------------------------------------------------------------


def test_scenario_text__is_the_shipped_file() -> None:
    shipped = Path(__file__).parent.parent / "ledger" / "demo" / "seed" / "japan.jsonl"
    assert scenario_text() == shipped.read_text(encoding="utf-8")
    provenance = ("actor", "reason", "source")
    for event in _file_events():
        parse_event({k: v for k, v in event.items() if k not in provenance})


# -- import, verify, idempotence, order ------------------------------------------------------


def test_seed_import__adds_every_event_and_verifies(seeded: Ledger) -> None:
    assert len(_stored(seeded)) == len(_file_events())
    result = seeded.run("verify")
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


def test_seed_import__twice_adds_nothing(seeded: Ledger, seed_file: Path) -> None:
    before = len(_stored(seeded))
    result = seeded.run("import", str(seed_file))
    assert result.exit_code == 0, result.output
    assert "added 0 events" in result.output
    assert len(_stored(seeded)) == before


def test_seed_import__keeps_the_file_order(seeded: Ledger) -> None:
    """seq order is file order across streams (v1 is superseded only after v2 is adopted)."""
    stored = [(e.type, e.payload) for e in _stored(seeded)]
    expected = [
        (e["type"], {k: v for k, v in e.items() if k not in ("type", "actor", "reason", "source")})
        for e in _file_events()
    ]
    assert [t for t, _ in stored] == [t for t, _ in expected]
    for (_, payload), (_, fields) in zip(stored, expected, strict=True):
        assert {k: payload.get(k) for k in fields} == fields


def test_seed_import__dry_run_on_a_fresh_ledger_adds_nothing(
    tmp_path: Path, seed_file: Path
) -> None:
    ledger = Ledger(tmp_path / "dry.db")
    result = ledger.run("import", "--dry-run", str(seed_file))
    assert result.exit_code == 0, result.output
    assert f"would add {len(_file_events())} events" in result.output


# -- provenance --------------------------------------------------------------------------------


def test_seed_events__every_event_cites_title_and_url(seeded: Ledger) -> None:
    for event in _stored(seeded):
        source = event.source or {}
        assert source.get("title", "").strip(), event.seq
        assert str(source.get("url") or "").startswith(("http://", "https://")), event.seq
        assert event.actor == SCENARIO_ACTOR
        assert (event.reason or "").strip(), event.seq


def test_seed_events__no_figure_lacks_a_source(seeded: Ledger) -> None:
    figures = ("amount", "rate", "percent_of_gdp", "share")
    with_figures = [e for e in _stored(seeded) if any(k in e.payload for k in figures)]
    assert len(with_figures) > 40
    for event in with_figures:
        assert event.source and event.source["title"] and event.source["url"], event.seq


def test_seed_events__hypothetical_figures_are_marked_and_only_those(seeded: Ledger) -> None:
    marked = set()
    for event in _stored(seeded):
        identity = _identity({"type": event.type, **event.payload})
        if (event.source or {}).get("hypothetical"):
            marked.add(identity)
            assert "hypothetical" in (event.reason or "").lower(), event.seq
    assert marked == HYPOTHETICAL


def test_seed_events__shares_other_than_one_are_hypothetical(seeded: Ledger) -> None:
    for event in seeded.log("CategoryIncluded"):
        if Decimal(event["share"]) != 1:
            assert event["source"]["hypothetical"] is True
            assert "ASSUMPTION" in event["note"]


# -- taxonomy, definitions, targets, GDP ------------------------------------------------------


def test_seed_categories__every_primer_code_is_defined_under_a_root(seeded: Ledger) -> None:
    defined = {e["code"]: e for e in seeded.log("CategoryDefined")}
    for code in PRIMER_CODES:
        assert code in defined, code
        parent = defined[code]["parent"]
        assert parent == code.rsplit(".", 1)[0] and defined[parent]["parent"] is None


def test_seed_definitions__versions_and_statuses(seeded: Ledger) -> None:
    opened = {(e["definition"], e["version"]): e for e in seeded.log("DefinitionVersionOpened")}
    assert opened[("jp-defense-related", 2)]["based_on"] == 1
    assert opened[("jp-defense-related", 3)]["based_on"] == 2
    assert set(opened) == {
        ("jp-mod-core", 1),
        ("jp-defense-related", 1),
        ("jp-defense-related", 2),
        ("jp-defense-related", 3),
        ("nato", 1),
    }
    status: dict[tuple[str, int], tuple[str, int | None]] = {}
    for e in seeded.log("DefinitionStatusChanged"):
        key = (e["definition"], e["version"])
        status[key] = (e["status"], e["effective_from"] or (status.get(key) or ("", None))[1])
    assert status == {
        ("jp-mod-core", 1): ("adopted", 2022),
        ("jp-defense-related", 1): ("superseded", 2023),
        ("jp-defense-related", 2): ("adopted", 2025),
        ("jp-defense-related", 3): ("proposed", None),
        ("nato", 1): ("adopted", 2022),
    }


def test_seed_definitions__stages_and_gdp_basis(seeded: Ledger) -> None:
    stages = {(e["definition"], e["version"]): e["stages"] for e in seeded.log("StagesSet")}
    assert stages[("jp-defense-related", 1)] == ["initial"]
    assert stages[("jp-defense-related", 2)] == ["initial", "supplementary"]
    assert ("jp-defense-related", 3) not in stages  # inherited from v2
    bases = {(e["definition"], e["version"]): e for e in seeded.log("GdpBasisSet")}
    nss = bases[("jp-defense-related", 1)]
    assert (nss["basis"], nss["fiscal_year"], nss["vintage"]) == (
        "fixed-year",
        2022,
        "2022-12-estimate",
    )
    assert bases[("nato", 1)]["basis"] == "same-year"


def test_seed_definitions__v3_adds_exactly_the_candidates(seeded: Ledger) -> None:
    included = [
        e["category"]
        for e in seeded.log("CategoryIncluded")
        if (e["definition"], e["version"]) == ("jp-defense-related", 3)
    ]
    assert sorted(included) == sorted(CANDIDATES)


def test_seed_targets__history_reset_and_comparators(seeded: Ledger) -> None:
    targets: dict[str, list[dict[str, Any]]] = {}
    for e in seeded.log("TargetSet"):
        targets.setdefault(e["target_id"], []).append(e)
    assert [(t["percent_of_gdp"], t["by_fiscal_year"]) for t in targets["nss-2pct"]] == [
        ("2", 2027),
        ("2", 2025),
    ]
    (cap,) = targets["miki-1pct-cap"]
    assert (cap["kind"], cap["percent_of_gdp"], cap["by_fiscal_year"]) == ("cap", "1", 1976)
    assert "GNP" in cap["description"]
    (ask,) = targets["us-ask-3p5pct"]
    assert ask["definition"] is None and ask["percent_of_gdp"] == "3.5"
    nato = {
        t["tier"]: t["percent_of_gdp"] for k in targets if k.startswith("nato-") for t in targets[k]
    }
    assert nato == {"core": "3.5", "related": "1.5"}


def test_seed_gdp__fy2022_in_two_vintages(seeded: Ledger) -> None:
    gdp = {(e["fiscal_year"], e["vintage"]): e["amount"] for e in seeded.log("GdpRecorded")}
    assert gdp == {
        (2022, "2022-12-estimate"): "560000000000000",
        (2022, "esri-2022-annual-report"): "566500000000000",
    }


# -- the published ratios, by hand -------------------------------------------------------------


def _definitions(events: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """A minimal fold: a version starts as a copy of its based_on version."""
    versions: dict[tuple[str, int], dict[str, Any]] = {}
    for e in events:
        if e["type"] == "DefinitionVersionOpened":
            base = versions.get((e["definition"], e.get("based_on") or 0))
            versions[(e["definition"], e["version"])] = {
                "shares": dict(base["shares"]) if base else {},
                "stages": list(base["stages"]) if base else ["initial"],
            }
        elif e["type"] == "CategoryIncluded":
            shares = versions[(e["definition"], e["version"])]["shares"]
            shares[e["category"]] = Decimal(str(e.get("share", "1")))
        elif e["type"] == "StagesSet":
            versions[(e["definition"], e["version"])]["stages"] = e["stages"]
    return versions


def _total(events: list[dict[str, Any]], definition: str, version: int, year: int) -> Decimal:
    state = _definitions(events)[(definition, version)]
    return sum(
        (
            Decimal(e["amount"]) * state["shares"][e["category"]]
            for e in events
            if e["type"] == "BudgetLineRecorded"
            and e["fiscal_year"] == year
            and e["stage"] in state["stages"]
            and e["category"] in state["shares"]
        ),
        Decimal(0),
    )


def _percent(total: Decimal, gdp: Decimal = GDP_560) -> Decimal:
    return total * 100 / gdp


def _display(percent: Decimal) -> str:
    return str(percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    ("definition", "version", "year", "total", "shown"),
    [
        ("jp-defense-related", 1, 2024, "8.9", "1.6"),  # FY2024: ¥8.9 tn, 1.6% [S9]
        ("jp-defense-related", 1, 2025, "9.9005", "1.8"),  # FY2025 initial: ~¥9.9 tn, 1.8% [S8]
        ("jp-defense-related", 2, 2025, "11.0477", "2.0"),  # with supplementary: "2%" [S10][S11]
        ("jp-defense-related", 3, 2025, "11.3677", "2.0"),  # + space and shipbuilding funds
        ("jp-mod-core", 1, 2025, "8.7005", "1.6"),  # the "¥8.7 trillion" headline [S33]
    ],
)
def test_seed_figures__published_ratios_reproduce_by_hand(
    definition: str, version: int, year: int, total: str, shown: str
) -> None:
    events = _file_events()
    counted = _total(events, definition, version, year)
    assert counted == Decimal(total) * TN
    assert _display(_percent(counted)) == shown


def test_seed_figures__supplementary_is_the_v1_to_v2_difference() -> None:
    events = _file_events()
    v1 = _total(events, "jp-defense-related", 1, 2025)
    v2 = _total(events, "jp-defense-related", 2, 2025)
    assert v2 - v1 == Decimal("1147.2") * 10**9  # ¥847.2 bn MoD + ~¥200 bn JCG/PKO + ~¥100 bn cyber
    assert _percent(v2) == Decimal("11.0477") * TN * 100 / GDP_560
    assert Decimal("1.97") < _percent(v2) < Decimal("1.98")


def test_seed_figures__candidates_without_a_source_have_no_line() -> None:
    lines = [e for e in _file_events() if e["type"] == "BudgetLineRecorded"]
    with_figure = {e["category"] for e in lines if e["category"].startswith("JP.CAND.")}
    assert with_figure == {"JP.CAND.SPACE", "JP.CAND.SHIP"}
    amounts = {e["category"]: e["amount"] for e in lines if e["category"] in with_figure}
    assert amounts == {"JP.CAND.SPACE": "200000000000", "JP.CAND.SHIP": "120000000000"}


def test_seed_figures__nato_comparator_counts_pensions_and_half_the_coast_guard() -> None:
    events = _file_events()
    counted = _total(events, "nato", 1, 2022)
    assert counted == Decimal("5.4") * TN + Decimal("110") * 10**9 + Decimal("220") * 10**9 / 2


def test_scenario_md__lists_every_budget_line_with_its_amount() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "scenario.md").read_text(encoding="utf-8")
    rows = [row for row in doc.splitlines() if row.startswith("| FY")]
    for e in _file_events():
        if e["type"] != "BudgetLineRecorded":
            continue
        cells = (f"FY{e['fiscal_year']}", e["stage"], f"`{e['line_id']}`", f"{int(e['amount']):,}")
        assert any(all(f"| {cell} |" in row for cell in cells) for row in rows), cells
        hypothetical = e["source"].get("hypothetical", False)
        row = next(r for r in rows if all(f"| {cell} |" in r for cell in cells))
        assert row.rstrip().endswith("**yes** |" if hypothetical else "no |"), row
