"""Transaction time (``recorded_at``): hashed as text, stored as an integer.

The envelope carries ``recorded_at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC, microseconds: fixed
width, so text order is time order). The ``events`` table stores the same instant as integer
microseconds since 1970-01-01T00:00:00Z (8 bytes instead of 27, and compared as a number); every
read turns it back into exactly that text, which is what the chain hashes. The two forms are one
to one for the years 1000-9999; ``text_of`` and ``micros_of`` are each other's inverse there
(``tests/test_times.py``). Standard library only: ``ledger.audit.scan``'s workers import it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from events.quoting import quoted

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ORDINAL_1970 = date(1970, 1, 1).toordinal()
_MICRO = timedelta(microseconds=1)
_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z")
MIN_MICROS = (datetime(1000, 1, 1, tzinfo=UTC) - EPOCH) // _MICRO
MAX_MICROS = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH) // _MICRO


@lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return date.fromordinal(_ORDINAL_1970 + days).isoformat()


def text_of(micros: int) -> str:
    """The stored integer as the envelope's text. ``ValueError`` outside the years 1000-9999,
    ``TypeError`` for anything but an int (a hand-edited row)."""
    if micros.__class__ is not int:
        raise TypeError(f"a stored time is an integer, not {type(micros).__name__}")
    if not MIN_MICROS <= micros <= MAX_MICROS:
        raise ValueError(f"{micros} is outside the years 1000-9999")
    seconds, fraction = divmod(micros, 1_000_000)
    days, second = divmod(seconds, 86_400)
    hour, rest = divmod(second, 3600)
    minute, sec = divmod(rest, 60)
    return f"{_day(days)}T{hour:02d}:{minute:02d}:{sec:02d}.{fraction:06d}Z"


# Reads format the same few values again and again (the events of one append share a time).
cached_text_of = lru_cache(maxsize=1024, typed=True)(text_of)  # typed: 1.0, True are not 1


def micros_of(text: str) -> int:
    """The envelope's text as the stored integer; ``ValueError`` unless ``text`` is exactly in
    the stored form."""
    match = _TEXT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{quoted(text)} is not a time as stored (YYYY-MM-DDTHH:MM:SS.ffffffZ)")
    year, month, day, hour, minute, second, micro = (int(part) for part in match.groups())
    moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    return (moment - EPOCH) // _MICRO


def micros_at(moment: datetime) -> int:
    """A timezone-aware moment as the stored integer (naive is refused: times are UTC)."""
    if moment.tzinfo is None:
        raise ValueError("a transaction time must carry its time zone")
    return (moment - EPOCH) // _MICRO
