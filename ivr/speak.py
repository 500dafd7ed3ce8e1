"""Dynamic speech as a list of prompt fragments from the catalogue.

A tracking code is read digit by digit (digit/0 .. digit/9); numbers are
Persian words joined with "و" (number/1 .. number/19, tens, hundreds,
number/1000, number/and); a Jalali date is its day, month name and year.
"""

from __future__ import annotations

import datetime as dt

from callcenter.jalali import jalali_parts, to_tehran
from callcenter.persian import normalize_digits


def digit_fragments(text: str) -> list[str]:
    """Each digit of text (Persian digits allowed), other characters skipped."""
    return [
        f"digit/{char}"
        for char in normalize_digits(text)
        if char.isascii() and char.isdigit()
    ]


def number_fragments(number: int) -> list[str]:
    """Persian number words for 1..9999, e.g. 1405 -> هزار و چهارصد و پنج."""
    if not 1 <= number <= 9999:
        raise ValueError(f"cannot speak {number}: only 1 to 9999")

    parts: list[list[str]] = []
    thousands, rest = divmod(number, 1000)
    if thousands == 1:
        parts.append(["number/1000"])
    elif thousands > 1:
        parts.append([f"number/{thousands}", "number/1000"])

    hundreds, rest = divmod(rest, 100)
    if hundreds:
        parts.append([f"number/{hundreds * 100}"])

    if 1 <= rest <= 19:
        parts.append([f"number/{rest}"])
    elif rest:
        tens, units = divmod(rest, 10)
        parts.append([f"number/{tens * 10}"])
        if units:
            parts.append([f"number/{units}"])

    spoken: list[str] = []
    for index, part in enumerate(parts):
        if index:
            spoken.append("number/and")
        spoken.extend(part)
    return spoken


def date_fragments(moment: dt.date | dt.datetime) -> list[str]:
    """The Jalali date (Tehran day for datetimes): day, month, year."""
    year, month, day = jalali_parts(moment)
    return [*number_fragments(day), f"month/{month}", *number_fragments(year)]


def time_fragments(moment: dt.time | dt.datetime) -> list[str]:
    """A clock time as said on the phone: 14:30 -> چهارده و سی دقیقه.

    Datetimes are spoken in Tehran time; the hour 0 is said as صفر.
    """
    if isinstance(moment, dt.datetime):
        moment = to_tehran(moment).time()
    spoken = number_fragments(moment.hour) if moment.hour else ["digit/0"]
    if moment.minute:
        spoken += ["number/and", *number_fragments(moment.minute), "time/minutes"]
    return spoken
