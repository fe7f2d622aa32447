"""Option decorators shared by commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from cli.output import FORMATS

F = Callable[..., Any]


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
