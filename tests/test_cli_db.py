"""``defledger db grants``: the SQL for an application role that cannot rewrite history."""

from __future__ import annotations

from click.testing import CliRunner

from cli.app import cli as app


def test_cli_db_grants__default_role_and_database_from_db_url() -> None:
    result = CliRunner().invoke(
        app, ["--db", "postgresql+psycopg://owner:pw@db.example:5432/ledger", "db", "grants"]
    )
    assert result.exit_code == 0, result.stderr
    sql = result.stdout
    assert "CREATE ROLE defledger_app LOGIN" in sql
    assert 'GRANT CONNECT ON DATABASE "ledger" TO defledger_app;' in sql
    assert "REVOKE UPDATE, DELETE, TRUNCATE" in sql
    tables = "public.events, public.streams, public.event_types, public.actors, public.ledger_meta"
    assert f"GRANT SELECT, INSERT ON {tables}" in sql
    assert "pw" not in sql.replace("PASSWORD", "")


def test_cli_db_grants__role_and_schema_options(tmp_path: object) -> None:
    result = CliRunner().invoke(
        app, ["--db", "x.db", "db", "grants", "--role", "auditor_app", "--schema", "ledger"]
    )
    assert result.exit_code == 0
    assert "GRANT SELECT, INSERT ON ledger.events" in result.stdout
    assert "CONNECT ON DATABASE" not in result.stdout  # --db is not a PostgreSQL URL
    assert "TO auditor_app;" in result.stdout


def test_cli_db_grants__unsafe_role_is_exit_2() -> None:
    result = CliRunner().invoke(app, ["db", "grants", "--role", "x; DROP TABLE events"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: name 'x; DROP TABLE events'")
