"""``log`` and ``show``."""

from __future__ import annotations

import click

from cli.options import SEQ, SEQ_OR_EVENT_ID, open_store, output_options
from cli.output import emit, format_from

REV = "SEQ|ISO-TIME|EVENT-ID"


@click.command()
@click.option(
    "--stream", help="Only this stream (a trailing * matches a prefix: line/JP/FY2025/*)."
)
@click.option("--type", "types", multiple=True, help="Only events of this type (repeatable).")
@click.option("--since", metavar=REV, help="From this seq or event on, or recorded at or after.")
@click.option("--until", metavar=REV, help="Up to this seq or event, or recorded at or before.")
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
    ``import`` reads back. A table fits the terminal (long text is cut with …; the JSON,
    JSON Lines and CSV keep it whole).

    \b
    Examples:
      defledger log -n 5
      defledger log --since 100 --until 105 --type CategoryIncluded
      defledger log --stream 'line/JP/FY2025/*' --format jsonl -o lines.jsonl
    """
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
@click.argument("rev", metavar="SEQ|EVENT-ID", type=SEQ_OR_EVENT_ID)
@output_options
@click.pass_context
def show(ctx: click.Context, rev: str, fmt: str | None, output: str | None) -> None:
    """One event (by seq or event id) with its whole envelope: payload, provenance, hashes.

    \b
    Examples:
      defledger show 105
      defledger show 105 --format json
    """
    from ledger.queries.history import show_table

    with open_store(ctx, read_only=True) as store:
        table = show_table(store, rev)
    emit(table, fmt, output)
