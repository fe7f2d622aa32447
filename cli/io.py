"""``init`` and ``import``."""

from __future__ import annotations

import sys

import click

from cli.files import read_upto
from cli.options import db_of, open_store
from cli.record import default_actor


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create an empty ledger (tables and append-only triggers); harmless if it exists."""
    from ledger.storage.db import resolve_url, safe_url

    open_store(ctx, create=True).close()
    click.echo(f"ledger ready at {safe_url(resolve_url(db_of(ctx)))}", err=True)


@click.command("import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["events", "categories", "lines", "gdp", "claims"]),
    help="Kind of file (default: recognised from the first line).",
)
@click.option("--actor", default=default_actor, show_default="the OS user", help="Who imports it.")
@click.option("--reason", help="Why; with it, changed budget lines are recorded as revisions.")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.pass_context
def import_(
    ctx: click.Context,
    file: str,
    kind: str | None,
    actor: str,
    reason: str | None,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Import FILE (or - for stdin): JSON Lines of events, CSV of categories, budget lines, GDP
    figures or claims, or a TOML file of [[claim]] tables (see docs/formats.md, docs/claims.md).
    All-or-nothing; importing the same file twice adds nothing."""
    from ledger.intake.importers import MAX_FILE_BYTES, decode, import_text

    # at most one byte past the limit is read: decode() names the limit
    text = decode(read_upto(file, "file", MAX_FILE_BYTES))
    show_progress = not quiet and sys.stderr.isatty()

    def progress(rows: int) -> None:
        if show_progress:
            click.echo(f"\rchecked {rows:,} rows", err=True, nl=False)

    with open_store(ctx, create=True, quiet=quiet) as store:
        report = import_text(
            store, text, kind=kind, actor=actor, reason=reason, dry_run=dry_run, progress=progress
        )
    if show_progress:
        click.echo("", err=True)
    if not quiet:
        verb = "would add" if report.dry_run else "added"
        where = f" (seq {report.first_seq}..{report.last_seq})" if report.first_seq else ""
        click.echo(
            f"{report.kind}: {report.rows} rows, {verb} {report.appended} events{where}, "
            f"{report.skipped} already recorded",
            err=True,
        )
