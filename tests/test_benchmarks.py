"""``benchmarks/run.py --quick`` runs end to end and writes every section of its results.

No timing is asserted: only that each variant ran each phase and reported its figures, that
the three variants replayed the same sums, and that the summary and goals are there.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the benchmark harness

ROOT = Path(__file__).resolve().parent.parent
HAS_PEER = importlib.util.find_spec("eventsourcing") is not None


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--sizes", "1000"]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "| append ev/s |" in done.stdout
    return json.loads(out.read_text())


def test_benchmarks_quick__writes_meta_and_help(results: dict) -> None:
    meta = results["meta"]
    assert meta["sizes"] == [1000] and meta["reps"] == 1
    assert meta["machine"]["sqlite"] and meta["payload_bytes"] > 300
    assert results["help_s"] > 0


def test_benchmarks_quick__every_variant_reports_every_phase(results: dict) -> None:
    size = results["sizes"]["1000"]
    variants = size["summary"]["variants"]
    expected = {
        "raw": ["append_eps", "replay_eps", "verify_eps", "get_us", "command_us"],
        "ours": [
            "append_eps", "replay_eps", "replay_envelopes_eps", "verify_eps", "get_us",
            "command_us", "record_us", "db_bytes_per_event", "append_rss_mb", "replay_rss_mb",
            "verify_rss_mb", "synchronous",
        ],
    }  # fmt: skip
    if HAS_PEER:
        expected["es"] = ["append_eps", "replay_eps", "get_us", "command_us", "synchronous"]
    for variant, metrics in expected.items():
        missing = [m for m in metrics if variants[variant].get(m) is None]
        assert not missing, (variant, missing, [r.get("errors") for r in size["runs"]])
        if "synchronous" in metrics:
            assert variants[variant]["synchronous"] == 2  # FULL on every side
    assert not [r["errors"] for r in size["runs"] if r.get("errors")]


def test_benchmarks_quick__variants_replay_the_same_sums(results: dict) -> None:
    runs = results["sizes"]["1000"]["runs"]
    assert len({run["checksum"] for run in runs}) == 1
    assert {run["variant"] for run in runs} >= {"raw", "ours"}


def test_benchmarks_quick__ratios_and_goals(results: dict) -> None:
    summary = results["sizes"]["1000"]["summary"]
    assert summary["ratios"]["append_vs_raw"] > 0
    assert summary["ratios"]["verify_vs_raw"] > 0
    if HAS_PEER:
        assert summary["ratios"]["append_vs_es"] > 0 and summary["ratios"]["replay_vs_es"] > 0
    goals = {goal["goal"]: goal for goal in results["goals"]["1000"]}
    append = "import (SQLite) ≥ 1.25× eventsourcing append"
    assert append in goals and "verify ≥ 250k events/s" in goals
    assert goals["verify ≥ 250k events/s"]["figure"] is not None
    assert goals["verify ≥ 250k events/s"]["source"] == "hold"
    assert goals[append]["source"] == "goal"
    assert goals["get ≤ 0.3× eventsourcing"]["source"] == "reference"
    for goal in goals.values():  # met or missed, with the margin that says by how much
        if goal["figure"] is not None:
            assert goal["met"] is (goal["margin"] >= 0), goal


def test_benchmarks_quick__optional_sections_run_when_their_modules_exist(results: dict) -> None:
    ours = results["sizes"]["1000"]["summary"]["variants"]["ours"]
    if importlib.util.find_spec("ledger.projections.persisted") and importlib.util.find_spec(
        "ledger.queries.totals"
    ):
        assert (
            ours["build_eps"] and ours["totals_ms"] is not None and ours["catchup_ms"] is not None
        )
    if importlib.util.find_spec("ledger.exports.write"):
        assert ours["export_eps"] and ours["export_rss_mb"]
