"""Whether the center is open: business hours in Tehran time, the Iranian
work week, the admin's holiday file and closures ordered at short notice.

The holiday file is read again whenever it changes on disk. If an edit
breaks it, the last good list stays in use and the error is logged, so a
typo does not stop the IVR from answering calls.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.config import ConfigError, Settings
from callcenter.jalali import (
    TEHRAN,
    THURSDAY,
    InvalidJalaliDate,
    add_working_days,
    parse_jalali_date,
    to_tehran,
    utc_now,
)
from callcenter.persian import normalize_digits, normalize_text
from ticketing.datafile import DataFileError, read_entries
from ticketing.models import Closure

logger = logging.getLogger(__name__)

FRIDAY = 4
REASONS = ("open", "after_hours", "weekend", "holiday", "closure")


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    reason: str


@dataclass(frozen=True)
class Holiday:
    day: dt.date
    name: str
    lunar: bool = False


class HolidayFileError(DataFileError):
    """The holiday file has problems; str() names each line."""


# Holidays ---------------------------------------------------------------------


def read_holidays(path: str | Path) -> dict[dt.date, Holiday]:
    """The holidays of the file by Gregorian date; HolidayFileError if bad."""
    path = Path(path)
    try:
        entries, problems = read_entries(path, "holidays")
    except DataFileError as error:
        raise HolidayFileError(error.problems) from None

    holidays: dict[dt.date, Holiday] = {}
    for entry in entries:
        where = f"{path}:{entry.line}"
        unknown = set(entry.values) - {"date", "name", "lunar"}
        if unknown:
            problems.append(f"{where}: unknown field `{sorted(unknown)[0]}`")

        raw_date = entry.values.get("date")
        name = normalize_text(str(entry.values.get("name") or ""))
        if raw_date is None:
            problems.append(f"{where}: holiday is missing `date`")
            continue
        if not name:
            problems.append(f"{where}: holiday is missing `name`")

        try:
            day = parse_jalali_date(str(raw_date))
        except InvalidJalaliDate as error:
            problems.append(f"{path}:{entry.line_of('date')}: {error}")
            continue

        lunar = entry.values.get("lunar", False)
        if not isinstance(lunar, bool):
            problems.append(f"{path}:{entry.line_of('lunar')}: `lunar` is true/false")
        if day in holidays:
            # Two occasions on one day (it happens with lunar ones): one holiday.
            name = f"{holidays[day].name}، {name}"
        holidays[day] = Holiday(day, name, bool(lunar))

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
                holidays = read_holidays(path)
            except HolidayFileError as error:
                if known is None:
                    raise
                logger.error("holidays: keeping the last good list: %s", error)
                return known[1]

            self._loaded[path] = (mtime, holidays)
            logger.info("holidays: %d days read from %s", len(holidays), path)
            return holidays


_holiday_cache = _HolidayCache()


def holidays_for(settings: Settings) -> dict[dt.date, Holiday]:
    """The holidays of the configured file (read again when it changes)."""
    return _holiday_cache.get(settings.path(settings.holidays_file))


# Hours ------------------------------------------------------------------------


def _clock(settings: Settings, name: str) -> dt.time:
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
        return _clock(settings, "opening_time"), _clock(
            settings, "thursday_closing_time"
        )
    return _clock(settings, "opening_time"), _clock(settings, "closing_time")


def center_status(
    session: Session, settings: Settings, at: dt.datetime | None = None
) -> OpenState:
    """Open or not at `at` (default now), and why not.

    Reasons, in the order they are checked: weekend, holiday, closure,
    after_hours; "open" otherwise.
    """
    moment = to_tehran(at or utc_now())
    today = moment.date()

    hours = opening_hours(settings, today)
    if hours is None:
        return OpenState(False, "weekend")

    if today in holidays_for(settings):
        return OpenState(False, "holiday")

    if active_closures(session, moment):
        return OpenState(False, "closure")

    opens, closes = hours
    if not opens <= moment.time().replace(tzinfo=None) < closes:
        return OpenState(False, "after_hours")
    return OpenState(True, "open")


def due_date(settings: Settings, start: dt.date, working_days: int) -> dt.date:
    """The date `working_days` working days after start, skipping weekends and
    the holidays of the file (e.g. for a ticket's promised answer date)."""
    return add_working_days(
        start,
        working_days,
        frozenset(holidays_for(settings)),
        thursday_open=settings.thursday_open,
    )


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


def end_of_tehran_day(moment: dt.datetime) -> dt.datetime:
    """Midnight after `moment`, Tehran time."""
    local = to_tehran(moment)
    next_day = local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(0, 0), tzinfo=TEHRAN)


def close_for_today(
    session: Session, reason: str, created_by: str, at: dt.datetime | None = None
) -> Closure:
    """Close the center from now (or `at`) to the end of the Tehran day."""
    starts_at = to_tehran(at or utc_now())
    return add_closure(
        session, starts_at, end_of_tehran_day(starts_at), reason, created_by
    )


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


def remove_closure(session: Session, closure_id: int) -> Closure:
    """Delete a closure (the center opens again at once); LookupError if none."""
    closure = session.get(Closure, closure_id)
    if closure is None:
        raise LookupError(f"no closure with id {closure_id}")
    session.delete(closure)
    session.flush()
    logger.info("closure %d removed", closure_id)
    return closure
