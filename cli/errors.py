"""One mapping from ledger errors to a one-line message and an exit code.

0 ok · 1 operational error · 2 bad input or usage · 3 integrity failure · 4 differences found
(``diff --exit-code``). Set ``DEFLEDGER_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

T = TypeVar("T")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INPUT = 2
EXIT_INTEGRITY = 3
EXIT_DIFFERENCES = 4


# click's usage errors quote the value or argument they refuse whole (a 100 KB argument, a
# 100 KB line); ours quote through ``events.quoting``. Longer than this is cut.
MAX_USAGE_MESSAGE = 300


def _clip(message: str, limit: int) -> str:
    from events.quoting import clipped  # only on this path: events loads pydantic

    return clipped(message, limit)


class CliError(click.ClickException):
    """A one-line error with a chosen exit code (no usage banner)."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        # click types exit_code as a ClassVar, yet reads it from the instance it catches
        self.exit_code = exit_code  # type: ignore[misc]


def run_guarded(action: Callable[[], T]) -> T:
    """Run a command; turn ledger and unexpected errors into ``CliError``."""
    from ledger.errors import LedgerError

    try:
        return action()
    except LedgerError as exc:
        raise CliError(str(exc).replace("\n", " "), exc.exit_code) from exc
    except CliError:
        raise
    except click.ClickException as exc:  # click's own usage errors echo what was typed
        # click types message as Final; clipped in place, the error keeps its usage hint
        exc.message = _clip(exc.message, MAX_USAGE_MESSAGE)  # type: ignore[misc]
        raise
    except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
        raise
    except OSError as exc:
        from events.quoting import path_named

        raise CliError(
            f"{exc.strerror or exc}: {path_named(exc.filename)}" if exc.filename else str(exc)
        ) from exc
    except Exception as exc:
        if os.environ.get("DEFLEDGER_DEBUG"):
            raise
        message = f"internal error: {type(exc).__name__}: {exc}".replace("\n", " ")
        raise CliError(message + " (set DEFLEDGER_DEBUG=1 for details)") from exc


def fail(message: str, exit_code: int = EXIT_INPUT) -> Any:
    raise CliError(message, exit_code)
