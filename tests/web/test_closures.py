"""The admins' closures page: close the center at once, list, cancel."""

from __future__ import annotations

import datetime as dt

from callcenter import jalali
from tests.web.conftest import csrf_token, login
from ticketing import hours
from ticketing.db import session_scope


def _post(client, **fields):
    token = csrf_token(client, "/closures")
    return client.post("/closures", data={"csrf_token": token, **fields})


def test_closing_the_rest_of_today_takes_effect_at_once(client, users, db):
    login(client, "admin1")
    today = jalali.format_date(jalali.tehran_now())

    response = _post(client, day=today, starts="", ends="", reason="دستور استانداری")

    assert response.status_code == 302
    # In force now (center_status may name another reason first, e.g. on a
    # Friday, so the closure itself is what is checked).
    with session_scope(db) as session:
        closures = hours.active_closures(session)
    assert [c.reason for c in closures] == ["دستور استانداری"]
    assert closures[0].created_by == "admin1"
    html = client.get("/closures").get_data(as_text=True)
    assert "دستور استانداری" in html
    assert "(در جریان)" in html


def test_part_of_a_day_in_persian_digits(client, users, db):
    login(client, "admin1")
    tomorrow = jalali.tehran_now().date() + dt.timedelta(days=1)
    day = jalali.format_date(tomorrow)

    response = _post(client, day=day, starts="۱۰:۰۰", ends="۱۲:۳۰", reason="برف")

    assert response.status_code == 302
    with session_scope(db) as session:
        (closure,) = hours.upcoming_closures(session)
        starts = jalali.to_tehran(closure.starts_at)
        ends = jalali.to_tehran(closure.ends_at)
    assert (starts.date(), starts.hour, starts.minute) == (tomorrow, 10, 0)
    assert (ends.hour, ends.minute) == (12, 30)


def test_bad_closure_input_gets_persian_errors(client, users, db):
    login(client, "admin1")
    today = jalali.format_date(jalali.tehran_now())
    tomorrow = jalali.format_date(jalali.tehran_now() + dt.timedelta(days=1))

    bad_time = _post(client, day=today, starts="25:00", reason="x")
    no_reason = _post(client, day=today, reason="")
    no_such_day = _post(client, day="1402/12/30", reason="x")
    backwards = _post(client, day=tomorrow, starts="12:00", ends="10:00", reason="x")

    assert bad_time.status_code == 400
    assert "ساعت را به شکل" in bad_time.get_data(as_text=True)
    assert "علت تعطیلی را بنویسید." in no_reason.get_data(as_text=True)
    assert "روزی که در تقویم هست" in no_such_day.get_data(as_text=True)
    assert "پایان باید بعد از آغاز باشد." in backwards.get_data(as_text=True)
    with session_scope(db) as session:
        assert hours.upcoming_closures(session) == []


def test_cancel_a_closure(client, users, db, settings):
    login(client, "admin1")
    now = jalali.utc_now()
    with session_scope(db) as session:
        closure = hours.add_closure(
            session, now, now + dt.timedelta(hours=2), "آزمایش", "admin1"
        )
        closure_id = closure.id
    token = csrf_token(client, "/closures")

    without_token = client.post(f"/closures/{closure_id}/cancel")
    response = client.post(f"/closures/{closure_id}/cancel", data={"csrf_token": token})
    again = client.post(f"/closures/{closure_id}/cancel", data={"csrf_token": token})

    assert without_token.status_code == 400
    assert response.status_code == 302
    assert again.status_code == 404
    with session_scope(db) as session:
        assert hours.active_closures(session) == []


def test_supervisor_cannot_close_the_center(client, users, db):
    login(client, "admin1")
    token = csrf_token(client, "/closures")
    client.post("/logout", data={"csrf_token": token})
    login(client, "super1")
    token = csrf_token(client, "/tickets")

    response = client.post(
        "/closures", data={"csrf_token": token, "day": "1405/01/01", "reason": "x"}
    )

    assert response.status_code == 403


def test_a_gregorian_year_or_a_far_day_is_refused_in_persian(client, users, db):
    login(client, "admin1")
    far = jalali.format_date(jalali.tehran_now() + dt.timedelta(days=400))

    # This year's 12/31 is never a Jalali day (Esfand has at most 30).
    gregorian = _post(client, day=f"{jalali.tehran_now().year}-12-31", reason="x")
    too_far = _post(client, day=far, reason="x")
    past_day = jalali.format_date(jalali.tehran_now() - dt.timedelta(days=400))
    past = _post(client, day=past_day, reason="x")

    assert gregorian.status_code == too_far.status_code == past.status_code == 400
    assert "این تاریخ میلادی است" in gregorian.get_data(as_text=True)
    assert "بیش از یک سال دیگر است" in too_far.get_data(as_text=True)
    assert "تاریخ گذشته است." in past.get_data(as_text=True)
    with session_scope(db) as session:
        assert hours.upcoming_closures(session) == []
