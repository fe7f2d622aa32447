"""The ``defledger`` command: a click group whose sub-commands load lazily (fast ``--help``).

Commands parse options, call ``ledger``, and render; every ``LedgerError`` is turned into one
``Error: …`` line and the exit code of its class, here and only here.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any

import click

from cli.errors import run_guarded

# command name -> "module:function" (imported only when the command runs or is listed)
COMMANDS: dict[str, str] = {
    "init": "cli.io:init",
    "record": "cli.record:record",
    "import": "cli.io:import_",
    "log": "cli.history:log",
    "show": "cli.history:show",
    "verify": "cli.audit:verify",
    "digest": "cli.audit:digest",
    "copy": "cli.admin:copy",
    "db": "cli.admin:db",
    "totals": "cli.totals:totals",
    "replay": "cli.totals:replay",
    "trace": "cli.totals:trace",
    "explain": "cli.totals:explain",
    "rebuild": "cli.totals:rebuild",
    "keygen": "cli.proofs:keygen",
    "checkpoint": "cli.proofs:checkpoint",
    "prove": "cli.proofs:prove",
    "verify-proof": "cli.proofs:verify_proof",
    "export": "cli.export:export",
    "verify-export": "cli.export:verify_export",
    "diff": "cli.diff:diff",
    "what-if": "cli.diff:what_if",
    "demo": "cli.demo:demo",
    "claims": "cli.claims:claims",
    "definition": "cli.definitions:definition",
    "reconcile": "cli.reconcile:reconcile",
    "programmes": "cli.programmes:programmes",
    "obligations": "cli.programmes:obligations",
    "serve": "cli.web.commands:serve",
    "site": "cli.web.commands:site",
}
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        from cli.terminal import add_global_options

        add_global_options(command)  # -q, -v, --no-pager, … also after the command's name
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from cli.options import refuse_nul

        refuse_nul(args)  # the root group sees every argument of every command
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        return run_guarded(lambda: super(LazyGroup, self).invoke(ctx))


def _finite(value: float | None) -> float | None:
    if value is not None and value != value:  # NaN passes a FloatRange
        raise click.BadParameter("not a number")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("defledger")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0+unknown"


def _global_options(command: Any) -> Any:
    from cli.terminal import global_params

    command.params.extend(global_params())
    return command


@_global_options
@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--db",
    envvar="DEFLEDGER_DB",
    show_envvar=True,
    metavar="PATH|URL",
    help="Ledger database: a SQLite file path or a URL (postgresql+psycopg://…). "
    "Default: ./defledger.db",
)
@click.option(
    "--lock-timeout",
    envvar="DEFLEDGER_LOCK_TIMEOUT",
    show_envvar=True,
    type=click.FloatRange(min=0, max=1_000_000),
    metavar="SECONDS",
    callback=lambda _ctx, _param, value: _finite(value),
    help="How long a write waits for another writer to finish before giving up (0: not at "
    "all). After a second of waiting it says so on stderr. Default: 60",
)
@click.version_option(version=_version(), prog_name="defledger", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, db: str | None, lock_timeout: float | None) -> None:
    """defledger — an append-only, hash-chained audit ledger of what counts as
    defense-related expenditure, and of every budget figure it counts.

    Every definition change and figure is an immutable event; totals, shares of GDP and diffs
    are computed from the events, as of any moment, and the history can be verified.

    Data goes to stdout, messages to stderr; --format or the extension of -o FILE picks the
    format (docs/output.md). -q, -v, --no-pager, --no-color and --progress may also follow
    the command's name. Shell completion: eval "$(_DEFLEDGER_COMPLETE=bash_source defledger)"
    (zsh_source, fish_source).

    \b
    Examples:
      defledger demo
      defledger totals --fy FY2025 --unit T
      defledger log -n 5 --no-pager
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    ctx.obj["lock_timeout"] = lock_timeout
    _driver_logs_kept_off_stderr()


def _driver_logs_kept_off_stderr() -> None:
    """The database drivers' own log lines (psycopg's "error ignored terminating Pipeline"
    as the server goes away) never reach the user: the one ``Error:`` line says what
    happened. Python would print a library's warning to stderr when nothing handles it."""
    for name in ("psycopg", "sqlalchemy"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def main() -> None:
    """Console entry point."""
    cli.main(prog_name="defledger", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = ["cli", "main", "os"]
