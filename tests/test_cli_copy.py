"""``defledger copy --to URL``: copy the --db ledger to another database, verified."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from cli.app import cli as app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.jsonl"


def _source(tmp_path: Path) -> Callable[..., Result]:
    source = tmp_path / "source.db"
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["--db", str(source), *args], catch_exceptions=False)

    assert invoke("import", str(EXAMPLE)).exit_code == 0
    return invoke


def test_cli_copy__to_each_backend_then_identical_digest(
    tmp_path: Path, backend_url: str, backend_cli: Callable[..., Result]
) -> None:
    source = _source(tmp_path)
    result = source("copy", "--to", backend_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: copied 7 events to ")
    assert "the target verifies (7 events)" in result.stdout
    assert backend_cli("digest").stdout == source("digest").stdout
    assert backend_cli("verify").exit_code == 0
    assert (
        backend_cli("log", "--format", "jsonl").stdout == source("log", "--format", "jsonl").stdout
    )


def test_cli_copy__json_report(tmp_path: Path, backend_url: str) -> None:
    result = _source(tmp_path)("copy", "--to", backend_url, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    row = report["copy"][0]
    assert report["meta"]["ok"] is True
    assert row["copied"] == 7 and row["verified"] is True and row["identical_head"] is True
    assert row["source_head_hash"] == row["target_head_hash"]
    assert result.stderr.startswith("ok: copied 7 events")


def test_cli_copy__non_empty_target_is_exit_2(tmp_path: Path, backend_url: str) -> None:
    source = _source(tmp_path)
    assert source("copy", "--to", backend_url).exit_code == 0
    again = source("copy", "--to", backend_url)
    assert again.exit_code == 2
    assert again.stderr == (
        "Error: the target already holds 7 events; copy only into an empty ledger "
        "(or --resume an interrupted copy)\n"
    )
    resumed = source("copy", "--to", backend_url, "--resume")
    assert resumed.exit_code == 0
    assert resumed.stdout.startswith("ok: copied 0 events")


def test_cli_copy__missing_source_is_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "none.db"), "copy", "--to", str(tmp_path / "t.db")]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no ledger at ")


def test_cli_copy__tampered_source_is_exit_3(tmp_path: Path) -> None:
    import sqlite3

    source = _source(tmp_path)
    with sqlite3.connect(tmp_path / "source.db") as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET reason = 'rewritten' WHERE seq = 3")
    result = source("copy", "--to", str(tmp_path / "copy.db"))
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: the copy does not verify at seq 3")
