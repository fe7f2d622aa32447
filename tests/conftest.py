"""Every shared fixture: a fresh SQLite ledger per test, a CLI runner, and the backends (SQLite
always; PostgreSQL when ``DEFLEDGER_TEST_PG_URL`` is set). Helpers that are not fixtures live in
``tests/helpers/``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers.backends import NO_SERVER, PG_URL_ENV, create_pg_database, driver_url

from ledger.storage.store import EventStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture(scope="session")
def empty_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger just made by ``init``, once per session: ``init`` is deterministic (the
    schema and its triggers), and a copy of its file costs a tenth of making it again."""
    path = tmp_path_factory.mktemp("empty") / "ledger.db"
    EventStore.open(str(path), create=True).close()
    return path


def fresh_sqlite_ledger(empty_ledger: Path, path: Path) -> None:
    """Put a new, empty ledger at ``path`` (a copy of ``empty_ledger``), unless a fixture set up
    before this one (a ``cli`` run, say) has already made the ledger there: it is kept."""
    if not path.exists():
        shutil.copyfile(empty_ledger, path)


@pytest.fixture
def store(db_path: Path, empty_ledger: Path) -> Iterator[EventStore]:
    """A new, empty SQLite ledger at ``db_path``, open."""
    fresh_sqlite_ledger(empty_ledger, db_path)
    opened = EventStore.open(str(db_path), create=True)
    yield opened
    opened.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner, db_path: Path) -> Callable[..., Result]:
    """Invoke ``defledger --db <tmp ledger> ARGS…`` and return the click Result."""
    from cli.app import cli as app

    def invoke(*args: str, input: str | bytes | None = None) -> Result:
        return runner.invoke(
            app, ["--db", str(db_path), *args], input=input, catch_exceptions=False
        )

    return invoke


# -- both backends: `backend` ("sqlite" or "postgresql"), `backend_url`, `backend_store`,
# `backend_cli`; `pg_url` and `pg_admin_url` for PostgreSQL-only tests


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The administrator URL of the test server; skips (or fails, in CI) without one."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(NO_SERVER)
    try:
        import psycopg

        with psycopg.connect(driver_url(url), connect_timeout=10) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        message = f"{PG_URL_ENV} is set but the server is unreachable: {exc}".splitlines()[0]
        if os.environ.get("DEFLEDGER_TEST_PG_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test (dropped afterwards)."""
    url, drop = create_pg_database(pg_admin_url)
    try:
        yield url
    finally:
        drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; tests using it (or ``backend_url``) run once per backend."""
    return str(request.param)


@pytest.fixture
def backend_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL of an empty, not yet initialised ledger database on ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def backend_store(backend_url: str, empty_ledger: Path) -> Iterator[EventStore]:
    """An initialised, empty ledger on ``backend``."""
    if backend_url.startswith("sqlite:///"):
        fresh_sqlite_ledger(empty_ledger, Path(backend_url.removeprefix("sqlite:///")))
    opened = EventStore.open(backend_url, create=True)
    yield opened
    opened.close()


@pytest.fixture
def backend_cli(backend_url: str) -> Callable[..., Result]:
    """Invoke ``defledger --db <backend_url> ARGS…`` and return the click Result."""
    from cli.app import cli as app

    runner = CliRunner()

    def invoke(*args: str, input: str | bytes | None = None) -> Result:
        return runner.invoke(app, ["--db", backend_url, *args], input=input, catch_exceptions=False)

    return invoke


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the browser tests left their screenshots (tests/test_report_browser.py)."""
    from helpers import browser

    if browser.TAKEN:
        terminalreporter.write_line(f"browser screenshots: {browser.ARTIFACTS}")


@pytest.fixture(autouse=True)
def _no_terminal_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output must not depend on the shell that runs the tests: no COLUMNS (a test that wants a
    width sets it), no pager, no colour settings."""
    for name in ("COLUMNS", "NO_COLOR", "PAGER", "DEFLEDGER_PAGER"):
        monkeypatch.delenv(name, raising=False)
