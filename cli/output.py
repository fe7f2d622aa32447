"""The one writer of command output: it picks the format and writes stdout or ``-o FILE``.

Every command that prints a table, a report or a document, or writes one to a file, hands
``write`` its renderings: a mapping from each format it offers to a function giving the text in
that format (the first is the default). ``write`` picks the format — ``--format``, else the
extension of ``-o FILE`` (``FORMATS``), else plain text when the extension is unknown, else the
default — renders only that one and writes it to stdout, or to FILE saying ``wrote FILE`` on
stderr. A rendering may come with files that belong beside FILE (the HTML report's Vega-Lite
spec); it then needs ``-o``. ``emit`` is ``write`` for a ``ledger.tabular.Table``, whose formats
are rendered here: JSON is ``{"meta": {...}, "<name>": [rows]}`` (or the table's ``document``)
with decimals as strings; JSON Lines is one row per line; CSV has a header row (nested values as
JSON text); markdown is a pipe table; ``table`` is aligned text (``aligned``, which the diff
report's text uses too). A new format is one row in ``FORMATS`` and one renderer where it is
offered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import click
import orjson

from cli.errors import fail
from ledger.tabular import Table


@dataclass(frozen=True)
class Format:
    """A format a user can ask for with ``--format NAME`` or by the extension of ``-o FILE``."""

    name: str
    extensions: tuple[str, ...]


# The formats, in the order ``--help`` lists them; the extension picks the format for -o FILE.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("table", (".txt",)),
        Format("json", (".json",)),
        Format("jsonl", (".jsonl", ".ndjson")),
        Format("csv", (".csv",)),
        Format("markdown", (".md",)),
        Format("html", (".html", ".htm")),
        Format("toml", (".toml",)),  # a definition file (definition show)
    )
}
EXTENSIONS = {ext: f.name for f in FORMATS.values() for ext in f.extensions}
TABLE_FORMATS = ("table", "json", "jsonl", "csv", "markdown")
PLAIN = "table"  # what a file whose extension names no offered format gets, when offered


@dataclass(frozen=True)
class Rendered:
    """A rendering with files that belong beside the output file: ``{suffix: text}``, each
    written to FILE with its suffix replaced (``report.html`` → ``report.vl.json``)."""

    text: str
    beside: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Streamed:
    """A rendering written as it is made, a piece at a time (JSON Lines or CSV of a table's
    ``stream``); to a file through a temporary file renamed at the end, so a failure midway
    leaves no partial FILE."""

    pieces: Iterator[str]


Renderers = Mapping[str, Callable[[], "str | Rendered | Streamed"]]
STREAM_PIECE = 500  # rows joined into one write


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


def _to_file(output: str | None) -> bool:
    return bool(output) and output != "-"


def choose(offered: Sequence[str], fmt: str | None, output: str | None) -> str:
    """The format to write: ``fmt``, else the one ``output``'s extension names (plain text for
    an extension naming none of ``offered``), else the first offered."""
    if fmt:
        if fmt not in offered:
            fail(f"--format {fmt} is not offered here ({', '.join(offered)})")
        return fmt
    if output is not None and _to_file(output):
        named = EXTENSIONS.get(Path(output).suffix.lower())
        if named in offered:
            return named
        if PLAIN in offered:
            return PLAIN
    return offered[0]


def format_from(fmt: str | None, output: str | None) -> str:
    """The format a table is written in (see ``choose``)."""
    return choose(TABLE_FORMATS, fmt, output)


def write(renderers: Renderers, fmt: str | None, output: str | None) -> str:
    """Render in the chosen format and write to ``output`` (a file, or stdout for None/"-");
    messages go to stderr. Returns the format written."""
    chosen = choose(list(renderers), fmt, output)
    rendered = renderers[chosen]()
    if isinstance(rendered, Streamed):
        _write_streamed(rendered, output)
        return chosen
    if isinstance(rendered, str):
        rendered = Rendered(rendered)
    if output is None or not _to_file(output):
        if rendered.beside:
            ext = FORMATS[chosen].extensions[0] if chosen in FORMATS else ""
            others = ", ".join(f"FILE{suffix}" for suffix in rendered.beside)
            fail(f"--format {chosen} needs -o FILE{ext} (it also writes {others} beside it)")
        click.echo(rendered.text, nl=False)
        return chosen
    _write_file(output, rendered.text)
    for suffix, text in rendered.beside.items():
        _write_file(str(Path(output).with_suffix("")) + suffix, text)
    return chosen


def _write_streamed(rendered: Streamed, output: str | None) -> None:
    if output is None or not _to_file(output):
        for piece in rendered.pieces:
            click.echo(piece, nl=False)
        return
    target = Path(output)
    partial_file = target.with_name(f".{target.name}.partial")
    try:
        with partial_file.open("w", encoding="utf-8", newline="") as handle:
            for piece in rendered.pieces:
                handle.write(piece)
        partial_file.replace(target)
    finally:
        partial_file.unlink(missing_ok=True)
    click.echo(f"wrote {output}", err=True)


def _write_file(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8", newline="")
    click.echo(f"wrote {path}", err=True)


def write_text(text: str, output: str | None) -> None:
    """Write text that has one form only (a checkpoint, a proof) to stdout or ``output``."""
    write({"text": lambda: text}, None, output)


# -- tables ----------------------------------------------------------------------------------


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


def aligned(columns: list[str], rows: list[list[str]], right: Callable[[int], bool]) -> list[str]:
    """Text columns two spaces apart under a dashed rule; column ``i`` is right-aligned when
    ``right(i)``. Trailing spaces are cut."""
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if right(i) else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    return [line(columns), line(["-" * w for w in widths])] + [line(row) for row in rows]


def render(table: Table, fmt: str) -> str | Streamed:
    """The text of ``table`` in ``fmt``; a table's ``stream`` as JSON Lines or CSV is written
    as it is read (``Streamed``), in any other format it is read whole first."""
    if table.stream is not None:
        if fmt in ("jsonl", "csv"):
            return Streamed(_streamed(table, table.stream, fmt))
        table = replace(table, rows=list(table.stream), stream=None)
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
    numeric = [bool(table.rows) and all(_is_number(row.get(c)) for row in table.rows)
               for c in columns]  # fmt: skip
    out = aligned(columns, cells, numeric.__getitem__)
    if table.caption:
        out += ["", table.caption]
    return "\n".join(out) + "\n"


def _streamed(table: Table, rows: Iterator[dict[str, Any]], fmt: str) -> Iterator[str]:
    """JSON Lines or CSV of ``rows``, ``STREAM_PIECE`` rows a piece (CSV: the header first)."""
    columns = table.columns
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if fmt == "csv":
        writer.writerow(columns)
    count = 0
    for row in rows:
        if fmt == "csv":
            writer.writerow([_cell(row.get(c)) for c in columns])
        else:
            buffer.write(to_json(row, indent=False) + "\n")
        count += 1
        if count % STREAM_PIECE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool) or value is None


def table_renderers(table: Table, formats: Sequence[str] = TABLE_FORMATS) -> Renderers:
    """Each of ``formats`` of ``table``, rendered when chosen."""
    return {fmt: partial(render, table, fmt) for fmt in formats}


def emit(table: Table, fmt: str | None, output: str | None) -> None:
    """Write ``table`` to ``output`` (a file, or stdout for None/"-"); messages go to stderr."""
    write(table_renderers(table), fmt, output)
