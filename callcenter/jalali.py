"""Tehran time and the Jalali (Solar Hijri) calendar.

The database stores UTC; everything a person reads or hears is converted
here: Tehran wall-clock time, Jalali dates, Persian month names. The
calendar arithmetic is jdatetime's (pinned in pyproject.toml, checked
against the leap year 1403 in the tests).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import jdatetime

from callcenter.persian import normalize_digits, to_persian_digits

TEHRAN = ZoneInfo("Asia/Tehran")

MONTH_NAMES = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)

_DATE = re.compile(r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")


class InvalidJalaliDate(ValueError):
    """Text that names no real day of the Jalali calendar."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_tehran(moment: dt.datetime) -> dt.datetime:
    """An aware datetime in Tehran time; naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(TEHRAN)


def tehran_now() -> dt.datetime:
    return to_tehran(utc_now())


def to_jalali(day: dt.date | dt.datetime) -> jdatetime.date:
    if isinstance(day, dt.datetime):
        day = to_tehran(day).date()
    return jdatetime.date.fromgregorian(date=day)


def parse_jalali_date(text: str, today: dt.date | None = None) -> dt.date:
    """'1403/12/30' (any digits, / - or . between) to a Gregorian date.

    With today, a year too far ahead is refused first (check_plausible_year),
    so typed Gregorian numbers that name no Jalali day, like 2026/12/31,
    still get the hint.
    """
    match = _DATE.match(normalize_digits(text or ""))
    if not match:
        raise InvalidJalaliDate(f"not a Jalali date (YYYY/MM/DD): {text!r}")

    year, month, day = (int(part) for part in match.groups())
    if today is not None:
        _check_year(year, month, day, today)
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        raise InvalidJalaliDate(f"no such Jalali day: {text!r}") from None


# A date an admin types in a file or form more years than this ahead of now
# is a slip, most often a Gregorian date where the Jalali one belongs:
# 2026/08/05 is a real day of the Jalali year 2026, six centuries on. Years
# in the past are not refused: an admin may keep last years' holidays.
PLAUSIBLE_YEARS = 5


class ImplausibleJalaliDate(InvalidJalaliDate):
    """A Jalali year far ahead of this one. str() is English; persian says
    the same for a form."""

    def __init__(self, message: str, persian: str):
        super().__init__(message)
        self.persian = persian


def check_plausible_year(day: dt.date, today: dt.date) -> None:
    """ImplausibleJalaliDate if the day (parsed as Jalali) falls more than
    PLAUSIBLE_YEARS Jalali years after today; names the Jalali day it would
    be if the admin typed a Gregorian date."""
    _check_year(*jalali_parts(day), today)


def _check_year(year: int, month: int, day_of_month: int, today: dt.date) -> None:
    this_year = to_jalali(today).year
    if year - this_year <= PLAUSIBLE_YEARS:
        return

    typed = f"{year:04d}/{month:02d}/{day_of_month:02d}"
    message = (
        f"{typed}: the year {year} is far ahead of the current Jalali year {this_year}"
    )
    persian = f"سال {year} از سال جاری ({this_year}) بسیار جلوتر است"
    as_gregorian = _gregorian_day(year, month, day_of_month, today)
    if as_gregorian is not None:
        jalali = to_jalali(as_gregorian)
        same_day = f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"
        message += f"; it looks like a Gregorian date: give the Jalali one ({same_day})"
        persian += f"؛ این تاریخ میلادی است: تاریخ شمسی ({same_day}) را بنویسید"
    else:
        message += "; give the date in the Jalali calendar (YYYY/MM/DD)"
        persian += "؛ تاریخ را شمسی بنویسید"
    raise ImplausibleJalaliDate(message, to_persian_digits(persian) + ".")


def _gregorian_day(year: int, month: int, day: int, today: dt.date) -> dt.date | None:
    """The Gregorian day those numbers name, if that is near today."""
    if abs(year - today.year) > PLAUSIBLE_YEARS:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def format_date(moment: dt.date | dt.datetime | None) -> str:
    """۱۴۰۳/۱۲/۳۰ (Tehran date for datetimes)."""
    if moment is None:
        return ""
    day = to_jalali(moment)
    return to_persian_digits(f"{day.year:04d}/{day.month:02d}/{day.day:02d}")


def format_long_date(moment: dt.date | dt.datetime | None) -> str:
    """۳۰ اسفند ۱۴۰۳."""
    if moment is None:
        return ""
    day = to_jalali(moment)
    return to_persian_digits(f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}")


def format_datetime(moment: dt.datetime | None) -> str:
    """۱۴۰۳/۱۲/۳۰ ۱۴:۰۵ in Tehran time."""
    if moment is None:
        return ""
    local = to_tehran(moment)
    clock = to_persian_digits(local.strftime("%H:%M"))
    return f"{format_date(local)} {clock}"


def jalali_parts(moment: dt.date | dt.datetime) -> tuple[int, int, int]:
    """(year, month, day) of the Jalali date, for speaking it."""
    day = to_jalali(moment)
    return day.year, day.month, day.day


# The Iranian work week: Saturday to Wednesday (Python: Monday is 0).
WORK_WEEKDAYS = frozenset({5, 6, 0, 1, 2})
THURSDAY = 3


def is_working_day(
    day: dt.date,
    holidays: frozenset[dt.date] | set[dt.date] = frozenset(),
    *,
    thursday_open: bool = False,
) -> bool:
    """Saturday to Wednesday (and Thursday if open), not a holiday."""
    if day in holidays:
        return False
    return day.weekday() in WORK_WEEKDAYS or (
        thursday_open and day.weekday() == THURSDAY
    )


def add_working_days(
    start: dt.date,
    days: int,
    holidays: frozenset[dt.date] | set[dt.date] = frozenset(),
    *,
    thursday_open: bool = False,
) -> dt.date:
    """The day `days` working days after start (start itself for 0).

    Gregorian dates in and out; the Jalali calendar only decides holidays,
    which the caller passes (ticketing.hours reads them from the admin's file).
    """
    if days < 0:
        raise ValueError("days must not be negative")

    day = start
    while days:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays, thursday_open=thursday_open):
            days -= 1
    return day
