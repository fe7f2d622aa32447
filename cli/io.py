"""``init`` and ``import``."""

from __future__ import annotations

import sys

import click

from cli.files import read_upto
from cli.options import db_of, open_store
from cli.record import default_actor


@click.command()
@click.option(
    "-j",
    "--jurisdiction",
    "jurisdictions",
    multiple=True,
    metavar="CODE|all",
    help="The jurisdiction(s) read commands answer for without -j (repeatable, or all). Set "
    "once: a ledger keeps its first default. Without it a ledger answers for the only "
    "jurisdiction it records budget lines for, and asks for -j when it records several.",
)
@click.pass_context
def init(ctx: click.Context, jurisdictions: tuple[str, ...]) -> None:
    """Create an empty ledger (tables and append-only triggers); harmless if it exists.

    \b
    Examples:
      defledger init
      defledger init --jurisdiction DE
      defledger init -j DE -j PL
    """
    from ledger.queries.jurisdictions import parse_jurisdictions, set_ledger_default
    from ledger.storage.db import resolve_url, safe_url

    parse_jurisdictions(jurisdictions)  # a bad code creates nothing
    store = open_store(ctx, create=True)
    try:
        default = set_ledger_default(store, jurisdictions)
    finally:
        store.close()
    where = f"ledger ready at {safe_url(resolve_url(db_of(ctx)))}"
    default_text = f" (default jurisdiction {','.join(default)})" if default else ""
    click.echo(where + default_text, err=True)


@click.command("import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["events", "categories", "lines", "gdp"]),
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
    """Import FILE (or - for stdin): JSON Lines of events, or CSV of categories, budget lines or
    GDP figures (see docs/formats.md). All-or-nothing; importing the same file twice adds
    nothing."""
    from ledger.intake.importers import MAX_FILE_BYTES, decode, import_text

    # at most one byte past the limit is read: decode() names the limit
    text = decode(read_upto(file, "file", MAX_FILE_BYTES))
    show_progress = not quiet and sys.stderr.isatty()

    def progress(rows: int) -> None:
        if show_progress:
            click.echo(f"\rchecked {rows:,} rows", err=True, nl=False)

    store = open_store(ctx, create=True, quiet=quiet)
    try:
        report = import_text(
            store, text, kind=kind, actor=actor, reason=reason, dry_run=dry_run, progress=progress
        )
    finally:
        store.close()
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
