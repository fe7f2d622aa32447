"""Fixtures that run a test on both backends: ``backend`` ("sqlite", "postgresql"),
``backend_url`` (a fresh, empty ledger database for each test), ``backend_store`` and
``backend_cli``. Imported by conftest.py, so every test module can use them.

PostgreSQL tests need ``DEFLEDGER_TEST_PG_URL`` (an administrator's URL: each test creates its
own database, dropped afterwards); ``scripts/with-postgres.sh`` starts a throwaway server and
sets it. Without it they skip with a visible reason. When the script started the server
(``DEFLEDGER_TEST_PG_REQUIRED=1``) an unreachable server fails the tests instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger.storage.store import EventStore

PG_URL_ENV = "DEFLEDGER_TEST_PG_URL"
NO_SERVER = f"{PG_URL_ENV} not set: no PostgreSQL server"


def _driver_url(url: str) -> str:
    """A libpq URL for psycopg.connect (without SQLAlchemy's ``+psycopg``)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    from sqlalchemy import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The administrator URL of the test server; skips (or fails, in CI) without one."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(NO_SERVER)
    try:
        import psycopg

        with psycopg.connect(_driver_url(url), connect_timeout=10) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        message = f"{PG_URL_ENV} is set but the server is unreachable: {exc}".splitlines()[0]
        if os.environ.get("DEFLEDGER_TEST_PG_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    return url


def create_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A new empty database (random name) and the function that drops it."""
    import psycopg

    name = f"defledger_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_driver_url(admin_url), autocommit=True) as conn:
        try:  # a linguistic collation, as a real server often has: byte order is not the default
            conn.execute(
                f'CREATE DATABASE "{name}" TEMPLATE template0 '
                "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            )
        except psycopg.Error:  # a server without ICU (or before PostgreSQL 15)
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(_driver_url(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return with_database(admin_url, name), drop


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
def backend_store(backend_url: str) -> Iterator[EventStore]:
    """An initialised, empty ledger on ``backend``."""
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
