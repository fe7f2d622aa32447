"""``init`` and ``import``."""

from __future__ import annotations

import click

from cli.files import read_upto
from cli.options import db_of, open_store
from cli.progress import progress
from cli.record import default_actor
from cli.terminal import note, settings


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create an empty ledger (tables and append-only triggers); harmless if it exists.

    \b
    Examples:
      defledger init
      defledger --db new.db init
    """
    from ledger.storage.db import resolve_url, safe_url

    open_store(ctx, create=True).close()
    note(f"ledger ready at {safe_url(resolve_url(db_of(ctx)))}")


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
@click.pass_context
def import_(
    ctx: click.Context,
    file: str,
    kind: str | None,
    actor: str,
    reason: str | None,
    dry_run: bool,
) -> None:
    """Import FILE (or - for stdin): JSON Lines of events, or CSV of categories, budget lines or
    GDP figures (see docs/formats.md). All-or-nothing; importing the same file twice adds
    nothing. Progress: a bar on a terminal, lines on stderr with --progress, none with -q.

    \b
    Examples:
      defledger log --format jsonl -o events.jsonl
      defledger import events.jsonl --dry-run --progress
      defledger import events.jsonl
    """
    from ledger.intake.importers import MAX_FILE_BYTES, decode, import_text

    # at most one byte past the limit is read: decode() names the limit
    text = decode(read_upto(file, "file", MAX_FILE_BYTES))
    quiet = settings().quiet
    with open_store(ctx, create=True, quiet=quiet) as store, progress("import") as report:
        result = import_text(
            store, text, kind=kind, actor=actor, reason=reason, dry_run=dry_run, progress=report
        )
    verb = "would add" if result.dry_run else "added"
    where = f" (seq {result.first_seq}..{result.last_seq})" if result.first_seq else ""
    note(
        f"{result.kind}: {result.rows:,} rows, {verb} {result.appended:,} events{where}, "
        f"{result.skipped:,} already recorded"
    )
