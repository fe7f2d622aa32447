"""Option decorators shared by commands, and opening the ledger the global options name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from cli.output import FORMATS

if TYPE_CHECKING:
    from ledger.store import EventStore

F = Callable[..., Any]
WAITING = "waiting for another writer…"


def output_options(command: F) -> F:
    """``--format`` and ``-o/--output`` for every read command."""
    command = click.option(
        "-o",
        "--output",
        metavar="FILE",
        help="Write to FILE instead of stdout (format from its extension unless --format).",
    )(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Output format (default: table, or from the -o extension).",
    )(command)


def as_of_option(command: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        metavar="SEQ|ISO-TIME|EVENT-ID",
        help="What the ledger knew then: a seq, an ISO 8601 time, or an event id.",
    )(command)


def db_of(ctx: click.Context) -> str | None:
    obj = ctx.find_root().obj or {}
    return obj.get("db")


def open_store(
    ctx: click.Context, *, create: bool = False, read_only: bool = False, quiet: bool = False
) -> EventStore:
    """The ledger of ``--db``, with ``--lock-timeout``; a write that waits for another writer
    says so on stderr (unless ``quiet``). ``read_only`` for commands that only read (they then
    work on read-only media and can never write)."""
    from ledger.store import EventStore

    obj = ctx.find_root().obj or {}
    timeout = obj.get("lock_timeout")
    return EventStore.open(
        obj.get("db"),
        create=create,
        read_only=read_only,
        on_wait=None if quiet else lambda: click.echo(WAITING, err=True),
        **({} if timeout is None else {"lock_timeout": timeout}),
    )
