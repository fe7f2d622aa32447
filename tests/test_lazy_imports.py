"""Reading a ledger does not import the table models (SQLModel costs every command a tenth of a
second): the projection columns the readers name are the models' own, and ``totals`` runs
without importing ``sqlmodel``."""

from __future__ import annotations

import ast
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
    SQLAlchemy, the web stack or the event models at import time (each has doubled --help's
    time once: ``record`` built its commands from the models)."""
    probe = (
        "import sys, atexit\n"
        "atexit.register(lambda: print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'flask',"
        " 'pydantic', 'events.registry') if m in sys.modules), file=sys.stderr))\n"
        "from cli.app import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout and "totals" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def _modules_loaded(args: list[str], names: tuple[str, ...]) -> tuple[str, list[str]]:
    """The stdout of ``defledger ARGS`` run in a fresh interpreter, and which of ``names``
    it imported."""
    probe = (
        "import sys, atexit\n"
        f"atexit.register(lambda: print(sorted(m for m in {names!r} if m in sys.modules),"
        " file=sys.stderr))\n"
        "from cli.app import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, ast.literal_eval(done.stderr.strip().splitlines()[-1])


HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "events.registry")


def test_totals_on_caught_up_projections_needs_neither_sqlalchemy_nor_the_models(
    db_path: Path,
) -> None:
    """A SQLite ledger is read through the standard library's ``sqlite3``
    (``ledger.storage.sqlite_pool``) and ``totals`` reads the stored projections as rows: with
    them caught up it imports neither SQLAlchemy nor pydantic and the event models. After a
    new event the catch-up folds it (that loads the models) and the answer moves with it."""
    run = [sys.executable, "-c", "from cli.app import main; main()", "--db", str(db_path)]
    subprocess.run([*run, "demo"], capture_output=True, check=True)
    asked = ["--db", str(db_path), "totals", "--fy", "FY2025", "--format", "json"]
    subprocess.run([*run, *asked[2:]], capture_output=True, check=True)  # caught up
    before, loaded = _modules_loaded(asked, HEAVY)
    assert loaded == []
    assert '"jurisdiction": "JP"' in before
    recorded = subprocess.run(
        [*run, "record", "gdp", "--fy", "FY2025", "--amount", "620000000000000",
         "--vintage", "2099-test", "--reason", "the same-year GDP nato divides by"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    after, loaded = _modules_loaded(asked, HEAVY)
    assert "events.registry" in loaded and "sqlalchemy" not in loaded
    assert after != before and "2099-test" in after
    again, loaded = _modules_loaded(asked, HEAVY)
    assert (again, loaded) == (after, [])


def test_schema_tables_are_the_models_tables() -> None:
    from ledger.storage.db import SCHEMA_TABLES

    assert sorted(SCHEMA_TABLES) == sorted(tables.EventRow.metadata.tables)


def test_a_write_to_a_complete_ledger_loads_no_sqlalchemy(db_path: Path, tmp_path: Path) -> None:
    """``import`` (like every write command) opens its ledger with create: a SQLite ledger
    whose schema is complete is checked with one query, and SQLAlchemy stays unloaded."""
    setup = [sys.executable, "-c", "from cli.app import main; main()", "--db", str(db_path)]
    subprocess.run([*setup, "demo"], capture_output=True, check=True)
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "jurisdiction,fiscal_year,line_id,agency,category,amount,stage\n"
        "JP,2025,LAZY-1,MOD,JP.CORE.DBP,1000,initial\n",
        encoding="utf-8",
    )
    probe = (
        "import sys, atexit\n"
        "atexit.register(lambda: print(sorted(m for m in ('sqlalchemy', 'sqlmodel')"
        " if m in sys.modules), file=sys.stderr))\n"
        "from cli.app import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--db", str(db_path), "import", str(lines), "-q"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
    listed = subprocess.run(
        [*setup, "log", "--format", "jsonl"], capture_output=True, text=True, check=True
    )
    assert "LAZY-1" in listed.stdout


def test_init_completes_a_sqlite_schema_with_a_part_missing(db_path: Path) -> None:
    import sqlite3

    from ledger.storage.db import sqlite_schema_complete
    from ledger.storage.store import EventStore

    EventStore.open(str(db_path), create=True).close()
    with sqlite3.connect(db_path) as conn:
        assert sqlite_schema_complete(conn.cursor())
        conn.execute("DROP TABLE proj_rates")
        conn.execute("DROP TRIGGER events_no_update")
        assert not sqlite_schema_complete(conn.cursor())
    conn.close()
    EventStore.open(str(db_path), create=True).close()
    with sqlite3.connect(db_path) as conn:
        assert sqlite_schema_complete(conn.cursor())
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert {"proj_rates", "events_no_update"} <= names


def test_a_table_for_the_terminal_loads_no_workbook_writer(db_path: Path) -> None:
    """Only ``--format xlsx`` and ``export`` write workbooks: a table, CSV or JSON leaves
    XlsxWriter (all of it loads with any of its modules) unimported."""
    run = [sys.executable, "-c", "from cli.app import main; main()", "--db", str(db_path)]
    subprocess.run([*run, "demo"], capture_output=True, check=True)
    asked = ["--db", str(db_path), "totals", "--fy", "FY2025"]
    shown, loaded = _modules_loaded(asked, ("xlsxwriter",))
    assert loaded == [] and "JP" in shown
    _, loaded = _modules_loaded([*asked, "--format", "xlsx", "-o", str(db_path) + ".xlsx"],
                                ("xlsxwriter",))  # fmt: skip
    assert loaded == ["xlsxwriter"]


def test_events_re_exports_exactly_the_registrys_names() -> None:
    """``events`` lists its names itself (reading ``events.registry.__all__`` would load the
    models): the list, the type checker's imports and the registry's must stay one list."""
    import events
    from events import registry

    source = Path(events.__file__).read_text(encoding="utf-8")
    checked = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module == "events.registry"
    )
    assert events.__all__ == registry.__all__
    assert sorted(alias.name for alias in checked.names) == sorted(registry.__all__)
    assert all(getattr(events, name) is getattr(registry, name) for name in registry.__all__)
