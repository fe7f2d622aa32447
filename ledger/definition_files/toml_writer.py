"""A small deterministic TOML writer: the normal form of a definition file.

The data is a mapping of plain values (str, int, Decimal, bool, lists of str), tables (a
mapping of plain values), tables of tables (a mapping of mappings, written ``[name.key]``) and
arrays of tables (a list of mappings, ``[[name]]``), in the order given. Strings are TOML basic
strings, escaped; one longer than the line allows is written as a multi-line basic string
folded at spaces with line-ending backslashes, which TOML joins back exactly (a fold is only
made where the next character is not whitespace, so no character is lost). Decimals are written
as TOML numbers in their canonical spelling (``0.5``, ``3.5``, ``1``): ``tomllib.loads(text,
parse_float=Decimal)`` reads them back exactly. The same data always gives the same bytes.

Why not ``tomli-w``: it writes a long text on one line and has no comments; a definition file
is read and argued about by people, and its normal form is defined here, in 100 lines, with no
new dependency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

WIDTH = 100
INDENT = "    "
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}  # fmt: skip


def key(name: str) -> str:
    """A bare key when TOML allows one, else a quoted key."""
    return name if _BARE.fullmatch(name) else f'"{escape(name)}"'


def escape(text: str) -> str:
    """The body of a TOML basic string: quotes, backslashes and control characters escaped;
    everything else (Japanese text too) as it is."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _folds(body: str, width: int) -> list[str]:
    """``body`` cut into pieces of at most ``width`` characters where possible, each cut after
    a space and before a character that is not one (TOML trims whitespace after a
    line-ending backslash, so a piece must not start with it)."""
    cuts = [i for i in range(1, len(body)) if body[i - 1] == " " and body[i] != " "]
    pieces, start = [], 0
    while len(body) - start > width:
        fitting = [i for i in cuts if start < i <= start + width]
        later = [i for i in cuts if i > start]
        if not fitting and not later:
            break
        cut = fitting[-1] if fitting else later[0]
        pieces.append(body[start:cut])
        start = cut
    pieces.append(body[start:])
    return pieces


def string(text: str, room: int) -> str:
    """A TOML string for ``text``: on one line if it fits in ``room`` columns, else folded."""
    body = escape(text)
    if len(body) + 2 <= room:
        return f'"{body}"'
    if body.startswith(" "):  # a fold would trim it: spell it as an escape
        body = "\\u0020" + body[1:]
    width = WIDTH - len(INDENT) - 3  # room for the closing quotes on the last line
    pieces = _folds(body, width)
    if len(pieces) == 1 and len(body) > width:  # no space to fold at: one long line
        return f'"{body}"'
    lines = [INDENT + piece + "\\" for piece in pieces[:-1]] + [INDENT + pieces[-1] + '"""']
    return '"""\\\n' + "\n".join(lines)


def value(item: Any, room: int) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, Decimal):
        return format(item, "f")
    if isinstance(item, str):
        return string(item, room)
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(x, WIDTH) for x in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} as a TOML value")


def _pairs(table: Mapping[str, Any]) -> list[str]:
    lines = []
    for name, item in table.items():
        left = f"{key(name)} = "
        lines.append(left + value(item, WIDTH - len(left)))
    return lines


def _is_table(item: Any) -> bool:
    return isinstance(item, Mapping)


def dumps(data: Mapping[str, Any], comment: str = "") -> str:
    """The TOML text of ``data``: an optional comment line, the plain values, then each table
    after a blank line."""
    lines = [f"# {comment}"] if comment else []
    plain = {k: v for k, v in data.items() if not _is_table(v) and not _is_tables(v)}
    lines += _pairs(plain)
    for name, item in data.items():
        if name in plain:
            continue
        if isinstance(item, list):
            for table in item:
                lines += ["", f"[[{key(name)}]]", *_pairs(table)]
        elif all(_is_table(v) for v in item.values()) and item:
            for sub, table in item.items():
                lines += ["", f"[{key(name)}.{key(sub)}]", *_pairs(table)]
        else:
            lines += ["", f"[{key(name)}]", *_pairs(item)]
    return "\n".join(lines) + "\n"


def _is_tables(item: Any) -> bool:
    return isinstance(item, list) and bool(item) and all(_is_table(x) for x in item)
