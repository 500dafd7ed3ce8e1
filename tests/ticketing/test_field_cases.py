"""Field cases 5, 6 and 7 of shared/field-cases.md, each its own test."""

from __future__ import annotations

import datetime as dt

import jdatetime
import pytest
from sqlalchemy import text

from callcenter.jalali import (
    InvalidJalaliDate,
    add_working_days,
    format_date,
    parse_jalali_date,
)
from ticketing.catalogue import load_catalogue
from ticketing.hours import HolidayFileError, read_holidays
from ticketing.search import search_tickets
from ticketing.service import (
    caller_may_hear_status,
    create_callback_request,
    create_voice_request,
    set_description,
)
from ticketing.users import UserError, create_user

PERSIAN_PHONE = "۰۹۱۲۰۰۰۰۰۰۰"
ARABIC_INDIC_PHONE = "٠٩١٢٠٠٠٠٠٠٠"
ASCII_PHONE = "09120000000"


def _ids(tickets):
    return [ticket.id for ticket in tickets]


def test_case_5_arabic_ye_and_kaf_find_persian_and_back(session, tmp_path):
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text(
        "services:\n"
        "  - code: id-card\n"
        "    menu_key: 1\n"
        "    name: کارت ملی\n"
        "    office_hours: صبح\n"
        "    required_documents: شناسنامه\n",
        encoding="utf-8",
    )
    [service] = load_catalogue(session, catalogue)
    persian = create_voice_request(
        session,
        call_id=None,
        caller_number=ASCII_PHONE,
        spool_path="/spool/a.wav",
        seconds=2,
        service_id=service.id,
    )
    set_description(session, persian, "پیگیری کیف پول")
    arabic = create_callback_request(session, call_id=None, caller_number=ASCII_PHONE)
    set_description(session, arabic, "تمديد كارت بازرگاني")

    # Saved Persian, searched Arabic.
    assert _ids(search_tickets(session, text="پيگيري كيف")) == [persian.id]
    assert _ids(search_tickets(session, text="كارت ملي")) == [persian.id]
    # Saved Arabic, searched Persian.
    assert arabic.description == "تمدید کارت بازرگانی"
    assert _ids(search_tickets(session, text="کارت بازرگانی")) == [arabic.id]
    # A row stored with Arabic letters by something other than the service.
    session.execute(
        text("UPDATE tickets SET description = 'مدارك تكميلي' WHERE id = :id"),
        {"id": persian.id},
    )
    assert _ids(search_tickets(session, text="مدارک تکمیلی")) == [persian.id]
    assert _ids(search_tickets(session, text="مدارك تكميلي")) == [persian.id]


def test_case_6_persian_and_arabic_indic_digits_are_one_phone_number(session):
    by_persian = create_callback_request(
        session, call_id=None, caller_number=PERSIAN_PHONE
    )
    by_arabic = create_voice_request(
        session,
        call_id=None,
        caller_number=ARABIC_INDIC_PHONE,
        spool_path="/spool/b.wav",
        seconds=2,
    )

    # Stored in one form.
    assert by_persian.caller_number == by_arabic.caller_number == ASCII_PHONE
    # Found by every form.
    both = sorted([by_persian.id, by_arabic.id], reverse=True)
    for typed in (PERSIAN_PHONE, ARABIC_INDIC_PHONE, ASCII_PHONE, "+98 912 000 0000"):
        assert _ids(search_tickets(session, phone=typed)) == both
    assert _ids(search_tickets(session, phone="۰۰۰۰")) == both
    # Compared equal when the caller asks for the status.
    assert caller_may_hear_status(by_arabic, PERSIAN_PHONE)
    assert caller_may_hear_status(by_persian, None, last_four="٠٠٠٠")
    # Tracking codes in either script.
    code = by_persian.tracking_code
    arabic_code = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert _ids(search_tickets(session, tracking_code=arabic_code)) == [by_persian.id]
    # Duplicate checks see through the digits too.
    create_user(session, "agent۱", "long-enough", "agent")
    with pytest.raises(UserError, match="exists"):
        create_user(session, "agent1", "long-enough", "agent")
    with pytest.raises(UserError, match="exists"):
        create_user(session, "agent١", "long-enough", "agent")


def test_case_7_leap_year_1403_and_due_dates_across_esfand(tmp_path):
    # The calendar itself.
    assert parse_jalali_date("1403/12/30") == dt.date(2025, 3, 20)
    assert parse_jalali_date("۱۴۰۴/۰۱/۰۱") == dt.date(2025, 3, 21)
    with pytest.raises(InvalidJalaliDate):
        parse_jalali_date("1402/12/30")
    assert format_date(dt.date(2025, 3, 20)) == "۱۴۰۳/۱۲/۳۰"
    assert jdatetime.date(1403, 12, 29) + jdatetime.timedelta(days=2) == (
        jdatetime.date(1404, 1, 1)
    )

    # The admin's holiday file refuses the day that does not exist.
    bad = tmp_path / "bad.yaml"
    bad.write_text("holidays:\n  - date: 1402/12/30\n    name: x\n", encoding="utf-8")
    with pytest.raises(HolidayFileError, match="bad.yaml:2: no such Jalali day"):
        read_holidays(bad)

    # Due dates across the end of Esfand 1403 into Nowruz 1404.
    holidays_file = tmp_path / "holidays.yaml"
    holidays_file.write_text(
        "holidays:\n"
        "  - {date: 1403/12/29, name: روز ملی شدن صنعت نفت}\n"
        "  - {date: 1404/01/01, name: نوروز}\n"
        "  - {date: 1404/01/02, name: نوروز}\n"
        "  - {date: 1404/01/03, name: نوروز}\n"
        "  - {date: 1404/01/04, name: نوروز}\n",
        encoding="utf-8",
    )
    # Read as in 1404: the plausible years move with today's.
    in_1404 = parse_jalali_date("1404/01/01")
    holidays = frozenset(read_holidays(holidays_file, today=in_1404))
    monday = parse_jalali_date("1403/12/27")

    # Tue 12/28 is one; Wed 12/29 holiday, Thu 12/30 and Fri 01/01 weekend,
    # 01/02 to 01/04 Nowruz; Tue 01/05 is two and Wed 01/06 three.
    assert add_working_days(monday, 1, holidays) == parse_jalali_date("1403/12/28")
    assert add_working_days(monday, 3, holidays) == parse_jalali_date("1404/01/06")
    # With Thursdays open, the leap day 30 Esfand counts as a working day.
    assert add_working_days(monday, 2, holidays, thursday_open=True) == (
        parse_jalali_date("1403/12/30")
    )
