"""Every read command gives the same answer on PostgreSQL as on SQLite: the seed ledger is built
on SQLite, copied byte for byte to PostgreSQL (``copy --to``), and each command's exit code and
output are compared; the compliance export is compared file by file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers.backends import create_pg_database

from cli.app import cli as app

pytestmark = pytest.mark.pg

SEED = Path(__file__).resolve().parent.parent / "ledger" / "demo" / "seed" / "japan.jsonl"
Invoke = Callable[..., Result]

COMMANDS = [
    ("log", "--format", "jsonl"),
    ("log", "--stream", "line/JP/FY2025/*", "--type", "BudgetLineRecorded", "--format", "json"),
    ("show", "5", "--format", "json"),
    ("verify", "--format", "json"),
    ("digest",),
    ("checkpoint",),
    ("totals", "--fy", "FY2025", "--format", "json"),
    ("totals", "--fy", "FY2022..FY2027", "--definition", "jp-defense-related", "--change",
     "--format", "json"),
    ("totals", "--fy", "FY2025", "--as-of", "60", "--format", "json"),
    ("replay", "--fy", "FY2025", "--definition", "jp-defense-related", "--format", "json"),
    ("trace", "--fy", "FY2025", "--definition", "jp-defense-related", "--format", "json"),
    ("explain", "--fy", "FY2025", "--definition", "jp-defense-related", "--format", "json"),
    ("diff", "jp-defense-related@1", "jp-defense-related@2", "--format", "json"),
    ("what-if", "jp-defense-related@2", "--exclude", "JP.CORE.SACO", "--format", "json"),
]  # fmt: skip


def _invoker(db: str) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["--db", db, *args], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def ledgers(
    pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Invoke, Invoke]]:
    """(SQLite, PostgreSQL) holding the same seed ledger, byte for byte."""
    sqlite_db = str(tmp_path_factory.mktemp("parity") / "seed.db")
    on_sqlite = _invoker(sqlite_db)
    imported = on_sqlite("import", str(SEED))
    assert imported.exit_code == 0, imported.stderr
    pg_db, drop = create_pg_database(pg_admin_url)
    try:
        copied = on_sqlite("copy", "--to", pg_db)
        assert copied.exit_code == 0, copied.stderr
        yield on_sqlite, _invoker(pg_db)
    finally:
        drop()


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_parity__same_output_on_both_backends(
    ledgers: tuple[Invoke, Invoke], args: tuple[str, ...]
) -> None:
    on_sqlite, on_pg = ledgers
    expected, actual = on_sqlite(*args), on_pg(*args)
    assert (actual.exit_code, actual.stderr) == (expected.exit_code, expected.stderr)
    assert actual.stdout == expected.stdout
    if args[0] in ("log", "show", "verify", "digest", "checkpoint") or args == COMMANDS[6]:
        assert expected.exit_code == 0, expected.stderr  # the rest may refuse: equally, though


def test_parity__rebuild_matches_on_postgresql(ledgers: tuple[Invoke, Invoke]) -> None:
    _, on_pg = ledgers
    result = on_pg("rebuild")
    assert result.exit_code == 0, result.stderr
    assert "no differences" in result.stdout + result.stderr


def test_parity__export_bundles_are_identical(
    ledgers: tuple[Invoke, Invoke], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_sqlite, on_pg = ledgers
    monkeypatch.chdir(tmp_path)
    for name, invoke in (("from-sqlite", on_sqlite), ("from-pg", on_pg)):
        result = invoke("export", "-o", name)
        assert result.exit_code == 0, result.stderr
        assert invoke("verify-export", name).exit_code == 0
    files = sorted(
        p.relative_to("from-sqlite") for p in Path("from-sqlite").rglob("*") if p.is_file()
    )
    assert files
    for relative in files:
        assert (Path("from-pg") / relative).read_bytes() == (
            Path("from-sqlite") / relative
        ).read_bytes(), relative
