"""Numbers, tracking codes and Jalali dates as prompt fragments."""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.prompts import load_prompt_texts
from ivr.speak import date_fragments, digit_fragments, number_fragments


def words(fragments: list[str]) -> str:
    texts = load_prompt_texts()
    return " ".join(texts[name] for name in fragments)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (1, "یک"),
        (13, "سیزده"),
        (20, "بیست"),
        (21, "بیست و یک"),
        (30, "سی"),
        (31, "سی و یک"),
        (100, "صد"),
        (1000, "هزار"),
        (1403, "هزار و چهارصد و سه"),
        (1405, "هزار و چهارصد و پنج"),
        (1410, "هزار و چهارصد و ده"),
        (1399, "هزار و سیصد و نود و نه"),
        (2000, "دو هزار"),
        (2025, "دو هزار و بیست و پنج"),
    ],
)
def test_number_words(number, spoken):
    assert words(number_fragments(number)) == spoken


@pytest.mark.parametrize("number", [0, -1, 10000])
def test_numbers_out_of_range_are_refused(number):
    with pytest.raises(ValueError):
        number_fragments(number)


def test_every_day_and_year_fragment_is_in_the_catalogue():
    texts = load_prompt_texts()
    for number in [*range(1, 32), *range(1390, 1431)]:
        assert all(name in texts for name in number_fragments(number))


def test_tracking_code_digit_by_digit_with_persian_digits():
    assert digit_fragments("۱۲۳-۴٥0") == [
        "digit/1",
        "digit/2",
        "digit/3",
        "digit/4",
        "digit/5",
        "digit/0",
    ]


def test_30_esfand_1403_is_spoken():
    # 1403 is a leap year: 2025-03-20 is its 30 Esfand.
    fragments = date_fragments(dt.date(2025, 3, 20))
    assert words(fragments) == "سی اسفند هزار و چهارصد و سه"


def test_the_day_after_is_1_farvardin_1404():
    assert (
        words(date_fragments(dt.date(2025, 3, 21))) == "یک فروردین هزار و چهارصد و چهار"
    )


def test_29_esfand_1402_is_the_last_day_of_that_year():
    # 1402 is not a leap year: 2024-03-19 is 29 Esfand, the next day Nowruz.
    assert (
        words(date_fragments(dt.date(2024, 3, 19)))
        == "بیست و نه اسفند هزار و چهارصد و دو"
    )
    assert (
        words(date_fragments(dt.date(2024, 3, 20))) == "یک فروردین هزار و چهارصد و سه"
    )


def test_datetime_is_spoken_as_its_tehran_day():
    # 21:00 UTC on 20 March 2025 is already 21 March (00:30) in Tehran.
    moment = dt.datetime(2025, 3, 20, 21, 0, tzinfo=dt.UTC)
    assert date_fragments(moment)[:2] == ["number/1", "month/1"]
