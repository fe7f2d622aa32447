"""Reading a ledger does not import the table models (SQLModel costs every command a tenth of a
second): the projection columns the readers name are the models' own, and ``totals`` runs
without importing ``sqlmodel``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ledger.projections.sql import COLUMNS
from ledger.storage import tables


def test_projection_columns_are_the_models_columns() -> None:
    models = {
        t.name: ", ".join(c.name for c in t.columns)
        for t in tables.EventRow.metadata.sorted_tables
        if t.name.startswith("proj_")
    }
    assert COLUMNS == models


def test_totals_does_not_import_the_table_models(db_path: Path) -> None:
    setup = [sys.executable, "-c", "from cli.app import main; main()", "--db", str(db_path)]
    subprocess.run([*setup, "demo"], capture_output=True, check=True)
    probe = (
        "import sys, atexit\n"
        "atexit.register(lambda: print('sqlmodel' in sys.modules, file=sys.stderr))\n"
        "from cli.app import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--db", str(db_path), "totals", "--fy", "FY2025"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "JP" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_help_lists_every_command_without_the_database_layer() -> None:
    """``defledger --help`` imports every command's module to list it: none of them may load
    SQLAlchemy or the web stack at import time (it doubled --help's time once)."""
    probe = (
        "import sys, atexit\n"
        "atexit.register(lambda: print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'flask')"
        " if m in sys.modules), file=sys.stderr))\n"
        "from cli.app import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout and "totals" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"
