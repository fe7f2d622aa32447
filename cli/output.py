"""Render a ``ledger.tabular.Table`` as table, json, jsonl, csv or markdown, to stdout or -o FILE.

JSON is ``{"meta": {...}, "<name>": [rows]}`` with decimals as strings; JSON Lines is one row
per line; CSV has a header row (nested values as JSON text); markdown is a pipe table.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import orjson

from ledger.tabular import Table

FORMATS = ("table", "json", "jsonl", "csv", "markdown")
EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".md": "markdown",
    ".txt": "table",
}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "value"):  # enums
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(value: Any, indent: bool = True) -> str:
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(value, default=_default, option=option | orjson.OPT_NON_STR_KEYS).decode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list | tuple):
        return to_json(value, indent=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value.value if hasattr(value, "value") and not isinstance(value, str) else value)


def render(table: Table, fmt: str) -> str:
    """The text of ``table`` in ``fmt``."""
    if fmt == "json" and table.document is not None:
        return to_json(table.document) + "\n"
    if fmt == "json":
        return to_json({"meta": table.meta, table.name: table.rows}) + "\n"
    if fmt == "jsonl":
        return "".join(to_json(row, indent=False) + "\n" for row in table.rows)
    columns = table.columns
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in table.rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return buffer.getvalue()
    cells = [[_cell(row.get(c)).replace("\n", " ") for c in columns] for row in table.rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines) + "\n" + (f"\n{table.caption}\n" if table.caption else "")
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    right = [all(_is_number(row.get(c)) for row in table.rows) and table.rows for c in columns]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ).rstrip()

    out = [line(columns), line(["-" * w for w in widths])] + [line(row) for row in cells]
    if table.caption:
        out += ["", table.caption]
    return "\n".join(out) + "\n"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool) or value is None


def format_from(fmt: str | None, output: str | None) -> str:
    if fmt:
        return fmt
    if output and output != "-":
        return EXTENSIONS.get(Path(output).suffix.lower(), "table")
    return "table"


def emit(table: Table, fmt: str | None, output: str | None) -> None:
    """Write ``table`` to ``output`` (a file, or stdout for None/"-"); messages go to stderr."""
    text = render(table, format_from(fmt, output))
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8", newline="")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
