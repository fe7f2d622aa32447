"""The PostgreSQL side of the tests' backends: a database per test on the server named by
``DEFLEDGER_TEST_PG_URL``. The fixtures built on it (``backend`` "sqlite" or "postgresql",
``backend_url`` a fresh, empty ledger database for each test, ``backend_store``,
``backend_cli``, ``pg_url``, ``pg_admin_url``) are in ``tests/conftest.py``.

PostgreSQL tests need ``DEFLEDGER_TEST_PG_URL`` (an administrator's URL: each test creates its
own database, dropped afterwards); ``scripts/with-postgres.sh`` starts a throwaway server and
sets it. Without it they skip with a visible reason. When the script started the server
(``DEFLEDGER_TEST_PG_REQUIRED=1``) an unreachable server fails the tests instead of skipping.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

PG_URL_ENV = "DEFLEDGER_TEST_PG_URL"
NO_SERVER = f"{PG_URL_ENV} not set: no PostgreSQL server"


def driver_url(url: str) -> str:
    """A libpq URL for psycopg.connect (without SQLAlchemy's ``+psycopg``)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    from sqlalchemy import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def create_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A new empty database (random name) and the function that drops it."""
    import psycopg

    name = f"defledger_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(driver_url(admin_url), autocommit=True) as conn:
        try:  # a linguistic collation, as a real server often has: byte order is not the default
            conn.execute(
                f'CREATE DATABASE "{name}" TEMPLATE template0 '
                "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            )
        except psycopg.Error:  # a server without ICU (or before PostgreSQL 15)
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(driver_url(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return with_database(admin_url, name), drop
