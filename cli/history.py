"""``log`` and ``show``."""

from __future__ import annotations

import click

from cli.options import SEQ, open_store, output_options
from cli.output import emit, format_from


@click.command()
@click.option(
    "--stream", help="Only this stream (a trailing * matches a prefix: line/JP/FY2025/*)."
)
@click.option("--type", "types", multiple=True, help="Only events of this type (repeatable).")
@click.option("--since", metavar="ISO-TIME", help="Recorded at or after this time.")
@click.option("--until", metavar="ISO-TIME", help="Recorded at or before this time.")
@click.option("--actor", help="Only events recorded by this actor.")
@click.option("-n", "limit", type=SEQ, help="Only the last N matching events.")
@output_options
@click.pass_context
def log(
    ctx: click.Context,
    stream: str | None,
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    actor: str | None,
    limit: int | None,
    fmt: str | None,
    output: str | None,
) -> None:
    """The history, oldest first. ``--format jsonl`` prints every event in full, in the form
    ``import`` reads back."""
    from ledger.queries.history import log_table

    with open_store(ctx, read_only=True) as store:
        chosen = format_from(fmt, output)
        table = log_table(
            store,
            limit=limit,
            full=chosen in ("jsonl", "json"),
            streamed=chosen in ("jsonl", "csv"),  # written as read: memory flat in the ledger
            stream=stream,
            types=types,
            actor=actor,
            since=since,
            until=until,
        )
        emit(table, fmt, output)


@click.command()
@click.argument("seq", type=SEQ)
@output_options
@click.pass_context
def show(ctx: click.Context, seq: int, fmt: str | None, output: str | None) -> None:
    """One event with its whole envelope: payload, provenance, hashes."""
    from ledger.queries.history import show_table

    with open_store(ctx, read_only=True) as store:
        table = show_table(store, seq)
    emit(table, fmt, output)
