"""``defledger demo``: builds the Japan scenario through ``import``, verifies it, checks the
published claims the scenario records (``claims check``: a changed figure turns "holds" into
"does not hold"), says first which of them it reproduces only by construction, flags what
rests on hypothetical figures, fits a terminal, and is idempotent. (The scenario's own
provenance — every event sourced, every amount sourced — is tested in tests/test_seed.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ledger.demo.run import DEFAULT_DB
from ledger.demo.seed import scenario_text
from ledger.storage.store import EventStore

SCENARIO_EVENTS = sum(1 for line in scenario_text().splitlines() if line.strip())
SCENARIO_CLAIMS = sum(1 for line in scenario_text().splitlines() if "ClaimRecorded" in line)
# (verdict group the line starts with, what the line must say), as claims check computes it
CHECKS = (
    ("consistent by construction:", "FY2024 1.6% (1.589286%), ¥8.9T (¥8.9T) · Japan Times"),
    ("holds:", "FY2025 initial about 1.8% (1.767946%), about ¥9.9T (¥9.9005T) · Yomiuri"),
    ("holds:", "2% (1.972804%)"),
    ("does not hold under any definition:", "FY2025 core initial ¥8.5T (¥8.7005T to ¥9.0505T)"),
    ("undetermined:", "FY2021 about 1.24% (no budget lines recorded for JP FY2021)"),
)
VERDICTS = {
    "jp-fy2021-nato-jiji": "undetermined",
    "jp-fy2024-share-japantimes": "consistent-by-construction",
    "jp-fy2024-amount-japantimes": "consistent-by-construction",
    "jp-fy2025-share-same-year-jiji": "undetermined",
    "jp-fy2025-share-yomiuri": "holds",
    "jp-fy2025-amount-yomiuri": "holds",
    "seed-fy2025-defense": "does-not-hold",
    "seed-fy2025-related": "does-not-hold",
    "seed-fy2025-total": "does-not-hold",
    "us-ask-3p5pct": "does-not-hold",
    "jp-fy2025-2pct-nikkei": "holds",
    "jp-fy2025-total-nikkei": "holds",
    "jp-fy2025-supplementary-nikkei": "holds",
    "jp-fy2025-total-mof": "holds",
}


def _section(output: str, verdict: str) -> str:
    """The (unwrapped) line of the claims section that starts with ``verdict``."""
    text = output.split("Published claims, checked")[1].split("\n\n")[0]
    joined = " ".join(line.strip() for line in text.splitlines())
    start = joined.index(f" {verdict}") + 1
    ends = [joined.find(f" {v}", start + 1) for v in ("holds:", "does not hold", "undetermined:")]
    end = min([e for e in ends if e > start], default=len(joined))
    return joined[start:end]


def _events(path: Path) -> int:
    with EventStore.open(str(path)) as store:
        return sum(1 for _ in store.read())


def _no_floats(value: Any) -> None:
    assert not isinstance(value, float), value
    if isinstance(value, dict):
        for item in value.values():
            _no_floats(item)
    elif isinstance(value, list):
        for item in value:
            _no_floats(item)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result, dict[str, Any]]:
    """One demo ledger for the module: the text run, then the JSON run on the same file."""
    from cli.app import cli as app

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    runner = CliRunner()
    text = runner.invoke(app, ["demo", "--db", str(path)], catch_exceptions=False)
    doc = runner.invoke(app, ["demo", "--db", str(path), "--format", "json"])
    assert doc.exit_code == 0, doc.output
    return path, text, json.loads(doc.stdout, parse_float=lambda s: pytest.fail(f"float {s}"))


def test_demo__fresh_db_builds_verifies_and_checks_the_published_claims(
    built: tuple[Path, Result, dict[str, Any]],
) -> None:
    path, result, _ = built
    assert result.exit_code == 0, result.output
    assert f"{SCENARIO_EVENTS} added (seq 1..{SCENARIO_EVENTS})" in result.output
    assert "chain verified ✓" in result.output
    for verdict, says in CHECKS:
        assert says in _section(result.output, verdict), (verdict, says)
    assert "✓ FY" not in result.output  # no tick a reader could take for a confirmation
    assert _events(path) == SCENARIO_EVENTS


def test_demo__says_first_which_published_figures_are_consistent_by_construction(
    built: tuple[Path, Result, dict[str, Any]],
) -> None:
    """The circular FY2024 check is said before any figure, in words, and is not a "holds"."""
    _, result, doc = built
    before_figures = result.output.split("Definitions:")[0]
    flat = " ".join(before_figures.split())
    assert "Read first: FY2024's published 1.6% and ¥8.9T are consistent by construction" in flat
    assert "seq 65, an assumption, was derived from them (Japan Times 2024-04-29)" in flat
    assert doc["claims"]["consistent_by_construction"] == [
        "jp-fy2024-share-japantimes",
        "jp-fy2024-amount-japantimes",
    ]
    assert doc["claims"]["derived_seqs"] == [65]
    assert "1.6%" not in _section(result.output, "holds:")


def test_demo__twice_on_the_same_db_adds_nothing(
    built: tuple[Path, Result, dict[str, Any]], runner: CliRunner
) -> None:
    from cli.app import cli as app

    path, _, doc = built  # the JSON run was already the second run
    assert (doc["ledger"]["added"], doc["ledger"]["already_recorded"]) == (0, SCENARIO_EVENTS)
    again = runner.invoke(app, ["demo", "--db", str(path)], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert f"nothing added, {SCENARIO_EVENTS} already recorded" in again.output
    assert _events(path) == SCENARIO_EVENTS


def test_demo__fits_sixty_lines_of_a_100_column_terminal(
    built: tuple[Path, Result, dict[str, Any]],
) -> None:
    lines = built[1].output.splitlines()
    assert len(lines) <= 60
    assert max(len(line) for line in lines) <= 100


def test_demo_json__same_content_no_floats_decimals_as_strings(
    built: tuple[Path, Result, dict[str, Any]],
) -> None:
    _, result, doc = built
    _no_floats(doc)
    assert (doc["report"], doc["schema_version"]) == ("demo", 1)
    assert {c["claim_id"]: c["verdict"] for c in doc["claims"]["items"]} == VERDICTS
    assert len(VERDICTS) == SCENARIO_CLAIMS
    fy2025 = next(c for c in doc["claims"]["items"] if c["claim_id"] == "jp-fy2025-2pct-nikkei")
    (outcome,) = fy2025["outcomes"]
    assert (outcome["definition"], outcome["value"], outcome["value_as_published"]) == (
        "jp-defense-related@2",
        "1.972804",
        "2",
    )
    labels = [d["label"] for d in doc["definitions"]]
    assert labels == [
        "jp-mod-core@1",
        "jp-defense-related@1",
        "jp-defense-related@2",
        "jp-defense-related@3",
        "nato@1",
    ]
    v3 = doc["definitions"][3]
    assert v3["status"] == "proposed" and v3["in_force"] == "never"
    fy2025 = v3["years"][-1]
    assert (fy2025["total"], fy2025["share_of_gdp_pct"]) == ("11367700000000", "2.03")
    assert isinstance(fy2025["gdp"]["amount"], str)
    for d in doc["definitions"]:
        for cell in d["years"]:
            shown = f"{cell['total_tn']} {cell['share_of_gdp_pct'] or 'n/a'}"
            assert shown in result.output, (d["label"], cell["fiscal_year"])
    assert doc["diff"]["summary"] in result.output
    assert doc["next_commands"][0] in result.output


def test_demo__shares_with_different_denominators_are_never_side_by_side_unlabelled(
    built: tuple[Path, Result, dict[str, Any]],
) -> None:
    """Issue 16: the same ¥5.62T is 1.00% of FY2022 GDP ¥560T and 0.99% of the same year's
    GDP ¥566.5T. The table is split by denominator: each block of rows is headed by the GDP
    its shares divide by, and holds only definitions that divide by it."""
    _, text, doc = built
    grid = text.stdout.split("\n\n")[2].splitlines()
    blocks: dict[str, list[str]] = {}
    heading = None
    for line in grid[1:]:
        if line.startswith(" % ÷ "):
            heading = line
            blocks[heading] = []
        elif line.startswith("  ") and not line.startswith("  (…)"):
            assert heading is not None, f"a row before any denominator: {line!r}"
            blocks[heading].append(line.split()[0])
    by_label = {d["label"]: d for d in doc["definitions"]}
    assert sorted(label for rows in blocks.values() for label in rows) == sorted(by_label)
    for heading, labels in blocks.items():
        used = {(c["gdp"]["fiscal_year"], c["gdp"]["seq"]) for label in labels
                for c in by_label[label]["years"] if c["gdp"]}  # fmt: skip
        bases = {by_label[label]["gdp_basis"] for label in labels}
        assert len(bases) == 1, f"{heading}: one basis per block, found {bases}"
        for year, seq in used:
            assert f"seq {seq}" in heading and (f"FY{year}" in heading), heading
    fixed = next(h for h in blocks if "FY2022 GDP ¥560T" in h)
    same = next(h for h in blocks if "same year's GDP" in h)
    assert "jp-defense-related@1" in blocks[fixed] and blocks[same] == ["nato@1"]
    assert "FY2023–FY2025 none" in same, "years with no denominator are said"


def test_demo__says_what_it_cannot_reproduce(built: tuple[Path, Result, dict[str, Any]]) -> None:
    _, result, doc = built
    gap = next(g for g in doc["gaps"] if g["kind"] == "empty-tier" and g["fiscal_years"] == [2023])
    assert gap["tier"] == "related"
    assert gap["definitions"][:3] == [f"jp-defense-related@{v}" for v in (1, 2, 3)]
    assert "FY2023: nothing recorded counts in the related tier" in result.output
    assert any(g["kind"] == "no-gdp" and g["definitions"] == ["nato@1"] for g in doc["gaps"])


def test_demo__flags_every_hypothetical_figure_behind_a_number_shown(
    built: tuple[Path, Result, dict[str, Any]],
) -> None:
    path, result, doc = built
    with EventStore.open(str(path)) as store:
        marked = {e.seq: e for e in store.read() if (e.source or {}).get("hypothetical")}
    flagged = {flag["seq"]: flag for flag in doc["hypothetical"]}
    # the FY2024 related-items estimate and NATO's coast-guard share; the US ask (a target, and
    # the claim whose year is assumed) and the display exchange rate are behind no number shown
    assert {marked[seq].type for seq in flagged} == {"BudgetLineRecorded", "CategoryIncluded"}
    assert {m.type for seq, m in marked.items() if seq not in flagged} == {
        "TargetSet",
        "ExchangeRateRecorded",
        "ClaimRecorded",
    }
    assert flagged[65]["claims"] == ["jp-fy2024-share-japantimes", "jp-fy2024-amount-japantimes"]
    assert (
        "seq 65: FY2024 REL-ALL ¥0.9504T, in jp-defense-related@1, @2, @3 FY2024 (read first)"
        in (result.output)
    )
    for seq in flagged:
        assert f"seq {seq}: " in result.output


def test_demo__checks_are_computed_a_revised_figure_fails_them(
    built: tuple[Path, Result, dict[str, Any]], tmp_path: Path, runner: CliRunner
) -> None:
    from cli.app import cli as app

    path = tmp_path / "revised.db"
    path.write_bytes(built[0].read_bytes())
    revise = [
        "--db", str(path), "record", "revise", "--fy", "FY2025", "--line-id", "MOD-DBP",
        "--amount", "9474800000000", "--reason", "test: a restated figure", "--actor", "tester",
    ]  # fmt: skip
    assert runner.invoke(app, revise).exit_code == 0
    result = runner.invoke(app, ["demo", "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "FY2024 1.6% (1.589286%)" in _section(result.output, "consistent by construction:")
    failed = _section(result.output, "does not hold:")
    assert "FY2025 initial about 1.8% (1.946518%), about ¥9.9T (¥10.9005T) · Yomiuri" in failed
    assert "Yomiuri" not in _section(result.output, "holds:")


def test_demo__default_db_is_a_named_file_in_cwd_never_defledger_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    from cli.app import cli as app

    monkeypatch.chdir(tmp_path)
    working = tmp_path / "working.db"
    monkeypatch.setenv("DEFLEDGER_DB", str(working))
    result = runner.invoke(app, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Ledger {DEFAULT_DB}:" in result.output
    assert (tmp_path / DEFAULT_DB).exists() and not working.exists()
    assert f"export DEFLEDGER_DB={DEFAULT_DB}" in result.output
    chosen = runner.invoke(app, ["--db", "chosen.db", "demo"], catch_exceptions=False)
    assert chosen.exit_code == 0 and (tmp_path / "chosen.db").exists()


def test_published_claims__each_cites_a_dated_source_and_quotes_it(
    built: tuple[Path, Result, dict[str, Any]],
) -> None:
    for claim in built[2]["claims"]["items"]:
        assert claim["publication"].strip() and claim["claimant"].strip() and claim["quote"]
        assert claim["url"].startswith(("https://", "http://"))
        assert len(claim["published"]) == 10 and claim["published"][4] == "-"
        assert claim["language"] == "en" or claim["translation"]


def test_demo__a_ledger_that_does_not_verify_exits_3(
    cli: Callable[..., Result], db_path: Path
) -> None:
    import sqlite3

    assert cli("demo", "--db", str(db_path)).exit_code == 0
    with sqlite3.connect(db_path) as conn:  # a forger who can drop the append-only trigger
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET reason = 'mallory' WHERE seq = 5")
    result = cli("demo", "--db", str(db_path))
    assert result.exit_code == 3
    assert "does not verify: first bad seq 5" in result.output


# -- README.md ------------------------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"
SET_UP = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && defledger demo",
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && "
    "bash scripts/with-postgres.sh python -m pytest -q",
)


def test_readme__two_set_up_commands_the_first_runs_the_demo() -> None:
    import re

    blocks = re.findall(r"```bash\n(.*?)\n```", README.read_text(encoding="utf-8"), re.S)
    assert tuple(blocks) == SET_UP


def test_readme__shows_the_real_demo_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    """The README's ``$ defledger demo`` block is what the demo prints in a fresh directory
    (``python scripts/gen_docs.py`` rewrites it)."""
    import re

    from helpers.doc_console import normal, rerun_page

    from cli.app import cli as app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEFLEDGER_DB", raising=False)

    def run(command: str, info: str) -> str:
        assert command == "defledger demo"
        result = runner.invoke(app, ["demo"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output.rstrip("\n")

    def normalise(text: str) -> str:
        return normal(re.sub(r"head [0-9a-f]{8}…", "head <hash>…", text))

    assert rerun_page(README, run, normalise) == 1
