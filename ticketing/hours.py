"""Whether the center is open: business hours in Tehran time, the Iranian
work week, the official holidays and closures ordered at short notice.

The solar-calendar official holidays (Nowruz, 12 and 13 Farvardin, 14 and 15
Khordad, 22 Bahman, 29 Esfand) fall on the same Jalali day every year and
are built in. The admin's holiday file holds the rest: the lunar holidays,
which move every year, and any extra day off. A file that does not cover
this year, or the year the next 60 days run into, is named in a warning
(holiday_coverage_warnings) at `agi serve` start-up and in `holidays check`.

The holiday file is read again whenever it changes on disk. If an edit
breaks it, the last good list stays in use and the error is logged, so a
typo does not stop the IVR from answering calls.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jdatetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.config import ConfigError, Settings
from callcenter.jalali import (
    TEHRAN,
    THURSDAY,
    ImplausibleJalaliDate,
    InvalidJalaliDate,
    check_plausible_year,
    format_date,
    parse_jalali_date,
    to_jalali,
    to_tehran,
    utc_now,
)
from callcenter.persian import normalize_digits, normalize_text
from ticketing.datafile import DataFileError, read_entries, text_of
from ticketing.models import Closure

logger = logging.getLogger(__name__)

FRIDAY = 4


# How far ahead the holiday file must cover before a warning is given.
COVERAGE_DAYS = 60

# (Jalali month, day, name): the official holidays of the solar calendar.
FIXED_HOLIDAYS = (
    (1, 1, "جشن نوروز"),
    (1, 2, "جشن نوروز"),
    (1, 3, "جشن نوروز"),
    (1, 4, "جشن نوروز"),
    (1, 12, "روز جمهوری اسلامی"),
    (1, 13, "روز طبیعت"),
    (3, 14, "رحلت امام خمینی"),
    (3, 15, "قیام پانزده خرداد"),
    (11, 22, "پیروزی انقلاب اسلامی"),
    (12, 29, "روز ملی شدن صنعت نفت ایران"),
)


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    reason: str
    # For a closure that ends before the day's closing time: when it ends.
    reopens_at: dt.datetime | None = None


@dataclass(frozen=True)
class Holiday:
    day: dt.date
    name: str
    lunar: bool = False


class HolidayFileError(DataFileError):
    """The holiday file has problems; str() names each line."""


# Holidays ---------------------------------------------------------------------


def read_holidays(
    path: str | Path, today: dt.date | None = None
) -> dict[dt.date, Holiday]:
    """The holidays of the Jalali years the file covers: the file's and the
    built-in ones, by Gregorian date; HolidayFileError if the file is bad.
    today (default: Tehran's) decides which years are plausible."""
    return with_fixed_holidays(read_holiday_file(path, today))


def with_fixed_holidays(from_file: dict[dt.date, Holiday]) -> dict[dt.date, Holiday]:
    """A holiday file's list with the built-in holidays of the years it covers."""
    years = sorted({to_jalali(day).year for day in from_file})
    return merge_holidays(*(fixed_holidays(year) for year in years), from_file)


def read_holiday_file(
    path: str | Path, today: dt.date | None = None
) -> dict[dt.date, Holiday]:
    """The holidays the file lists, by Gregorian date; HolidayFileError if
    bad (every problem as file:line, a date listed twice among them, a year
    far from today's, which is most often a Gregorian date)."""
    path = Path(path)
    today = today or to_tehran(utc_now()).date()
    try:
        entries, problems = read_entries(path, "holidays")
    except DataFileError as error:
        raise HolidayFileError(error.problems) from None

    holidays: dict[dt.date, Holiday] = {}
    lines: dict[dt.date, int] = {}
    for entry in entries:
        where = f"{path}:{entry.line}"
        unknown = set(entry.values) - {"date", "name", "lunar"}
        if unknown:
            problems.append(f"{where}: unknown field `{sorted(unknown)[0]}`")

        # Both as written: a `key: value` name would be shown as Python's
        # notation of it, and YAML turns 2026-08-05 into a date object.
        texts, not_text = {}, set()
        for key in ("date", "name"):
            texts[key], found = None, []
            if key in entry.nodes:
                texts[key], found = text_of(
                    path, key, entry.nodes[key], line=entry.line_of(key)
                )
            problems.extend(found)
            if found:
                not_text.add(key)

        raw_date, name = texts["date"], normalize_text(texts["name"])
        if raw_date is None:
            if "date" not in not_text:
                problems.append(f"{where}: holiday is missing `date`")
            continue
        if not name and "name" not in not_text:
            problems.append(f"{where}: holiday is missing `name`")

        try:
            day = parse_jalali_date(raw_date, today)
        except InvalidJalaliDate as error:
            problems.append(f"{path}:{entry.line_of('date')}: {error}")
            continue

        lunar = entry.values.get("lunar", False)
        if not isinstance(lunar, bool):
            problems.append(f"{path}:{entry.line_of('lunar')}: `lunar` is true/false")
        if day in holidays:
            # Two occasions on one day belong in one entry's name; a second
            # entry is usually a copy-and-paste slip (a wrong date).
            problems.append(
                f"{path}:{entry.line_of('date')}: date {raw_date} is already "
                f"listed on line {lines[day]}"
            )
            continue
        holidays[day] = Holiday(day, name, bool(lunar))
        lines[day] = entry.line_of("date")

    if problems:
        raise HolidayFileError(problems)
    return holidays


class _HolidayCache:
    """The parsed holiday file, re-read when its modification time changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[Path, tuple[float, dict[dt.date, Holiday]]] = {}

    def get(self, path: Path) -> dict[dt.date, Holiday]:
        with self._lock:
            known = self._loaded.get(path)
            try:
                mtime = path.stat().st_mtime
            except OSError:
                mtime = None
            if known is not None and known[0] == mtime:
                return known[1]

            try:
                holidays = read_holiday_file(path)
            except HolidayFileError as error:
                if known is None:
                    raise
                logger.error("holidays: keeping the last good list: %s", error)
                return known[1]

            self._loaded[path] = (mtime, holidays)
            logger.info("holidays: %d days read from %s", len(holidays), path)
            return holidays


_holiday_cache = _HolidayCache()


def file_holidays(settings: Settings) -> dict[dt.date, Holiday]:
    """The holidays of the configured file (read again when it changes)."""
    return _holiday_cache.get(settings.path(settings.holidays_file))


def fixed_holidays(year: int) -> dict[dt.date, Holiday]:
    """The solar-calendar official holidays of a Jalali year."""
    return {
        day: Holiday(day, name)
        for month, day_of_month, name in FIXED_HOLIDAYS
        for day in [jdatetime.date(year, month, day_of_month).togregorian()]
    }


def merge_holidays(*lists: dict[dt.date, Holiday]) -> dict[dt.date, Holiday]:
    """One list; a day in several (Ghadir on 14 Khordad) names them all."""
    merged: dict[dt.date, Holiday] = {}
    for holidays in lists:
        for day, holiday in holidays.items():
            earlier = merged.get(day)
            if earlier is not None and holiday.name not in earlier.name:
                holiday = Holiday(
                    day,
                    f"{earlier.name}، {holiday.name}",
                    earlier.lunar or holiday.lunar,
                )
            elif earlier is not None:
                holiday = earlier
            merged[day] = holiday
    return dict(sorted(merged.items()))


def holidays_for(
    settings: Settings, years: Iterable[int] | None = None
) -> dict[dt.date, Holiday]:
    """The built-in holidays of `years` with the file's holidays.

    years defaults to the Jalali years the file covers, this year and next.
    """
    from_file = file_holidays(settings)
    if years is None:
        this_year = to_jalali(utc_now()).year
        years = {to_jalali(day).year for day in from_file} | {this_year, this_year + 1}
    fixed = [fixed_holidays(year) for year in sorted(set(years))]
    return merge_holidays(*fixed, from_file)


def holiday_on(settings: Settings, day: dt.date) -> Holiday | None:
    """The holiday on a (Gregorian) day, built in or from the file."""
    return holidays_for(settings, [to_jalali(day).year]).get(day)


def holiday_coverage_warnings(
    holidays: dict[dt.date, Holiday], path: str | Path, today: dt.date
) -> list[str]:
    """What the file lacks: this Jalali year, or one the next 60 days reach.

    The built-in holidays are there every year; the lunar ones are only
    what the file lists, so a year without entries has none of them.
    """
    covered = {to_jalali(day).year for day in holidays}
    this_year = to_jalali(today).year
    ahead = to_jalali(today + dt.timedelta(days=COVERAGE_DAYS)).year

    warnings = []
    if this_year not in covered:
        warnings.append(
            f"{path}: no holidays listed for the current year {this_year}: "
            "its lunar holidays are not observed; add them"
        )
    for year in range(this_year + 1, ahead + 1):
        if year not in covered:
            starts = jdatetime.date(year, 1, 1).togregorian()
            warnings.append(
                f"{path}: no holidays listed for {year}, which starts in "
                f"{(starts - today).days} days; add its lunar holidays"
            )
    return warnings


def check_holiday_coverage(
    settings: Settings, today: dt.date | None = None
) -> list[str]:
    """holiday_coverage_warnings for the configured file, each logged."""
    path = settings.path(settings.holidays_file)
    today = today or to_tehran(utc_now()).date()
    warnings = holiday_coverage_warnings(file_holidays(settings), path, today)
    for warning in warnings:
        logger.warning("holidays: %s", warning)
    return warnings


# Hours ------------------------------------------------------------------------


def clock_setting(settings: Settings, name: str) -> dt.time:
    value = normalize_digits(str(getattr(settings, name)))
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name}: expected HH:MM, got {value!r}") from None


def opening_hours(settings: Settings, day: dt.date) -> tuple[dt.time, dt.time] | None:
    """Opening and closing time of a weekday, None for the weekend."""
    weekday = day.weekday()
    if weekday == FRIDAY:
        return None
    if weekday == THURSDAY:
        if not settings.thursday_open:
            return None
        return clock_setting(settings, "opening_time"), clock_setting(
            settings, "thursday_closing_time"
        )
    return clock_setting(settings, "opening_time"), clock_setting(
        settings, "closing_time"
    )


def center_status(
    session: Session, settings: Settings, at: dt.datetime | None = None
) -> OpenState:
    """Open or not at `at` (default now), and why not.

    Reasons, in the order they are checked: weekend, holiday, after_hours
    once the day's closing time has passed, closure (in force now, or at
    opening time for a caller before it), after_hours before opening;
    "open" otherwise.
    """
    moment = to_tehran(at or utc_now())
    today = moment.date()

    hours = opening_hours(settings, today)
    if hours is None:
        return OpenState(False, "weekend")

    if holiday_on(settings, today) is not None:
        return OpenState(False, "holiday")

    # After closing time the day is over whatever closure was ordered.
    opening = dt.datetime.combine(today, hours[0], tzinfo=TEHRAN)
    closing = dt.datetime.combine(today, hours[1], tzinfo=TEHRAN)
    if moment >= closing:
        return OpenState(False, "after_hours")

    # Before opening, what matters is whether the office opens on time.
    first_open_moment = max(moment, opening)
    if active_closures(session, first_open_moment):
        reopens = _reopening(session, first_open_moment, closing)
        return OpenState(False, "closure", reopens)

    if moment < opening:
        return OpenState(False, "after_hours")
    return OpenState(True, "open")


def _reopening(
    session: Session, start: dt.datetime, closing: dt.datetime
) -> dt.datetime | None:
    """When the closures in force at `start` end, if before `closing`.

    start is never before opening time, so the answer is the later of the
    closures' end and the opening time. Closures that overlap or follow one
    another are followed to their end.
    """
    end = start
    while True:
        later = active_closures(session, end)
        if not later:
            break
        end = max(closure.ends_at for closure in later)
    end = to_tehran(end)
    if end >= closing:
        return None
    return end


# Closures ---------------------------------------------------------------------


def _aware(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs a time zone (Tehran or UTC)")
    return moment.astimezone(dt.UTC)


def add_closure(
    session: Session,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    created_by: str,
) -> Closure:
    """Close the center from starts_at to ends_at; effective at once."""
    starts_at = _aware(starts_at, "starts_at")
    ends_at = _aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise ValueError("a closure must end after it starts")
    reason = normalize_text(reason)
    if not reason:
        raise ValueError("a closure needs a reason")

    closure = Closure(
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason[:300],
        created_by=normalize_text(created_by)[:64],
        created_at=utc_now(),
    )
    session.add(closure)
    session.flush()
    logger.info(
        "closure %d added by %s: %s to %s",
        closure.id,
        closure.created_by,
        to_tehran(starts_at).isoformat(timespec="minutes"),
        to_tehran(ends_at).isoformat(timespec="minutes"),
    )
    return closure


# A closure is ordered at short notice; a day further ahead is a mistake.
# A year far off (a Gregorian date, most often) is named as such first by
# jalali.check_plausible_year, as in the holiday file.
MAX_CLOSURE_DAYS_AHEAD = 366

_CLOCK = re.compile(r"^(\d{1,2})(?:\s*[:٫.]\s*(\d{2}))?$")


class ClosureWindowError(ValueError):
    """A closure's day or times cannot be used. str() is English (the CLI);
    persian is the same for a form; field is "date", "from" or "to"."""

    def __init__(self, field: str, message: str, persian: str):
        super().__init__(message)
        self.field = field
        self.persian = persian


def parse_clock(text: str, field: str) -> dt.time | None:
    """'14:30' or '14' (any digits) as a time; '24:00' is the end of the
    day (None); ClosureWindowError otherwise."""
    match = _CLOCK.match(normalize_digits(text or "").strip())
    try:
        if not match:
            raise ValueError(text)
        hour, minute = int(match.group(1)), int(match.group(2) or "0")
        if (hour, minute) == (24, 0):
            return None
        return dt.time(hour, minute)
    except ValueError:
        raise ClosureWindowError(
            field, f"expected HH:MM, got {text!r}", "ساعت را به شکل ۱۴:۳۰ بنویسید."
        ) from None


def closure_window(
    day: dt.date, from_: str | None, to: str | None, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """A closure on a Tehran day, from `from_` (default: now, or the start of
    a later day) to `to` (default: the end of the day), both HH:MM; '24:00'
    is the end of the day. ClosureWindowError for a day in the past or more
    than a year ahead, a bad time, a window that ends before it starts or
    that is already over."""
    now = to_tehran(now)
    today = now.date()
    try:
        check_plausible_year(day, today)
    except ImplausibleJalaliDate as error:
        raise ClosureWindowError("date", str(error), error.persian) from None
    if day < today:
        raise ClosureWindowError("date", "that day is already over", "تاریخ گذشته است.")
    if day > today + dt.timedelta(days=MAX_CLOSURE_DAYS_AHEAD):
        raise ClosureWindowError(
            "date",
            f"{normalize_digits(format_date(day))} is more than a year ahead; "
            f"give the Jalali date (e.g. {normalize_digits(format_date(today))})",
            "تاریخ بیش از یک سال دیگر است؛ تاریخ را شمسی بنویسید "
            f"(مانند {format_date(today)}).",
        )

    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), TEHRAN)
    if from_ and from_.strip():
        opens = parse_clock(from_, "from")
        starts = midnight if opens is None else dt.datetime.combine(day, opens, TEHRAN)
    else:
        starts = max(now, dt.datetime.combine(day, dt.time(), TEHRAN))
    closes = parse_clock(to, "to") if to and to.strip() else None
    ends = midnight if closes is None else dt.datetime.combine(day, closes, TEHRAN)

    if ends <= starts:
        raise ClosureWindowError(
            "to", "the closure must end after it starts", "پایان باید بعد از آغاز باشد."
        )
    if ends <= now:
        raise ClosureWindowError(
            "to", "that time is already over", "این بازه گذشته است."
        )
    return starts, ends


def active_closures(session: Session, at: dt.datetime | None = None) -> list[Closure]:
    """Closures in force at `at` (default now)."""
    moment = _aware(at, "at") if at is not None else utc_now()
    query = (
        select(Closure)
        .where(Closure.starts_at <= moment, Closure.ends_at > moment)
        .order_by(Closure.starts_at)
    )
    return list(session.scalars(query))


def upcoming_closures(session: Session, at: dt.datetime | None = None) -> list[Closure]:
    """Closures in force now or later, for `closure list`."""
    moment = _aware(at, "at") if at is not None else utc_now()
    query = select(Closure).where(Closure.ends_at > moment).order_by(Closure.starts_at)
    return list(session.scalars(query))


def remove_closure(session: Session, closure_id: int, removed_by: str = "") -> Closure:
    """Delete a closure (the center opens again at once); LookupError if none."""
    closure = session.get(Closure, closure_id)
    if closure is None:
        raise LookupError(f"no closure with id {closure_id}")
    session.delete(closure)
    session.flush()
    logger.info("closure %d removed by %s", closure_id, removed_by or "-")
    return closure
