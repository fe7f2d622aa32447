"""Administration: ``copy`` (a ledger to another database, byte for byte) and ``db grants`` (the
SQL that sets up a PostgreSQL application role which cannot rewrite history)."""

from __future__ import annotations

import click

from cli.options import BoundedInt, db_of, open_store, output_options
from cli.output import emit_verdict, write_text
from cli.progress import progress


@click.command()
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="PATH|URL",
    help="The ledger to copy into: a SQLite path or a URL (postgresql+psycopg://…). "
    "Created if needed; must be empty.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Finish an interrupted copy: the target must hold a prefix of this ledger.",
)
@click.option(
    "--batch-size",
    type=BoundedInt(1, 100_000),
    default=5000,
    show_default=True,
    help="Events per transaction on the target.",
)
@output_options
@click.pass_context
def copy(
    ctx: click.Context,
    target_url: str,
    resume: bool,
    batch_size: int,
    fmt: str | None,
    output: str | None,
) -> None:
    """Copy the whole ledger (--db) to another database, preserving every event byte for byte
    (seq, ids, times, provenance, hashes), then verify the copy: same chain, same head hash.

    Refuses a non-empty target (exit 2); exit 3 if the copy does not verify.

    \b
    Examples:
      defledger copy --to copy.db
      defledger copy --to copy2.db --format json -o copy.json
    """
    from ledger.audit.replicate import check_copied, copy_ledger
    from ledger.storage.store import EventStore

    with (
        open_store(ctx) as source,
        EventStore.open(target_url, create=True) as target,
        progress("copy") as report_progress,
    ):
        report = copy_ledger(
            source, target, resume=resume, batch_size=batch_size, progress=report_progress
        )
    emit_verdict(report.table(), fmt, output, report.ok)
    check_copied(report)  # IntegrityFailure: exit 3


@click.group()
def db() -> None:
    """Database administration (PostgreSQL).

    \b
    Examples:
      defledger db grants --database defledger
    """


@db.command()
@click.option(
    "--role",
    default="defledger_app",
    show_default=True,
    help="The application role to create (lower-case letters, digits, _).",
)
@click.option("--schema", default="public", show_default=True, help="Schema of the ledger.")
@click.option(
    "--database",
    help="Database to grant CONNECT on (default: the one in --db, if a PostgreSQL URL).",
)
@click.pass_context
def grants(ctx: click.Context, role: str, schema: str, database: str | None) -> None:
    """Print the SQL (for an administrator to run, after `defledger init` as the tables' owner)
    that creates an application role allowed to read and append, with UPDATE, DELETE and
    TRUNCATE revoked on the history tables. Connects to nothing.

    \b
    Examples:
      defledger db grants --database defledger
      defledger db grants --role auditor_app --database defledger
    """
    from ledger.storage.db import resolve_url
    from ledger.storage.postgres import database_of, grants_sql

    if database is None:
        database = database_of(resolve_url(db_of(ctx)))
    write_text(grants_sql(role, database=database, schema=schema), None)
