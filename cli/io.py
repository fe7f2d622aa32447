"""``init`` and ``import``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from cli.files import KiB, read_text, spooled
from cli.options import BoundedInt, db_of, open_store
from cli.output import emit
from cli.record import default_actor

if TYPE_CHECKING:
    from ledger.intake.import_file import ImportFile
    from ledger.intake.mapping import Mapping

MAPPING_BYTES = 1024 * KiB  # a mapping file: a few dozen lines, a map of a few hundred names


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
    with open_store(ctx, create=True) as store:
        default = set_ledger_default(store, jurisdictions)
    where = f"ledger ready at {safe_url(resolve_url(db_of(ctx)))}"
    default_text = f" (default jurisdiction {','.join(default)})" if default else ""
    click.echo(where + default_text, err=True)


@click.command("import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["events", "categories", "lines", "gdp", "claims", "definition"]),
    help="Kind of file (default: recognised from the first line; a TOML file is claims when it "
    "has a [[claim]] table, else a definition file); with a mapping, the kind of record to "
    "make (its [lines], [gdp] or [categories] section).",
)
@click.option(
    "--mapping",
    metavar="FILE.toml",
    type=click.Path(dir_okay=False, allow_dash=False),
    help="How the columns of FILE (a CSV file or an .xlsx sheet, long or wide) become fields "
    "(see docs/formats.md).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A field of the mapping, on top of --mapping: a value (currency=USD), a template "
    '(line_id=DEF-{year}) or a column (amount={column="def_{year}", unit="million"}). '
    "Repeatable.",
)
@click.option(
    "--sheet", metavar="NAME", help="The sheet of an .xlsx workbook (default: the first)."
)
@click.option("--actor", default=default_actor, show_default="the OS user", help="Who imports it.")
@click.option("--reason", help="Why; with it, changed budget lines are recorded as revisions.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check everything, write nothing; show what would be added (a definition file: the "
    "events it would record, as log --format jsonl).",
)
@click.option(
    "--preview",
    type=BoundedInt(0, 10_000),
    default=10,
    show_default=True,
    help="Events a dry run shows as a table on stdout (0: none).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.pass_context
def import_(
    ctx: click.Context,
    file: str,
    kind: str | None,
    mapping: str | None,
    maps: tuple[str, ...],
    sheet: str | None,
    actor: str,
    reason: str | None,
    dry_run: bool,
    preview: int,
    quiet: bool,
) -> None:
    """Import FILE (or - for stdin): JSON Lines of events, CSV of categories, budget lines, GDP
    figures or claims, a TOML file of [[claim]] tables (see docs/formats.md, docs/claims.md), a
    TOML definition file (one version of a definition, see docs/definitions.md: recorded as the
    events record makes, with the structural diff shown first), or someone else's table — a
    CSV file or an .xlsx sheet, long or wide (one column per year) — through a mapping
    (--mapping FILE.toml, --map). All-or-nothing; importing the same file twice adds nothing.

    \b
    Examples:
      defledger import japan.jsonl
      defledger import lines.csv --dry-run
      defledger import examples/definitions/nato-v1.toml
      defledger import nato.csv --mapping examples/nato/nato.toml --kind lines
      defledger import table.xlsx --sheet TABLE2 --mapping table2.toml --dry-run
    """
    from pathlib import Path

    from ledger.intake import importers
    from ledger.intake.import_file import ImportFile
    from ledger.intake.importers import decode, is_definition_file
    from ledger.intake.mapping import parse_mapping

    mapped = None
    if mapping is not None or maps:
        text = read_text(mapping, "mapping", MAPPING_BYTES) if mapping is not None else None
        name = Path(mapping).name if mapping is not None else "--map"
        mapped = parse_mapping(text, name, maps, kind)
    with spooled(file, "file", importers.MAX_FILE_BYTES) as path:
        # read as it is imported (at most one byte past the limit: import_table names it)
        data = ImportFile.at(path)
        if mapped is None and is_definition_file(data, kind):
            text = decode(data.read_all(importers.MAX_FILE_BYTES))
            _import_definition(ctx, text, actor=actor, reason=reason, dry_run=dry_run, quiet=quiet)
            return
        _import_file(ctx, file, data, mapped, kind, sheet, actor, reason, dry_run, preview, quiet)


def _import_file(
    ctx: click.Context,
    file: str,
    data: ImportFile,
    mapped: Mapping | None,
    kind: str | None,
    sheet: str | None,
    actor: str,
    reason: str | None,
    dry_run: bool,
    preview: int,
    quiet: bool,
) -> None:
    from pathlib import Path

    from ledger.intake.importers import import_table, preview_table

    show_progress = not quiet and sys.stderr.isatty()

    def progress(rows: int) -> None:
        if show_progress:
            click.echo(f"\rchecked {rows:,} rows", err=True, nl=False)

    with open_store(ctx, create=True, quiet=quiet) as store:
        report = import_table(
            store, data, "stdin" if file == "-" else Path(file).name, mapped, kind=kind,
            sheet=sheet, actor=actor, reason=reason, dry_run=dry_run, progress=progress,
            preview=preview if dry_run else 0,
        )  # fmt: skip
    if show_progress:
        click.echo("", err=True)
    if report.dry_run and report.preview:
        emit(preview_table(report), None, None)
    if not quiet:
        verb = "would add" if report.dry_run else "added"
        where = f" (seq {report.first_seq}..{report.last_seq})" if report.first_seq else ""
        read = ""
        if report.counts is not None and report.counts.missing_cells:
            read = f", {report.counts.missing_cells} cells meaning no figure skipped"
        click.echo(
            f"{report.kind}: {report.rows} rows, {verb} {report.appended} events{where}, "
            f"{report.skipped} already recorded{read}",
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

    with open_store(ctx, create=not dry_run, read_only=dry_run, quiet=quiet) as store:
        report = import_definition(
            store, text, actor=actor, reason=reason, dry_run=dry_run, before_writing=show
        )
    if not quiet:
        verb = "would add" if report.dry_run else "added"
        first, last = report.first_seq, report.last_seq
        where = f" (seq {first})" if first == last else f" (seq {first}..{last})"
        where = where if first else ""
        count = len(report.events) if dry_run else report.appended
        click.echo(f"definition: {verb} {_events(count)}{where}", err=True)


def _events(count: int) -> str:
    return f"{count} event{'' if count == 1 else 's'}"
