"""A request's query parameters, checked before any page or API route uses them: each route
names the parameters it takes; an unknown one, one given twice that is taken once, an over-long
value, a NUL, or an integer out of its range is an ``HttpError`` (400) with one clear line."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from events.quoting import clipped, quoted

MAX_VALUE = 300  # characters of one parameter value
MAX_VALUES = 50  # values of one repeatable parameter
TRUE, FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


class HttpError(Exception):
    """A request that cannot be answered: its HTTP status and one line saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad(message: str) -> HttpError:
    return HttpError(400, message)


class Params:
    """The parameters of one request, after checking them against ``allowed`` (name → whether
    it may be repeated)."""

    def __init__(self, args: MultiDict[str, str], allowed: Mapping[str, bool]) -> None:
        for name in args:
            if name not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise bad(f"unknown parameter {quoted(name)} (this page takes: {known})")
            values = args.getlist(name)
            if len(values) > 1 and not allowed[name]:
                raise bad(f"parameter {name} is given {len(values)} times; give it once")
            if len(values) > MAX_VALUES:
                raise bad(f"parameter {name} is given more than {MAX_VALUES} times")
            for value in values:
                if "\x00" in value:
                    raise bad(f"parameter {name} holds a NUL character")
                if len(value) > MAX_VALUE:
                    raise bad(f"parameter {name} is longer than {MAX_VALUE} characters")
        self._args = args

    def get(self, name: str) -> str | None:
        """The value, stripped; None when absent or empty."""
        value = self._args.get(name)
        return value.strip() or None if value is not None else None

    def all(self, name: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in self._args.getlist(name) if v.strip())

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        text = self.get(name)
        if text is None:
            return default
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            raise bad(f"parameter {name}: {quoted(text)} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise bad(f"parameter {name}: {clipped(text)} is not in {low}..{high}")
        return value

    def flag(self, name: str) -> bool:
        text = (self.get(name) or "").lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise bad(f"parameter {name}: {quoted(text)} is not 1 or 0")

    def choice(self, name: str, options: tuple[str, ...]) -> str:
        """One of ``options`` (the first when absent)."""
        text = self.get(name)
        if text is None:
            return options[0]
        if text not in options:
            raise bad(f"parameter {name}: {quoted(text)} is not one of {', '.join(options)}")
        return text
