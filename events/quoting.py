"""How an error message quotes a value it was given: one short line, whatever the value.

A message that repeats its input whole can be 100 KB long (a 100,000-digit amount), span lines,
or fail itself (an integer too long to print). ``quoted`` is the one helper every error message
uses for a user's value: the ``repr`` of at most ``MAX_QUOTED`` characters of it, then how long
it was (``clipped``: the same without the quotes, for a number).
"""

from __future__ import annotations

import reprlib
from typing import Any

MAX_QUOTED = 60
MAX_PATH_SHOWN = 300  # a path is worth more characters than a value: its end names the file

_SHORT = reprlib.Repr()
_SHORT.maxlevel = 2
_SHORT.maxstring = MAX_QUOTED
_SHORT.maxother = MAX_QUOTED
_SHORT.maxlong = MAX_QUOTED
for _name in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque"):
    setattr(_SHORT, _name, 4)


def quoted(value: Any, limit: int = MAX_QUOTED) -> str:
    """``'abc'`` for a short value; ``'abcd…'…(100,000 chars)`` for a long string; a short
    form of anything else (nested values elided, huge integers by their length). Always one
    line: ``repr`` escapes newlines and control characters."""
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}…({len(value):,} chars)"
    if isinstance(value, int) and not isinstance(value, bool):
        digits = _digits(value)
        return str(value) if digits <= limit else f"an integer of {digits:,} digits"
    text = _SHORT.repr(value)
    return text if len(text) <= limit + 20 else text[:limit] + "…"


def named(text: str, limit: int = MAX_QUOTED) -> str:
    """A name or path as typed when it is short and printable (``kept.checkpoint``), else
    ``quoted``: a message can name what the user gave without quotes around every name."""
    return text if len(text) <= limit and text.isprintable() else quoted(text, limit)


def path_named(path: object) -> str:
    """A file or directory path for a message: ``named`` with room for a long path."""
    return named(str(path), MAX_PATH_SHOWN)


def clipped(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` as it is when short (a number, a name), else its first ``limit`` characters and
    how long it was. For text already known to be one line; anything else goes to ``quoted``."""
    return text if len(text) <= limit else f"{text[:limit]}…({len(text):,} chars)"


def _digits(value: int) -> int:
    """Decimal digits of ``value`` without printing it (``str`` refuses over 4,300 digits)."""
    magnitude = abs(value)
    if magnitude < 10**18:
        return len(str(magnitude))
    estimate = int(magnitude.bit_length() * 0.30102999566398120) + 1  # log10(2)
    return estimate if magnitude >= 10 ** (estimate - 1) else estimate - 1
