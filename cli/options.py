"""Option decorators and parameter types shared by commands, the checks every argument
passes before any command sees it, and opening the ledger the global options name.

A command that prints data takes ``@output_options`` (``--format`` from its formats, ``-o``);
one that prints amounts or shares also ``@number_options`` (``--unit``, ``--places``). Flags
are spelled one way everywhere — ``--fy``, ``NAME@N``, ``-j/--jurisdiction``, ``--stages``
(repeatable, or comma-separated: ``stages_option``); an old spelling stays accepted, hidden,
for one release with a warning on stderr (``old_spellings``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, overload

import click

from cli.errors import EXIT_INPUT, CliError
from cli.output import FORMATS, TABLE_FORMATS
from cli.terminal import settings

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
_EVENT_ID = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")


class SeqOrEventId(click.types.StringParamType):
    """A seq (bounded as ``SEQ``; ``#105`` too) or an event id, checked before any command
    runs; the value is the text, for ``ledger.queries.asof.seq_named``."""

    name = "seq|event-id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if _EVENT_ID.fullmatch(text):
            return text
        if _INTEGER.fullmatch(text.lstrip("#")):
            return str(SEQ.convert(text.lstrip("#"), param, ctx))
        from events.quoting import quoted

        self.fail(f"{quoted(value)} is not a seq or an event id", param, ctx)


SEQ_OR_EVENT_ID = SeqOrEventId()


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


@overload
def output_options(command: F) -> F: ...


@overload
def output_options(
    command: None = None, *, formats: Sequence[str] = ..., output_help: str | None = ...
) -> Callable[[F], F]: ...


def output_options(
    command: F | None = None,
    *,
    formats: Sequence[str] = TABLE_FORMATS,
    output_help: str | None = None,
) -> F | Callable[[F], F]:
    """``--format`` (one of ``formats``, the first the default) and ``-o/--output`` for every
    command that prints data: ``@output_options`` or ``@output_options(formats=...)``."""

    def decorate(command: F) -> F:
        extensions = " ".join(FORMATS[name].extensions[0] for name in formats)
        command = click.option(
            "-o",
            "--output",
            metavar="FILE",
            help=output_help
            or f"Write to FILE instead of stdout; its extension ({extensions}) picks the format "
            "unless --format does.",
        )(command)
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(formats)),
            default=None,
            help=f"Output format (default: {formats[0]}, or from the -o extension).",
        )(command)

    return decorate(command) if command is not None else decorate


def _store_unit(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    from ledger.numbers import parse_unit

    try:
        settings(ctx).unit = parse_unit(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc).replace("'", ""), ctx, param) from exc


def unit_option(command: F) -> F:
    """``--unit T|B|M|k|1``: amounts in tables for people, in that unit (exact in JSON/CSV)."""
    return click.option(
        "--unit",
        metavar="T|B|M|k|1",
        expose_value=False,
        callback=_store_unit,
        help="Show amounts in trillions, billions, millions, thousands or units (default: 1, "
        "exact); the header names the unit (JPY T). JSON, CSV and XLSX stay exact.",
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


def places_option(expose: bool = False) -> Callable[[F], F]:
    """``--places N``: decimals of shares of GDP and percentage points shown to people."""
    from ledger.numbers import MAX_PLACES, PLACES

    def store(ctx: click.Context, param: click.Parameter, value: int) -> int:
        settings(ctx).places = value
        return value

    return click.option(
        "--places",
        type=BoundedInt(0, MAX_PLACES),
        default=PLACES,
        show_default=True,
        expose_value=expose,
        callback=store,
        help="Decimal places of shares (%) and percentage points shown (rounded half-up; JSON "
        "also has the exact value).",
    )


def number_options(command: F) -> F:
    """``--unit`` and ``--places`` for a command that shows amounts or shares."""
    return unit_option(places_option()(command))


# events.Stage's values, earliest first (tests/test_cli_flags.py keeps them equal): spelled
# here so that no command's options load pydantic to be built
STAGES = ("plan", "request", "draft", "initial", "supplementary", "estimate", "settled")


def _stages(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for given in value:
        for part in given.split(","):
            stage = part.strip().lower()
            if not stage:
                continue
            if stage not in STAGES:
                from events.quoting import quoted

                raise click.BadParameter(
                    f"{quoted(part.strip())} is not a stage ({', '.join(STAGES)})", ctx, param
                )
            if stage not in found:
                found.append(stage)
    return tuple(found)


def stages_option(name: str = "stages", help: str = "Budget stages") -> Callable[[F], F]:
    """``--stages``: repeatable and/or comma-separated (``--stages initial,supplementary`` is
    ``--stages initial --stages supplementary``); a tuple of stages, in the order given."""
    return click.option(
        "--stages",
        name,
        multiple=True,
        metavar="STAGE[,STAGE…]",
        callback=_stages,
        help=f"{help} ({', '.join(STAGES)}); repeat it or separate with commas.",
    )


def old_spellings(renamed: dict[str, str]) -> Callable[[click.Command], click.Command]:
    """Accept ``renamed``'s old flags (``{"--stage": "--stages"}``) for one more release: each
    is read as its new spelling, with a warning on stderr, and is not in ``--help``."""

    def decorate(command: click.Command) -> click.Command:
        original = command.parse_args

        def parse_args(ctx: click.Context, args: list[str]) -> list[str]:
            rewritten: list[str] = []
            for index, arg in enumerate(args):
                if arg == "--":
                    rewritten += args[index:]
                    break
                flag, eq, rest = arg.partition("=")
                if flag in renamed:
                    click.echo(
                        f"warning: {flag} is deprecated, use {renamed[flag]} (the old spelling "
                        "goes in the next release)",
                        err=True,
                    )
                    arg = renamed[flag] + eq + rest
                rewritten.append(arg)
            return original(ctx, rewritten)

        command.parse_args = parse_args  # type: ignore[method-assign]
        return command

    return decorate


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
