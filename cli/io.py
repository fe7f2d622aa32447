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

    store = open_store(ctx, create=True)
    store.close()
    click.echo(f"ledger ready at {safe_url(resolve_url(db_of(ctx)))}", err=True)


@click.command("import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["events", "categories", "lines", "gdp", "definition"]),
    help="Kind of file (default: recognised from the first line; a TOML definition file "
    "starts with a comment, a key = value or a [table]).",
)
@click.option("--actor", default=default_actor, show_default="the OS user", help="Who imports it.")
@click.option("--reason", help="Why; with it, changed budget lines are recorded as revisions.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check everything, write nothing (a definition file: print the events it would "
    "record, as log --format jsonl).",
)
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
    """Import FILE (or - for stdin): JSON Lines of events, CSV of categories, budget lines or
    GDP figures (see docs/formats.md), or a TOML definition file (one version of a definition,
    see docs/definitions.md: recorded as the events record makes, with the structural diff
    shown first). All-or-nothing; importing the same file twice adds nothing."""
    from ledger.intake.importers import MAX_FILE_BYTES, decode, detect_kind, import_text

    # at most one byte past the limit is read: decode() names the limit
    text = decode(read_upto(file, "file", MAX_FILE_BYTES))
    if (kind or detect_kind(text)) == "definition":
        _import_definition(ctx, text, actor=actor, reason=reason, dry_run=dry_run, quiet=quiet)
        return
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


def _import_definition(
    ctx: click.Context, text: str, *, actor: str, reason: str | None, dry_run: bool, quiet: bool
) -> None:
    """A definition file: its structural diff and events on stderr before anything is written
    (the events themselves on stdout with --dry-run), then what was added."""
    from cli.output import to_json
    from ledger.definition_files.importing import DefinitionImport, import_definition

    shown: list[bool] = []

    def show(report: DefinitionImport) -> None:
        if shown:  # PostgreSQL runs the work again after a serialization failure: print once
            return
        shown.append(True)
        if dry_run:
            for row in report.events:
                click.echo(to_json(row, indent=False))
        if quiet:
            return
        what = "new version" if report.new else "recorded version"
        based = f", based on @{report.based_on}" if report.new and report.based_on else ""
        if not report.events:
            click.echo(f"{report.label} ({what}): the ledger says the same, nothing to record",
                       err=True)  # fmt: skip
            return
        click.echo(f"{report.label} ({what}{based}):", err=True)
        for line in report.changes or ["no structural change"]:
            click.echo(f"  {line}", err=True)
        verb = "would record" if dry_run else "recording"
        click.echo(f"{verb} {_events(len(report.events))}:", err=True)
        for summary in report.summaries:
            click.echo(f"  {summary}", err=True)

    store = open_store(ctx, create=not dry_run, read_only=dry_run, quiet=quiet)
    try:
        report = import_definition(
            store, text, actor=actor, reason=reason, dry_run=dry_run, before_writing=show
        )
    finally:
        store.close()
    if not quiet:
        verb = "would add" if report.dry_run else "added"
        first, last = report.first_seq, report.last_seq
        where = f" (seq {first})" if first == last else f" (seq {first}..{last})"
        where = where if first else ""
        count = len(report.events) if dry_run else report.appended
        click.echo(f"definition: {verb} {_events(count)}{where}", err=True)


def _events(count: int) -> str:
    return f"{count} event{'' if count == 1 else 's'}"
