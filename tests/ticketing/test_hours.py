"""Business hours: Iranian week, Tehran time, holidays file, closures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os

import pytest

from callcenter.jalali import (
    TEHRAN,
    format_date,
    jalali_parts,
    parse_jalali_date,
    tehran_now,
    to_jalali,
)
from callcenter.persian import normalize_digits
from ticketing.db import session_scope
from ticketing.hours import (
    HolidayFileError,
    active_closures,
    add_closure,
    center_status,
    holiday_coverage_warnings,
    holiday_on,
    holidays_for,
    read_holiday_file,
    read_holidays,
    remove_closure,
    upcoming_closures,
)


def tehran(jalali: str, clock: str) -> dt.datetime:
    day = parse_jalali_date(jalali)
    return dt.datetime.combine(day, dt.time.fromisoformat(clock), tzinfo=TEHRAN)


def test_shipped_holidays_of_1405(settings):
    holidays = holidays_for(settings)

    assert holidays[parse_jalali_date("1405/01/01")].name == "جشن نوروز"
    assert parse_jalali_date("1405/11/22") in holidays
    assert parse_jalali_date("1405/12/29") in holidays
    assert any(holiday.lunar for holiday in holidays.values())
    assert len(holidays) >= 20


def test_iranian_week(session, settings):
    # 1405/09/07 is a Saturday; 09/11 Wednesday, 09/12 Thursday, 09/13 Friday.
    saturday = center_status(session, settings, tehran("1405/09/07", "10:00"))
    wednesday = center_status(session, settings, tehran("1405/09/11", "10:00"))
    thursday = center_status(session, settings, tehran("1405/09/12", "10:00"))
    friday = center_status(session, settings, tehran("1405/09/13", "10:00"))

    assert saturday.is_open and saturday.reason == "open"
    assert wednesday.is_open
    assert (thursday.is_open, thursday.reason) == (False, "weekend")
    assert (friday.is_open, friday.reason) == (False, "weekend")


def test_thursday_half_day_when_configured(session, settings):
    thursday_open = dataclasses.replace(settings, thursday_open=True)

    assert center_status(session, thursday_open, tehran("1405/09/12", "10:00")).is_open
    assert (
        center_status(session, thursday_open, tehran("1405/09/12", "12:00")).reason
        == "after_hours"
    )


def test_hours_are_tehran_time(session, settings):
    # 07:30 Tehran is 04:00 UTC (Iran keeps +03:30 all year since 1401).
    assert center_status(session, settings, tehran("1405/09/08", "07:29")).reason == (
        "after_hours"
    )
    assert center_status(session, settings, tehran("1405/09/08", "07:30")).is_open
    opening_in_utc = dt.datetime(2026, 11, 29, 4, 0, tzinfo=dt.UTC)
    assert center_status(session, settings, opening_in_utc).is_open
    assert center_status(session, settings, tehran("1405/09/08", "14:30")).reason == (
        "after_hours"
    )


def test_holiday_on_a_work_day(session, settings):
    # 1405/01/12, Islamic Republic Day, is a Wednesday.
    state = center_status(session, settings, tehran("1405/01/12", "10:00"))

    assert state.is_open is False
    assert state.reason == "holiday"


def test_closure_is_effective_at_once(db, settings):
    with session_scope(db) as admin:
        add_closure(
            admin,
            tehran("1405/09/08", "10:00"),
            tehran("1405/09/08", "12:00"),
            "آلودگي هوا",
            "admin",
        )

    with session_scope(db) as ivr:
        state = center_status(ivr, settings, tehran("1405/09/08", "11:00"))
        assert state.reason == "closure"
        assert center_status(ivr, settings, tehran("1405/09/08", "12:00")).is_open
        closure = active_closures(ivr, tehran("1405/09/08", "11:59"))[0]
        assert closure.reason == "آلودگی هوا"


def test_close_for_today_lasts_until_midnight(session, settings):
    now = tehran("1405/09/09", "09:15")

    closure = add_closure(session, now, tehran("1405/09/10", "00:00"), "برف", "admin")

    assert center_status(session, settings, now).reason == "closure"
    assert closure.ends_at == tehran("1405/09/10", "00:00")
    assert center_status(session, settings, tehran("1405/09/10", "09:00")).is_open
    assert upcoming_closures(session, now) == [closure]

    remove_closure(session, closure.id)
    assert center_status(session, settings, now).is_open
    with pytest.raises(LookupError):
        remove_closure(session, closure.id)


def test_closure_input_errors(session):
    start = tehran("1405/09/08", "10:00")

    with pytest.raises(ValueError, match="after"):
        add_closure(session, start, start, "x", "admin")
    with pytest.raises(ValueError, match="time zone"):
        add_closure(session, start.replace(tzinfo=None), start, "x", "admin")
    with pytest.raises(ValueError, match="reason"):
        add_closure(session, start, start + dt.timedelta(hours=1), " ", "admin")


def _holiday_file(tmp_path, body):
    path = tmp_path / "holidays.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_bad_holiday_file_names_line_and_problem(tmp_path):
    path = _holiday_file(
        tmp_path,
        "holidays:\n"
        "  - date: 1403/12/30\n"
        "    name: روز آخر سال کبیسه\n"
        "  - date: 1402/12/30\n"
        "    name: روزی که نیست\n"
        "  - name: بی تاریخ\n"
        "  - date: 1405/13/01\n"
        "    name: ماه سیزدهم\n",
    )

    with pytest.raises(HolidayFileError) as caught:
        read_holidays(path, today=parse_jalali_date("1405/09/08"))

    message = str(caught.value)
    assert "holidays.yaml:4: no such Jalali day: '1402/12/30'" in message
    assert "holidays.yaml:6: holiday is missing `date`" in message
    assert "holidays.yaml:7: no such Jalali day: '1405/13/01'" in message
    assert ":2:" not in message


def test_holiday_file_edits_are_picked_up_and_bad_edits_ignored(
    session, settings, tmp_path, caplog
):
    path = _holiday_file(tmp_path, "holidays:\n  - date: 1405/09/08\n    name: الف\n")
    edited = dataclasses.replace(settings, holidays_file=str(path))
    saturday = tehran("1405/09/08", "10:00")
    assert center_status(session, edited, saturday).reason == "holiday"

    path.write_text("holidays:\n  - date: 1405/09/09\n    name: ب\n", encoding="utf-8")
    os.utime(path, (1, 1))
    assert center_status(session, edited, saturday).is_open

    path.write_text("holidays:\n  - date: 1402/12/30\n    name: ب\n", encoding="utf-8")
    os.utime(path, (2, 2))
    with caplog.at_level(logging.ERROR, logger="ticketing.hours"):
        assert center_status(session, edited, saturday).is_open
    assert "keeping the last good list" in caplog.text


def test_missing_holiday_file_is_an_error(session, settings, tmp_path):
    missing = dataclasses.replace(settings, holidays_file=str(tmp_path / "none.yaml"))

    with pytest.raises(HolidayFileError, match="cannot read"):
        center_status(session, missing, tehran("1405/09/08", "10:00"))


# Built-in solar holidays and the file's coverage --------------------------------

ONLY_1405 = "holidays:\n  - date: 1405/01/24\n    name: الف\n    lunar: true\n"

# A day of 1405, for reading 1405 files the same in any year the tests run.
IN_1405 = parse_jalali_date("1405/09/13")


def _only_1405(settings, tmp_path):
    path = _holiday_file(tmp_path, ONLY_1405)
    return dataclasses.replace(settings, holidays_file=str(path)), path


@pytest.mark.parametrize(
    "day",
    [
        "1406/01/02",
        "1406/01/04",
        "1406/01/12",
        "1406/01/13",
        "1406/03/14",
        "1406/03/15",
        "1406/11/22",
        "1406/12/29",
        "1410/11/22",
    ],
)
def test_solar_official_holidays_are_built_in_for_every_year(
    session, settings, tmp_path, day
):
    covered, _ = _only_1405(settings, tmp_path)

    state = center_status(session, covered, tehran(day, "10:00"))

    # A Friday stays "weekend"; any other day is the holiday.
    assert not state.is_open
    assert state.reason in ("holiday", "weekend")
    assert holiday_on(covered, parse_jalali_date(day)) is not None


def test_nowruz_1406_is_closed_with_a_file_of_1405(session, settings, tmp_path):
    covered, _ = _only_1405(settings, tmp_path)

    # 1406/01/02 is a Monday; 1406/01/07 the first Saturday after Nowruz.
    state = center_status(session, covered, tehran("1406/01/02", "10:00"))

    assert (state.is_open, state.reason) == (False, "holiday")
    assert center_status(session, covered, tehran("1406/01/07", "10:00")).is_open


def test_holiday_check_lists_the_built_in_ones_of_the_file_years(tmp_path):
    path = _holiday_file(tmp_path, ONLY_1405)

    holidays = read_holidays(path, IN_1405)

    assert holidays[parse_jalali_date("1405/01/01")].name == "جشن نوروز"
    assert parse_jalali_date("1405/12/29") in holidays
    assert parse_jalali_date("1406/01/01") not in holidays
    assert len(read_holiday_file(path, IN_1405)) == 1


def test_a_date_listed_twice_names_both_lines(tmp_path):
    path = _holiday_file(
        tmp_path,
        "holidays:\n"
        "  - date: 1405/04/04\n"
        "    name: تاسوعا\n"
        "  - date: 1405/4/4\n"
        "    name: تاسوعا\n",
    )

    with pytest.raises(HolidayFileError) as caught:
        read_holidays(path, IN_1405)

    assert "holidays.yaml:4: date 1405/4/4 is already listed on line 2" in str(
        caught.value
    )


def test_a_file_entry_on_a_built_in_day_names_both(tmp_path):
    path = _holiday_file(
        tmp_path,
        "holidays:\n  - date: 1405/03/14\n    name: عید غدیر\n    lunar: true\n",
    )

    holiday = read_holidays(path, IN_1405)[parse_jalali_date("1405/03/14")]

    assert holiday.name == "رحلت امام خمینی، عید غدیر"


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("1405/09/13", []),
        ("1405/11/10", ["1406, which starts in 50 days"]),
        ("1406/02/01", ["current year 1406"]),
    ],
)
def test_coverage_warnings(tmp_path, today, expected):
    path = _holiday_file(tmp_path, ONLY_1405)

    warnings = holiday_coverage_warnings(
        read_holiday_file(path), path, parse_jalali_date(today)
    )

    assert len(warnings) == len(expected)
    for warning, text in zip(warnings, expected, strict=True):
        assert text in warning
        assert str(path) in warning


def test_agi_serve_start_up_warns_about_an_uncovered_year(
    settings, tmp_path, caplog, monkeypatch
):
    import ticketing.hours
    from ivr.flows import startup_check

    covered, path = _only_1405(settings, tmp_path)
    esfand = dt.datetime(2027, 3, 1, 6, 0, tzinfo=dt.UTC)  # 1405/12/10
    monkeypatch.setattr(ticketing.hours, "utc_now", lambda: esfand)

    with caplog.at_level(logging.WARNING):
        startup_check(covered)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("no holidays listed for 1406" in r.getMessage() for r in warnings)


def test_shipped_file_lists_no_built_in_holiday_again(settings):
    from ticketing.hours import FIXED_HOLIDAYS

    shipped = read_holiday_file(settings.path(settings.holidays_file), IN_1405)
    built_in = {(month, day) for month, day, _ in FIXED_HOLIDAYS}

    for day in shipped:
        parts = jalali_parts(day)
        assert (parts[1], parts[2]) not in built_in or shipped[day].lunar


def test_closure_before_opening_time_says_after_hours(session, settings):
    # 00:00-06:00: a caller at 05:00 finds the office shut until 07:30
    # anyway, not "open again at 06:00".
    add_closure(
        session, tehran("1405/09/08", "00:00"), tehran("1405/09/08", "06:00"), "x", "a"
    )

    state = center_status(session, settings, tehran("1405/09/08", "05:00"))

    assert state.reason == "after_hours"
    assert state.reopens_at is None


def test_closure_past_opening_reopens_at_its_end(session, settings):
    add_closure(
        session, tehran("1405/09/08", "06:00"), tehran("1405/09/08", "10:00"), "x", "a"
    )

    early = center_status(session, settings, tehran("1405/09/08", "05:00"))
    during = center_status(session, settings, tehran("1405/09/08", "09:00"))

    assert early.reason == during.reason == "closure"
    assert early.reopens_at == during.reopens_at == tehran("1405/09/08", "10:00")


def test_closure_past_closing_time_is_after_hours_once_closed(session, settings):
    add_closure(
        session, tehran("1405/09/08", "13:00"), tehran("1405/09/08", "18:00"), "x", "a"
    )

    during = center_status(session, settings, tehran("1405/09/08", "14:00"))
    after = center_status(session, settings, tehran("1405/09/08", "15:00"))

    assert during.reason == "closure"
    assert during.reopens_at is None
    assert after.reason == "after_hours"


def test_closure_window_one_rule_for_console_and_cli():
    from ticketing.hours import ClosureWindowError, closure_window

    now = tehran("1405/09/08", "09:15")
    today = now.date()
    tomorrow = today + dt.timedelta(days=1)

    # Empty: from now to midnight; a later day from its start; 24:00 is the
    # end of the day, at either end of the window.
    assert closure_window(today, "", None, now) == (now, tehran("1405/09/09", "00:00"))
    assert closure_window(tomorrow, None, "۱۲:۳۰", now) == (
        tehran("1405/09/09", "00:00"),
        tehran("1405/09/09", "12:30"),
    )
    assert closure_window(today, "10", "24:00", now)[1] == tehran("1405/09/09", "00:00")

    with pytest.raises(ClosureWindowError) as from_end_of_day:
        closure_window(tomorrow, "24:00", None, now)
    assert from_end_of_day.value.field == "to"
    assert from_end_of_day.value.persian == "پایان باید بعد از آغاز باشد."

    with pytest.raises(ClosureWindowError) as far:
        closure_window(today + dt.timedelta(days=367), None, None, now)
    assert far.value.field == "date"
    assert "more than a year ahead" in str(far.value)
    with pytest.raises(ClosureWindowError) as gregorian:
        closure_window(parse_jalali_date("2026/12/05"), None, None, now)
    assert gregorian.value.field == "date"
    assert "looks like a Gregorian date: give the Jalali one (1405/09/14)" in str(
        gregorian.value
    )
    assert "میلادی" in gregorian.value.persian
    assert "۱۴۰۵/۰۹/۱۴" in gregorian.value.persian
    assert closure_window(today + dt.timedelta(days=366), None, None, now)

    with pytest.raises(ClosureWindowError, match="expected HH:MM") as bad:
        closure_window(today, "25:00", None, now)
    assert bad.value.field == "from"
    with pytest.raises(ClosureWindowError, match="already over"):
        closure_window(today, "08:00", "09:00", now)
    with pytest.raises(ClosureWindowError, match="already over"):
        closure_window(today - dt.timedelta(days=1), None, None, now)


def test_a_gregorian_or_far_year_names_its_line(tmp_path):
    # Years around today's, so the test means the same in any year.
    today = tehran_now().date()
    this_year = to_jalali(today).year
    gregorian = today.replace(day=1) + dt.timedelta(days=40)
    typed = gregorian.strftime("%Y/%m/%d")
    path = _holiday_file(
        tmp_path,
        "holidays:\n"
        f"  - date: {this_year + 5}/01/20\n"
        "    name: نزدیک\n"
        f"  - date: {typed}\n"
        "    name: میلادی\n"
        f"  - date: {this_year + 6}/01/20\n"
        "    name: دور\n"
        f"  - date: {gregorian.isoformat()}\n"
        "    name:\n"
        "      عید: فطر\n"
        f"  - date: {today.year}/12/31\n"
        "    name: میلادی، نه روز شمسی\n",
    )

    with pytest.raises(HolidayFileError) as caught:
        read_holiday_file(path)

    message = str(caught.value)
    same_day = normalize_digits(format_date(gregorian))
    assert (
        f"holidays.yaml:4: {typed}: the year {gregorian.year} is far ahead of "
        f"the current Jalali year {this_year}; it looks like a Gregorian date: "
        f"give the Jalali one ({same_day})"
    ) in message
    assert (
        f"holidays.yaml:6: {this_year + 6}/01/20: the year {this_year + 6} is far"
    ) in message
    assert "holidays.yaml:8:" in message and "Gregorian" in message
    assert (
        'holidays.yaml:9: `name` must be text (": " makes it `key: value`; '
        'put it in quotes: "عید: فطر")'
    ) in message
    # Esfand has at most 30 days: the hint must come before "no such day".
    last_day = normalize_digits(format_date(dt.date(today.year, 12, 31)))
    assert (
        f"holidays.yaml:11: {today.year}/12/31: the year {today.year} is far ahead"
    ) in message
    assert f"give the Jalali one ({last_day})" in message
    assert "no such Jalali day" not in message
    assert ":2:" not in message


def test_past_years_are_kept_and_the_shipped_file_does_not_expire(settings, tmp_path):
    path = _holiday_file(tmp_path, "holidays:\n  - date: 1399/01/24\n    name: الف\n")
    in_1411 = parse_jalali_date("1411/01/01")

    old = read_holiday_file(path, in_1411)
    shipped = read_holiday_file(settings.path(settings.holidays_file), in_1411)

    assert list(old) == [parse_jalali_date("1399/01/24")]
    assert parse_jalali_date("1405/01/24") in shipped
