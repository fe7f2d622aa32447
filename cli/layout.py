"""Laying text out in a terminal: the one table layout (``table_lines``) and paragraphs
(``wrap``), in a given width (``None``: no limit).

A table's columns are two spaces apart under a dashed rule, each as wide as its widest cell —
never wider. When the table is wider than the terminal: headers wrap at ``_`` and spaces;
then the widest columns of running text are narrowed (then, if need be, the widest other text
columns), each long cell cut with ``…`` (or, for a table that wraps, continued on the next
lines); numbers are never cut. A table that still cannot fit is
shown one row at a time, ``column  value`` per line. Widths count terminal cells (a CJK
character takes two).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rich.cells import cell_len, get_character_cell_size

GAP = 2
COMFORTABLE = 24  # text narrowed to this first (then secondary columns are left out)
MIN_TEXT = 6  # a text column narrower than this says too little: rather one row at a time
ELLIPSIS = "…"
_BREAKS = re.compile(r"(?<=[_ ])")


def cells(text: str) -> int:
    return cell_len(text)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in ``…`` when cut."""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = get_character_cell_size(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + ELLIPSIS


def _hard_split(word: str, width: int) -> list[str]:
    """A word longer than a line in pieces: after a comma or a slash when one is near the end
    of the line (JSON, paths), else at the width."""
    pieces: list[str] = []
    while cell_len(word) > width:
        head = clip(word + " ", width + 1)[:-1]  # the longest prefix that fits
        cut = max(head.rfind(","), head.rfind("/"))
        size = max(cut + 1 if cut >= len(head) // 2 else len(head), 1)
        pieces.append(word[:size])
        word = word[size:]
    return [*pieces, word] if word else pieces


def wrap(text: str, width: int | None, indent: str = "", hang: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken at spaces (or inside a word
    longer than a line); ``indent`` starts the first line, ``hang`` the others."""
    if width is None or cell_len(indent + text) <= width:
        return [indent + text]
    lines: list[str] = []
    current, prefix = "", indent
    for word in text.split(" "):
        room = max(width - cell_len(prefix), 1)
        candidate = f"{current} {word}" if current else word
        if cell_len(candidate) <= room:
            current = candidate
            continue
        if current:
            lines.append(prefix + current)
            prefix = hang
            room = max(width - cell_len(prefix), 1)
        pieces = _hard_split(word, room) if cell_len(word) > room else [word]
        for piece in pieces[:-1]:
            lines.append(prefix + piece)
            prefix = hang
        current = pieces[-1] if pieces else ""
    lines.append(prefix + current)
    return lines


def _header_lines(header: str, width: int) -> list[str]:
    """A header in lines of at most ``width`` cells, broken after ``_`` or a space."""
    if cell_len(header) <= width:
        return [header]
    lines, current = [], ""
    for piece in _BREAKS.split(header):
        if current and cell_len(current + piece) > width:
            lines.append(current.rstrip())
            current = ""
        current += piece
    lines.append(current.rstrip())
    return [clip(line, width) for line in lines]


def _min_header(header: str) -> int:
    return max(cell_len(piece.rstrip()) for piece in _BREAKS.split(header))


def _shrink(
    widths: list[int],
    tiers: Sequence[Sequence[int]],
    floor: Sequence[int],
    room: int,
    shown: Sequence[int],
) -> bool:
    """Narrow ``widths`` (in place) until the ``shown`` columns sum to at most ``room``: the
    columns of the first tier first, widest first and together, never below their floor;
    then the next tier. False if even the floors do not fit."""

    def total() -> int:
        return sum(widths[i] for i in shown)

    for tier in tiers:
        excess = total() - room
        while excess > 0:
            narrowable = [i for i in tier if widths[i] > floor[i]]
            if not narrowable:
                break
            top = max(widths[i] for i in narrowable)
            tops = [i for i in narrowable if widths[i] == top]
            below = [widths[i] for i in narrowable if widths[i] < top]
            step = top - max(below, default=0)
            if step * len(tops) > excess:
                step = -(-excess // len(tops))
            for i in tops:
                cut = min(step, widths[i] - floor[i], excess)
                widths[i] -= cut
                excess -= cut
    return total() <= room


def table_lines(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Callable[[int], bool],
    width: int | None = None,
    *,
    wrap_cells: bool = False,
    style_header: Callable[[str], str] = str,
    secondary: Sequence[str] = (),
) -> list[str]:
    """The table as lines of at most ``width`` cells (see the module's docstring); column
    ``i`` is right-aligned when ``right(i)``; ``secondary`` names columns that may be left out
    (in that order, saying so) when the table cannot fit otherwise. Trailing spaces are cut."""
    count = len(columns)
    cell_widths = [max([0] + [cell_len(row[i]) for row in rows]) for i in range(count)]
    natural = [max(cell_len(columns[i]), cell_widths[i]) for i in range(count)]
    shown = list(range(count))
    if width is None or sum(natural) + GAP * (count - 1) <= width:
        return _lines(columns, rows, right, natural, shown, wrap_cells, style_header)
    if len(rows) == 1:  # one record: every field on a line of its own says it all
        return _one_row_at_a_time(columns, rows, right, width)
    numeric = [right(i) for i in range(count)]
    prose = [not numeric[i] and any(" " in row[i] for row in rows) for i in range(count)]
    # 1. a value the same in every row is said once, above the table
    same = [
        i
        for i in range(count)
        if len(rows) > 1 and rows[0][i] and all(row[i] == rows[0][i] for row in rows)
    ]
    preface = wrap(" · ".join(f"{columns[i]} {rows[0][i]}" for i in same), width) if same else []
    shown = [i for i in shown if i not in same]
    # 2. narrowed, text to a comfortable width, leaving out secondary columns if need be;
    # 3. then text narrowed further; 4. else one row at a time
    droppable = [columns.index(c) for c in secondary if c in columns]
    left_out: list[int] = []
    headed = [min(natural[i], max(cell_widths[i], _min_header(columns[i]))) for i in range(count)]
    for text_floor in (COMFORTABLE, MIN_TEXT):
        while True:
            floor = [
                max(cell_widths[i], _min_header(columns[i]))
                if numeric[i]
                else min(natural[i], max(text_floor, 1))
                for i in range(count)
            ]
            widths = list(natural)
            # headers wrap first (at _ and spaces); then running text gives way, then other
            # text (codes, times, ids); numbers are never cut
            tiers = [
                [i for i in shown if prose[i]],
                [i for i in shown if not numeric[i] and not prose[i]],
            ]
            room = width - GAP * (len(shown) - 1)
            if _shrink(widths, [shown], headed, room, shown) or _shrink(
                widths, tiers, floor, room, shown
            ):
                out = preface + _lines(columns, rows, right, widths, shown, wrap_cells,
                                       style_header)  # fmt: skip
                if left_out:
                    names = ", ".join(columns[i] for i in left_out)
                    out += wrap(
                        f"(left out to fit {width} columns: {names}; a wider terminal or "
                        "--format csv shows them)",
                        width,
                    )
                return out
            rest = [i for i in droppable if i in shown]
            if text_floor == MIN_TEXT or not rest:
                break
            shown.remove(rest[0])
            left_out.append(rest[0])
    return _one_row_at_a_time(columns, rows, right, width)


def _lines(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Callable[[int], bool],
    widths: Sequence[int],
    shown: Sequence[int],
    wrap_cells: bool,
    style_header: Callable[[str], str],
) -> list[str]:
    headers = {i: _header_lines(columns[i], widths[i]) for i in shown}
    depth = max((len(h) for h in headers.values()), default=1)

    def line(values: dict[int, str]) -> str:
        parts = []
        for i in shown:
            pad = widths[i] - cell_len(values[i])
            parts.append(" " * pad + values[i] if right(i) else values[i] + " " * pad)
        return (" " * GAP).join(parts).rstrip()

    out = []
    for level in range(depth):
        out.append(
            style_header(
                line(
                    {
                        i: h[level - depth + len(h)] if level >= depth - len(h) else ""
                        for i, h in headers.items()
                    }
                )  # fmt: skip
            )
        )
    out.append(line({i: "-" * widths[i] for i in shown}))
    for row in rows:
        if not wrap_cells:
            out.append(line({i: clip(row[i], widths[i]) for i in shown}))
            continue
        split = {i: [row[i]] if right(i) else wrap(row[i], widths[i]) or [""] for i in shown}
        for level in range(max(len(s) for s in split.values())):
            out.append(line({i: s[level] if level < len(s) else "" for i, s in split.items()}))
    return out


def _one_row_at_a_time(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Callable[[int], bool],
    width: int | None,
) -> list[str]:
    """Each row as ``column  value`` lines (long text wrapped; a number that does not fit
    beside its label goes whole on the next line), rows apart by a blank line."""
    label = max(cell_len(c) for c in columns)
    if width is not None:
        label = max(1, min(label, width // 2 - GAP))
    out: list[str] = []
    for number, row in enumerate(rows, 1):
        if number > 1:
            out.append("")
        out.append(clip(f"-- row {number} of {len(rows)} --", width or 10**6))
        for i, (column, value) in enumerate(zip(columns, row, strict=True)):
            name = clip(column, label)
            start = name + " " * (label - cell_len(name) + GAP)
            if right(i) and width is not None and cell_len(start + value) > width:
                out += [start.rstrip(), " " * GAP + value]
                continue
            out += [line.rstrip() for line in wrap(value, width, start, " " * cell_len(start))]
    return out
