"""Domain errors. Driver errors (sqlite3, psycopg, SQLAlchemy) are translated into these in the
store, once; nothing above the store sees a driver exception. The CLI maps each class to an
exit code (see ``EXIT_CODE``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from events.quoting import named

if TYPE_CHECKING:
    from pydantic import ValidationError


class LedgerError(Exception):
    """Base of every error the ledger reports to a user."""

    exit_code = 1


class InvalidInput(LedgerError):
    """Input that cannot be accepted (a bad value, an unknown reference, a bad file row)."""

    exit_code = 2

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class NotFound(InvalidInput):
    """A referenced event, definition, line or figure does not exist."""


class ConcurrencyConflict(LedgerError):
    """A stream was not at the version the append expected (someone else wrote first)."""


class DuplicateEvent(LedgerError):
    """An idempotency key was reused for a different event."""


class StorageFull(LedgerError):
    """The database or disk is full; nothing of the failed write was stored."""


class StoreBusy(LedgerError):
    """The database stayed locked by another writer beyond the timeout."""


class AppendOnlyViolation(LedgerError):
    """Something tried to update or delete a stored event; the database refused."""


class StoreError(LedgerError):
    """Any other failure of the database."""


class ReadOnlyLedger(StoreError):
    """A write to a ledger that can only be read (read-only media, directory or file, or a
    store opened read-only); nothing was written."""


class ConnectionLost(StoreError):
    """The connection to the database server broke during a command (the server stopped,
    crashed or became unreachable). ``what`` says what happened, in a few words."""

    def __init__(self, message: str, what: str = "") -> None:
        self.what = what
        super().__init__(message)


class IntegrityFailure(LedgerError):
    """The stored history does not verify (hash chain, digest, proof, export)."""

    exit_code = 3


MAX_DESCRIBED = 5  # field errors named in one message; the rest are counted


def describe_validation_error(error: ValidationError) -> str:
    """One line from a pydantic error: ``amount: amounts must be exact ...; stage: ...``.

    At most ``MAX_DESCRIBED`` field errors, each location part (a key the input chose, for an
    unknown field) clipped like any quoted value."""
    parts = []
    items = error.errors(include_url=False, include_input=False, include_context=False)
    for item in items[:MAX_DESCRIBED]:
        location = ".".join(
            named(str(p)) for p in item["loc"] if not str(p).startswith("function-")
        )
        location = (
            location.split(".", 1)[1] if location[:1].isupper() and "." in location else location
        )
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    if len(items) > MAX_DESCRIBED:
        parts.append(f"and {len(items) - MAX_DESCRIBED} more")
    return "; ".join(parts)
