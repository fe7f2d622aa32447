"""``init`` and ``import``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cli.files import KiB, read_text, spooled
from cli.options import BoundedInt, db_of, open_store
from cli.output import emit
from cli.progress import progress
from cli.record import default_actor
from cli.terminal import note, settings

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
      defledger --db new.db init
      defledger --db de.db init --jurisdiction DE
      defledger --db eu.db init -j DE -j PL
    """
    from ledger.queries.jurisdictions import parse_jurisdictions, set_ledger_default
    from ledger.storage.db import resolve_url, safe_url

    parse_jurisdictions(jurisdictions)  # a bad code creates nothing
    with open_store(ctx, create=True) as store:
        default = set_ledger_default(store, jurisdictions)
    where = f"ledger ready at {safe_url(resolve_url(db_of(ctx)))}"
    default_text = f" (default jurisdiction {','.join(default)})" if default else ""
    note(where + default_text)


@click.command("import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["events", "categories", "lines", "gdp", "claims", "definition"]),
    help="Kind of file (default: recognised from the first line; a TOML file is claims when it "
    "has a [[claim]] table, else a definition file); with a mapping, the one kind of record to "
    "make (its [lines], [gdp] or [categories] section; default: every kind it describes).",
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
) -> None:
    """Import FILE (or - for stdin): JSON Lines of events, CSV of categories, budget lines, GDP
    figures or claims, a TOML file of [[claim]] tables (see docs/formats.md, docs/claims.md), a
    TOML definition file (one version of a definition, see docs/definitions.md: recorded as the
    events record makes, with the structural diff shown first), or someone else's table — a
    CSV file or an .xlsx sheet, long or wide (one column per year) — through a mapping
    (--mapping FILE.toml, --map; examples/nato shows one). All-or-nothing; importing the same
    file twice adds nothing. Progress: a bar on a terminal, lines on stderr with --progress,
    none with -q.

    \b
    Examples:
      defledger log --format jsonl -o events.jsonl
      defledger import events.jsonl --dry-run --progress
      defledger import events.jsonl
      defledger definition show jp-defense-related@3 -o v3.toml
      defledger import v3.toml --dry-run
    """
    from pathlib import Path

    from ledger.intake import importers
    from ledger.intake.import_file import ImportFile
    from ledger.intake.importers import decode, is_definition_file
    from ledger.intake.mapping import parse_mapping

    quiet = settings().quiet
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
            _import_definition(ctx, text, actor=actor, reason=reason, dry_run=dry_run)
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

    with open_store(ctx, create=True, quiet=quiet) as store, progress("import") as report:
        result = import_table(
            store, data, "stdin" if file == "-" else Path(file).name, mapped, kind=kind,
            sheet=sheet, actor=actor, reason=reason, dry_run=dry_run, progress=report,
            preview=preview if dry_run else 0,
        )  # fmt: skip
    if result.dry_run and result.preview:
        emit(preview_table(result), None, None)
    verb = "would add" if result.dry_run else "added"
    where = f" (seq {result.first_seq}..{result.last_seq})" if result.first_seq else ""
    read = ""
    if result.counts is not None and result.counts.missing_cells:
        read = f", {result.counts.missing_cells:,} cells meaning no figure skipped"
    note(
        f"{result.kind}: {result.rows:,} rows, {verb} {result.appended:,} events{where}, "
        f"{result.skipped:,} already recorded{read}"
    )


def _import_definition(
    ctx: click.Context, text: str, *, actor: str, reason: str | None, dry_run: bool
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
        what = "new version" if report.new else "recorded version"
        based = f", based on @{report.based_on}" if report.new and report.based_on else ""
        if not report.events:
            note(f"{report.label} ({what}): the ledger says the same, nothing to record")
            return
        note(f"{report.label} ({what}{based}):")
        for line in report.changes or ["no structural change"]:
            note(f"  {line}")
        note(f"{'would record' if dry_run else 'recording'} {_events(len(report.events))}:")
        for summary in report.summaries:
            note(f"  {summary}")

    quiet = settings().quiet
    with open_store(ctx, create=not dry_run, read_only=dry_run, quiet=quiet) as store:
        report = import_definition(
            store, text, actor=actor, reason=reason, dry_run=dry_run, before_writing=show
        )
    verb = "would add" if report.dry_run else "added"
    first, last = report.first_seq, report.last_seq
    where = f" (seq {first})" if first == last else f" (seq {first}..{last})"
    where = where if first else ""
    count = len(report.events) if dry_run else report.appended
    note(f"definition: {verb} {_events(count)}{where}")


def _events(count: int) -> str:
    return f"{count} event{'' if count == 1 else 's'}"
