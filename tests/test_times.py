"""``ledger.storage.times``: the stored integer and the hashed text are one to one, and the text is
exactly what the envelope has always carried (``strftime``'s)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.storage.records import format_time
from ledger.storage.times import MAX_MICROS, MIN_MICROS, micros_at, micros_of, text_of

moments = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)
).map(lambda moment: moment.replace(tzinfo=UTC))


@given(moments)
def test_times__text_is_strftimes_and_round_trips(moment: datetime) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    micros = micros_at(moment)
    assert text_of(micros) == text == format_time(moment)
    assert micros_of(text) == micros
    assert datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros) == moment


@given(st.integers(MIN_MICROS, MAX_MICROS), st.integers(MIN_MICROS, MAX_MICROS))
def test_times__integer_order_is_text_order(a: int, b: int) -> None:
    assert micros_of(text_of(a)) == a
    assert (a < b) == (text_of(a) < text_of(b))


def test_times__other_zones_become_utc() -> None:
    tokyo = datetime(2026, 4, 1, 9, 0, tzinfo=UTC).astimezone(datetime.now(UTC).astimezone().tzinfo)
    assert format_time(tokyo) == "2026-04-01T09:00:00.000000Z"
    assert text_of(0) == "1970-01-01T00:00:00.000000Z"
    assert text_of(-1) == "1969-12-31T23:59:59.999999Z"


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-01T09:00:00Z",  # no microseconds
        "2026-04-01T09:00:00.000000+00:00",
        "2026-04-01 09:00:00.000000Z",
        "2026-02-30T09:00:00.000000Z",  # no such day
        "2026-04-01T24:00:00.000000Z",
        " 2026-04-01T09:00:00.000000Z",
    ],
)
def test_times__only_the_stored_form_parses(text: str) -> None:
    with pytest.raises(ValueError):
        micros_of(text)


@pytest.mark.parametrize("value", ["2026-04-01T09:00:00.000000Z", 1.5, None, True])
def test_times__a_stored_value_that_is_not_an_integer_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        text_of(value)  # type: ignore[arg-type]


def test_times__years_outside_1000_9999_refused() -> None:
    with pytest.raises(ValueError):
        text_of(MIN_MICROS - 1)
    with pytest.raises(ValueError):
        text_of(MAX_MICROS + 1)
    with pytest.raises(ValueError):
        micros_at(datetime(2026, 1, 1))  # naive


def test_times__cache_never_answers_for_a_value_of_another_type() -> None:
    from ledger.storage.times import cached_text_of

    assert cached_text_of(1) == "1970-01-01T00:00:00.000001Z"
    for other in (True, 1.0):
        with pytest.raises(TypeError):
            cached_text_of(other)  # type: ignore[arg-type]
