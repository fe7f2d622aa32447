"""The one writer of command output: it picks the format and writes stdout or ``-o FILE``.

Every command that prints a table, a report or a document, or writes one to a file, hands
``write`` its renderings: a mapping from each format it offers to a function giving the text
(or, for XLSX, the bytes) in that format (the first is the default). ``write`` picks the
format — ``--format``, else the extension of ``-o FILE`` (``FORMATS``), else the default; an
extension naming no format the command offers is bad input (exit 2) — renders only that one
and writes it to stdout, or to FILE saying ``wrote FILE`` on stderr. Data goes to stdout,
messages to stderr. A rendering may come with files that belong beside FILE (the HTML report's
Vega-Lite spec); it then needs ``-o``.

``emit`` is ``write`` for a ``ledger.tabular.Table``. Machine formats carry exact values: JSON
is ``{"meta": {...}, "<name>": [rows]}`` (or the table's ``document``) with decimals as
strings; JSON Lines one row per line; CSV and TSV a header row (nested values as JSON text);
XLSX integers as numbers and other decimals as exact text. Formats for people write numbers
with ``ledger.numbers`` (``--unit``, ``--places``): ``table`` is aligned text that fits the
terminal (``cli.layout``), through a pager when long (``cli.terminal``); Markdown and HTML are
documents (``ledger.exports.documents``). A new format is one row in ``FORMATS`` and one
renderer where it is offered.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import click
import orjson

from cli import terminal
from cli.errors import EXIT_INPUT, CliError, fail
from cli.layout import table_lines, wrap
from ledger.numbers import NumberFormat
from ledger.tabular import Table


@dataclass(frozen=True)
class Format:
    """A format a user can ask for with ``--format NAME`` or by the extension of ``-o FILE``."""

    name: str
    extensions: tuple[str, ...]
    binary: bool = False
    for_people: bool = False  # laid out for a terminal: fitted, paged, coloured there


# The formats, in the order ``--help`` lists them; the extension picks the format for -o FILE
# (``.txt`` is a table, or the text of a command whose output is one text).
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("table", (".txt",), for_people=True),
        Format("text", (".txt", ".checkpoint"), for_people=True),
        Format("json", (".json", ".jsonld")),  # JSON-LD (claims export) is JSON
        Format("jsonl", (".jsonl", ".ndjson")),
        Format("csv", (".csv",)),
        Format("tsv", (".tsv", ".tab")),
        Format("markdown", (".md", ".markdown")),
        Format("html", (".html", ".htm")),
        Format("toml", (".toml",)),  # a definition file (definition show)
        Format("xlsx", (".xlsx",), binary=True),
    )
}
EXTENSIONS: dict[str, tuple[str, ...]] = {}
for _format in FORMATS.values():
    for _ext in _format.extensions:
        EXTENSIONS[_ext] = (*EXTENSIONS.get(_ext, ()), _format.name)
TABLE_FORMATS = ("table", "json", "jsonl", "csv", "tsv", "markdown", "html", "xlsx")


@dataclass(frozen=True)
class Rendered:
    """A rendering with files that belong beside the output file: ``{suffix: text}``, each
    written to FILE with its suffix replaced (``report.html`` → ``report.vl.json``)."""

    text: str | bytes
    beside: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Streamed:
    """A rendering written as it is made, a piece at a time (JSON Lines or CSV of a table's
    ``stream``); to a file through a temporary file renamed at the end, so a failure midway
    leaves no partial FILE."""

    pieces: Iterator[str]


STREAM_PIECE = 500  # rows joined into one write


Renderers = Mapping[str, Callable[[], "str | bytes | Rendered | Streamed"]]


@dataclass(frozen=True)
class Target:
    """Where the output being rendered goes: a file or stdout, how wide, in colour or not."""

    to_file: bool = False
    width: int | None = None
    colour: bool = False


_TARGET: ContextVar[Target | None] = ContextVar("defledger_output_target", default=None)


def target() -> Target:
    """Where the rendering under way goes (a renderer asks, to fit and colour its text)."""
    return _TARGET.get() or Target()


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


def _offered_text(offered: Sequence[str]) -> str:
    return ", ".join(f"{name} ({'/'.join(FORMATS[name].extensions)})" for name in offered)


def choose(offered: Sequence[str], fmt: str | None, output: str | None) -> str:
    """The format to write: ``fmt``, else the one ``output``'s extension names, else the
    first offered (stdout, or a file name without an extension). An extension naming no
    format offered here, or an empty file name, is bad input (exit 2)."""
    if output is not None and not output.strip():
        fail("-o needs a file name (or - for stdout)")
    if fmt:
        if fmt not in offered:
            fail(f"--format {fmt} is not offered here ({', '.join(offered)})")
        return fmt
    if output is None or not _to_file(output):
        return offered[0]
    suffix = Path(output).suffix.lower()
    if not suffix:
        return offered[0]
    named = [name for name in EXTENSIONS.get(suffix, ()) if name in offered]
    if named:
        return named[0]
    from events.quoting import quoted

    raise CliError(
        f"-o {quoted(output)}: this command cannot write {quoted(suffix)} files; it writes "
        f"{_offered_text(offered)} (or give --format)",
        EXIT_INPUT,
    )


def format_from(fmt: str | None, output: str | None, offered: Sequence[str] = TABLE_FORMATS) -> str:
    """The format a table is written in (see ``choose``)."""
    return choose(offered, fmt, output)


def write(renderers: Renderers, fmt: str | None, output: str | None) -> str:
    """Render in the chosen format and write to ``output`` (a file, or stdout for None/"-");
    messages go to stderr. Returns the format written."""
    chosen = choose(list(renderers), fmt, output)
    spec = FORMATS.get(chosen)
    to_file = output is not None and _to_file(output)
    people = spec is not None and spec.for_people
    where = Target(
        to_file,
        terminal.width(to_file) if people else None,
        people and terminal.colour(to_file),
    )
    token = _TARGET.set(where)
    try:
        rendered = renderers[chosen]()
    finally:
        _TARGET.reset(token)
    if isinstance(rendered, Streamed):
        _write_streamed(rendered, output if to_file else None)
        return chosen
    if not isinstance(rendered, Rendered):
        rendered = Rendered(rendered)
    if not to_file:
        assert output is None or output == "-"
        ext = spec.extensions[0] if spec else ""
        if rendered.beside:
            others = ", ".join(f"FILE{suffix}" for suffix in rendered.beside)
            fail(f"--format {chosen} needs -o FILE{ext} (it also writes {others} beside it)")
        if isinstance(rendered.text, bytes):
            if terminal.stdout_is_tty():
                fail(f"--format {chosen} is binary: give -o FILE{ext} (or redirect stdout)")
            sys.stdout.flush()
            sys.stdout.buffer.write(rendered.text)
            sys.stdout.buffer.flush()
        else:
            terminal.page(rendered.text)  # through the pager on a terminal, when long
        return chosen
    assert output is not None
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
    terminal.note(f"wrote {output}")


def _write_file(path: str, text: str | bytes) -> None:
    if isinstance(text, bytes):
        Path(path).write_bytes(text)
    else:
        Path(path).write_text(text, encoding="utf-8", newline="")
    terminal.note(f"wrote {path}")


def write_text(text: str, output: str | None) -> None:
    """Write text that has one form only (the SQL of ``db grants``) to stdout or ``output``."""
    write({"text": lambda: text}, None, output)


# -- tables ----------------------------------------------------------------------------------


def numbers() -> NumberFormat:
    """How this run writes numbers for people (``--unit``, ``--places``)."""
    chosen = terminal.settings()
    return NumberFormat(unit=chosen.unit, places=chosen.places)


def _cell(value: Any) -> str:
    from ledger.exports.documents import plain

    return plain(value)


def _delimited(table: Table, delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(row.get(c)) for c in table.columns])
    return buffer.getvalue()


def text_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Callable[[int], bool],
    *,
    wrap_cells: bool = False,
    secondary: Sequence[str] = (),
) -> list[str]:
    """A table laid out for where the output goes (``cli.layout.table_lines``)."""
    where = target()
    bold = (lambda text: click.style(text, bold=True)) if where.colour else str
    return table_lines(
        columns,
        rows,
        right,
        where.width,
        wrap_cells=wrap_cells,
        style_header=bold,
        secondary=secondary,
    )


def paragraphs(text: str, hang: str = "  ") -> list[str]:
    """Lines of running text wrapped to where the output goes."""
    width = target().width
    return [part for line in text.splitlines() for part in wrap(line, width, "", hang)]


def render(table: Table, fmt: str) -> str | bytes | Streamed:
    """``table`` in ``fmt``; a table's ``stream`` as JSON Lines or CSV is written as it is
    read (``Streamed``), in any other format it is read whole first."""
    if table.stream is not None:
        if fmt in ("jsonl", "csv"):
            return Streamed(_streamed(table, table.stream, fmt))
        table = replace(table, rows=list(table.stream), stream=None)
    if fmt == "json":
        document = table.document
        if document is None:
            document = {"meta": table.meta, table.name: table.rows}
        return to_json(document) + "\n"
    if fmt == "jsonl":
        if table.document is not None:
            return to_json(table.document, indent=False) + "\n"
        return "".join(to_json(row, indent=False) + "\n" for row in table.rows)
    if fmt in ("csv", "tsv"):
        return _delimited(table, "," if fmt == "csv" else "\t")
    from ledger.exports import documents

    if fmt == "xlsx":
        return documents.xlsx_bytes(table)
    if fmt == "markdown":
        return documents.markdown(table, numbers())
    if fmt == "html":
        return documents.html_page(table, numbers())
    headers, rows, right = documents.human_cells(table, numbers())
    secondary = [headers[table.columns.index(c)] for c in table.secondary if c in table.columns]
    out = text_table(headers, rows, right.__contains__, wrap_cells=table.wrap, secondary=secondary)
    if table.caption:
        out += ["", *paragraphs(table.caption)]
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


def render_text(table: Table, fmt: str) -> str:
    """``table`` in ``fmt``, one of the text formats (every one but xlsx)."""
    out = render(table, fmt)
    assert isinstance(out, str), fmt
    return out


def table_renderers(table: Table, formats: Sequence[str] = TABLE_FORMATS) -> Renderers:
    """Each of ``formats`` of ``table``, rendered when chosen."""
    return {fmt: partial(render, table, fmt) for fmt in formats}


def emit(table: Table, fmt: str | None, output: str | None) -> None:
    """Write ``table`` to ``output`` (a file, or stdout for None/"-"); messages go to stderr."""
    write(table_renderers(table), fmt, output)


def emit_verdict(table: Table, fmt: str | None, output: str | None, ok: bool) -> None:
    """A check's findings (``verify``, ``copy``, ``verify-export``): in the table format, when
    all is well, only its verdict (the caption) — not an empty table; else ``table`` in the
    chosen format. A verdict that all is well written elsewhere is also said on stderr (a
    failure is said by the command's ``Error:`` line)."""
    renderers = dict(table_renderers(table))
    if ok:
        renderers["table"] = lambda: "\n".join(paragraphs(table.caption)) + "\n"
    chosen = write(renderers, fmt, output)
    if ok and (chosen != "table" or _to_file(output)):
        terminal.note(table.caption)


def human(fmt: str | None, output: str | None, offered: Sequence[str] = TABLE_FORMATS) -> bool:
    """Whether the output goes to a person: the table format on stdout (a verdict then goes
    to stdout after it; otherwise to stderr, beside the data)."""
    return (
        choose(offered, fmt, output) == offered[0]
        and not _to_file(output)
        and (FORMATS[offered[0]].for_people)
    )
