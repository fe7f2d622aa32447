"""Option decorators and parameter types shared by commands, the checks every argument
passes before any command sees it, and opening the ledger the global options name."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from cli.errors import EXIT_INPUT, CliError
from cli.output import TABLE_FORMATS

if TYPE_CHECKING:
    from ledger.storage.store import EventStore

F = Callable[..., Any]
WAITING = "waiting for another writer…"

# The largest seq, count or position a ledger can hold: SQLite's INTEGER and PostgreSQL's bigint.
MAX_SEQ = 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")


class BoundedInt(click.IntRange):
    """An integer parameter bounded at both ends. Every integer option and argument uses it, so
    no value reaches a command that the database, a ``deque`` or a loop cannot take (an
    unbounded ``int`` ends in ``OverflowError`` or in memory without limit), and an error
    quotes at most a short prefix of what was typed."""

    def __init__(self, min: int, max: int) -> None:  # both ends, always
        super().__init__(min, max)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return super().convert(value, param, ctx)
        from events.quoting import clipped, quoted  # only now: events loads pydantic

        text = str(value).strip()
        if not _INTEGER.fullmatch(text):
            self.fail(f"{quoted(value)} is not an integer", param, ctx)
        if len(text.lstrip("+-").lstrip("0")) > len(str(MAX_SEQ)):  # no int() of 1e5 digits
            self.fail(f"{clipped(text)} is not in the range {self._describe_range()}.", param, ctx)
        return super().convert(int(text), param, ctx)

    def _describe_range(self) -> str:
        return super()._describe_range().replace(str(MAX_SEQ), "2^63-1")


SEQ = BoundedInt(1, MAX_SEQ)


def refuse_nul(args: Sequence[str]) -> None:
    """No argument may hold a NUL character: no path, database or text can carry one (the OS
    and PostgreSQL refuse it; ``events.base`` refuses it in every text). One check, before
    parsing, for every command; the error names the option it was given to."""
    for index, arg in enumerate(args):
        if "\x00" not in arg:
            continue
        from events.quoting import named, quoted  # only now: events loads pydantic

        if arg.startswith("--") and "=" in arg:
            where, arg = arg.split("=", 1)
            where = named(where)
        elif index > 0 and args[index - 1].startswith("-") and "\x00" not in args[index - 1]:
            where = named(args[index - 1])
        else:
            where = f"argument {index + 1}"
        raise CliError(
            f"{where}: {quoted(arg)} holds a NUL character, which no argument may contain",
            EXIT_INPUT,
        )


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
        type=click.Choice(TABLE_FORMATS),
        default=None,
        help="Output format (default: table, or from the -o extension).",
    )(command)


def jurisdiction_option(command: F) -> F:
    """``-j/--jurisdiction``: repeatable, or ``all``; the default is the ledger's."""
    return click.option(
        "-j",
        "--jurisdiction",
        "jurisdictions",
        multiple=True,
        metavar="CODE|all",
        help="ISO 3166-1 alpha-2 code (repeatable, or comma-separated), or all: every "
        "jurisdiction with budget lines. Default: the ledger's (init --jurisdiction), else the "
        "only one with budget lines.",
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
    work on read-only media and can never write). ``with open_store(ctx) as store:`` closes it
    however the block ends."""
    from ledger.storage.store import EventStore

    obj = ctx.find_root().obj or {}
    timeout = obj.get("lock_timeout")
    return EventStore.open(
        obj.get("db"),
        create=create,
        read_only=read_only,
        on_wait=None if quiet else lambda: click.echo(WAITING, err=True),
        **({} if timeout is None else {"lock_timeout": timeout}),
    )
