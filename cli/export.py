"""``export`` and ``verify-export``: compliance bundles and their offline check."""

from __future__ import annotations

import click

from cli.errors import EXIT_ERROR, EXIT_INTEGRITY, CliError
from cli.files import KEY_BYTES, read_text
from cli.options import as_of_option, open_store, output_options
from cli.output import emit, emit_verdict, human
from cli.progress import progress
from cli.terminal import note

_FILE = click.Path(exists=True, dir_okay=False)


@click.command()
@as_of_option
@click.option(
    "-o",
    "--output",
    "directory",
    required=True,
    metavar="DIR",
    help="New (or empty) directory to write.",
)
@click.option(
    "--sign",
    "key_file",
    type=_FILE,
    metavar="KEY",
    help="Sign the checkpoint and SHA256SUMS with this private key.",
)
@click.option(
    "--cloudevents",
    is_flag=True,
    help="Also write events.cloudevents.jsonl (CloudEvents 1.0 JSON).",
)
@click.option(
    "--parquet", is_flag=True, help="Also write Parquet tables (needs the optional pyarrow)."
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False),
    help="Directory the export must stay inside (default: the current directory).",
)
@click.pass_context
def export(
    ctx: click.Context, as_of: str | None, directory: str, key_file: str | None,
    cloudevents: bool, parquet: bool, root: str | None,
) -> None:  # fmt: skip
    """Write a compliance bundle of the ledger as of a moment into DIR: events (JSON Lines as
    hashed, CSV), budget lines, definitions and totals (CSV, XLSX), a Frictionless
    datapackage.json, the checkpoint, SHA256SUMS and, with --sign, SHA256SUMS.sig.

    The same ledger and as-of give the same bytes. Paths outside the export root are refused
    before anything is written; a failed export leaves nothing behind. Progress: a bar on a
    terminal, lines on stderr with --progress.

    \b
    Examples:
      defledger export -o bundle
      defledger export -o bundle-105 --as-of 105 --cloudevents
    """
    from ledger.exports.write import export_bundle
    from ledger.queries.asof import resolve_as_of

    key = read_text(key_file, "key", KEY_BYTES) if key_file else None
    with open_store(ctx) as store, progress("export") as report:
        seq = resolve_as_of(store, as_of).seq
        result = export_bundle(
            store,
            directory,
            seq,
            root=root,
            private_key=key,
            cloudevents=cloudevents,
            parquet=parquet,
            progress=report,
        )
    emit(result.table(), "table", None)  # what was written; the bundle is the output
    for text in result.notes:
        note(f"note: {text}")


@click.command("verify-export")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--pubkey",
    "pubkey_file",
    type=_FILE,
    help="Verifier key: SHA256SUMS.sig and the checkpoint must verify.",
)
@click.option(
    "--allow-unchecked",
    is_flag=True,
    help="Exit 0 even if some files could not be checked here (Parquet files without "
    "pyarrow); they are still named.",
)
@output_options
def verify_export(
    directory: str, pubkey_file: str | None, allow_unchecked: bool, fmt: str | None,
    output: str | None,
) -> None:  # fmt: skip
    """Check a bundle offline (no database): every SHA-256 in SHA256SUMS, no missing, extra or
    unknown file, the signatures (with --pubkey), the hash chain in events.jsonl, the Merkle
    root in the checkpoint, and every other file recomputed from the events and compared: the
    CSVs row by row, the workbook cell by cell, CloudEvents, datapackage.json and Parquet.
    Exit 3 on any problem; exit 1 if a file could not be checked (unless --allow-unchecked).

    \b
    Examples:
      defledger export -o bundle
      defledger verify-export bundle
      defledger verify-export bundle --format json
    """
    from ledger.exports.verify import verify_export as check

    pubkey = read_text(pubkey_file, "verifier key", KEY_BYTES) if pubkey_file else None
    with progress("verify-export") as report_progress:
        report = check(directory, pubkey, progress=report_progress)
    passed = not report.problems and (report.complete or allow_unchecked)
    if report.problems or passed or not human(fmt, output):  # else only the Error line
        emit_verdict(report.table(), fmt, output, passed)
    if not report.ok:
        first = report.problems[0].message
        raise CliError(
            f"verify-export failed: {len(report.problems)} problem(s); first: {first}",
            EXIT_INTEGRITY,
        )
    if not report.complete and not allow_unchecked:
        raise CliError(
            f"verify-export could not check every file: NOT CHECKED: {report.unchecked_text()}; "
            "nothing else was wrong (pass --allow-unchecked to accept that)",
            EXIT_ERROR,
        )
