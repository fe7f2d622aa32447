"""``cli.layout``: the one table layout fits a width, never cuts a number, never pads a column
wider than its widest cell."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cli.layout import cells, clip, table_lines, wrap

COLUMNS = ["seq", "type", "summary", "total (JPY)"]
ROWS = [
    ["1", "CategoryDefined", "JP.CORE Core: Ministry of Defense budget", "9,547,700,000,000"],
    ["27", "GdpRecorded", "JP FY2022 560,000,000,000,000 JPY [2022-12-estimate]", ""],
    ["105", "DefinitionStatusChanged", "Military pensions (恩給) counted", "11,047,700,000,000"],
]


def right(i: int) -> bool:
    return i in (0, 3)


def test_layout__no_width_means_whole_lines_each_column_as_wide_as_its_widest_cell() -> None:
    lines = table_lines(COLUMNS, ROWS, right)
    assert lines[1] == "  ".join("-" * w for w in (3, 23, 52, 18))
    assert "JP FY2022 560,000,000,000,000 JPY [2022-12-estimate]" in lines[3]


def test_layout__text_is_cut_with_an_ellipsis_numbers_never() -> None:
    lines = table_lines(COLUMNS, ROWS, right, 70)
    assert all(cells(line) <= 70 for line in lines)
    assert all(number in "\n".join(lines) for number in ("9,547,700,000,000", "11,047,700,000,000"))
    assert any(line.rstrip().endswith("…") or "… " in line for line in lines[2:])


def test_layout__wide_characters_count_two_cells() -> None:
    assert cells("恩給") == 4
    assert cells(clip("Military pensions (恩給)", 21)) <= 21
    for line in table_lines(COLUMNS, ROWS, right, 60):
        assert cells(line) <= 60


def test_layout__a_value_the_same_in_every_row_is_said_once_when_space_is_short() -> None:
    rows = [["JP", "2025", "jp-defense-related", f"{n},000"] for n in (1, 2)]
    lines = table_lines(["jurisdiction", "fiscal_year", "definition", "total"], rows, right, 30)
    assert lines[0] == "jurisdiction JP · fiscal_year" or lines[0].startswith("jurisdiction JP")
    assert all(cells(line) <= 30 for line in lines)


def test_layout__secondary_columns_are_left_out_saying_so() -> None:
    lines = table_lines(COLUMNS, ROWS, right, 50, secondary=["summary"])
    text = "\n".join(lines)
    assert all(cells(line) <= 50 for line in lines)
    assert "left out to fit 50 columns: summary" in text
    assert "Military" not in text


def test_layout__one_row_at_a_time_when_numbers_alone_are_too_wide() -> None:
    lines = table_lines(COLUMNS, ROWS, right, 24)
    assert lines[0] == "-- row 1 of 3 --"
    assert all(cells(line) <= 24 for line in lines)
    assert "11,047,700,000,000" in "\n".join(lines)


def test_layout__wrap_continues_a_long_cell_on_the_next_lines() -> None:
    lines = table_lines(["field", "value"], [["payload", "word " * 30]], lambda i: False, 40,
                        wrap_cells=True)  # fmt: skip
    assert len(lines) > 3 and all(cells(line) <= 40 for line in lines)
    assert " ".join(line[7:].strip() for line in lines[2:]).split() == ["word"] * 30


def test_layout__wrap_breaks_at_spaces_then_inside_long_words() -> None:
    assert wrap("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert wrap("x" * 12, 5) == ["xxxxx", "xxxxx", "xx"]
    assert wrap("a b", None) == ["a b"]


text = st.text(alphabet=st.sampled_from("abc XYZ_-.恩"), max_size=40)
number = st.integers(min_value=-(10**15), max_value=10**15).map(lambda n: f"{n:,}")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="abcdef_ ", min_size=1, max_size=20), min_size=1, max_size=8),
    st.data(),
    st.integers(min_value=24, max_value=160),  # a number is at most 22 cells
)
def test_layout__always_fits_and_keeps_every_number(
    headers: list[str], data: st.DataObject, width: int
) -> None:
    numeric = [data.draw(st.booleans()) for _ in headers]
    rows = data.draw(
        st.lists(
            st.tuples(*[number if n else text for n in numeric]).map(list), min_size=1, max_size=6
        )
    )
    lines = table_lines(headers, rows, numeric.__getitem__, width)
    assert all(cells(line) <= width for line in lines), lines
    shown = "\n".join(lines)
    for row in rows:
        for value, is_number in zip(row, numeric, strict=True):
            if is_number:
                assert value in shown
