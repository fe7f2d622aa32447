"""``verify`` and ``digest``."""

from __future__ import annotations

from pathlib import Path

import click

from cli.errors import EXIT_INTEGRITY, CliError
from cli.options import db_of, output_options
from cli.output import emit


@click.command()
@click.option(
    "--digest",
    "digest_value",
    metavar="FILE|JSON",
    help="A digest kept earlier (file or JSON text); fails if the ledger no longer holds that prefix.",
)
@output_options
@click.pass_context
def verify(ctx: click.Context, digest_value: str | None, fmt: str | None, output: str | None) -> None:
    """Recompute the hash chain and check seq and stream versions; exit 3 on any problem.

    Without --digest this cannot notice events removed from the end (nothing inside the database
    says how long it was): keep a digest or a checkpoint for that."""
    from ledger.store import EventStore
    from ledger.tabular import Table
    from ledger.verify import verify_ledger

    text = None
    if digest_value is not None:
        path = Path(digest_value)
        text = path.read_text(encoding="utf-8") if not digest_value.lstrip().startswith("{") else digest_value
    store = EventStore.open(db_of(ctx))
    try:
        report = verify_ledger(store, text)
    finally:
        store.close()
    rows = [{"seq": p.seq, "kind": p.kind, "message": p.message} for p in report.problems]
    meta = {
        "ok": report.ok,
        "checked": report.checked,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "first_bad_seq": report.first_bad_seq,
    }
    if report.ok:
        caption = f"ok: {report.checked} events verified, head seq {report.head_seq} {report.head_hash}"
    else:
        caption = f"FAILED: first bad seq {report.first_bad_seq}"
    if rows or fmt not in (None, "table"):
        emit(Table("problems", ["seq", "kind", "message"], rows, meta, caption), fmt, output)
    if not report.ok:
        raise CliError(f"verification failed at seq {report.first_bad_seq}: {report.problems[0].message}", EXIT_INTEGRITY)
    click.echo(caption, err=fmt not in (None, "table"))


@click.command()
@output_options
@click.pass_context
def digest(ctx: click.Context, fmt: str | None, output: str | None) -> None:
    """Print the head's {seq, hash, recorded_at}: keep it; ``verify --digest`` checks it later."""
    from cli.output import to_json
    from ledger.store import EventStore
    from ledger.tabular import Table
    from ledger.verify import digest as head_digest

    store = EventStore.open(db_of(ctx))
    try:
        value = head_digest(store)
    finally:
        store.close()
    if fmt in (None, "json") and (output is None or output.endswith(".json") or fmt == "json"):
        text = to_json(value, indent=False) + "\n"
        if output and output != "-":
            Path(output).write_text(text, encoding="utf-8")
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(text, nl=False)
        return
    emit(Table("digest", ["seq", "hash", "recorded_at"], [value], {}), fmt, output)
