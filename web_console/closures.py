"""Admins' page: close the center for today or part of it, effective at
once (provinces order such closures at short notice), list and cancel."""

from __future__ import annotations

import datetime as dt
import logging
import re

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from callcenter import jalali
from callcenter.persian import normalize_digits, normalize_text, to_persian_digits
from ticketing import hours
from ticketing.models import Role
from web_console.auth import role_required
from web_console.database import db_session, settings

logger = logging.getLogger(__name__)

blueprint = Blueprint("closures", __name__)

_CLOCK = re.compile(r"^\s*(\d{1,2})\s*[:٫.]\s*(\d{2})\s*$")


def parse_clock(text: str) -> dt.time | None:
    """'14:30' (any digits) to a time; '24:00' is the end of the day (None)."""
    match = _CLOCK.match(normalize_digits(text or ""))
    if not match:
        raise ValueError(text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if (hour, minute) == (24, 0):
        return None
    return dt.time(hour, minute)


def _clock_field(form, field) -> None:
    if not (field.data or "").strip():
        return
    try:
        parse_clock(field.data)
    except ValueError:
        raise ValidationError("ساعت را به شکل ۱۴:۳۰ بنویسید.") from None


# A closure is ordered at short notice; a day further ahead is a mistake,
# most often a Gregorian year typed where the Jalali one belongs (2026/12/05
# is a real day of the Jalali year 2026, six centuries from now).
MAX_DAYS_AHEAD = 366


def _date_field(form, field) -> None:
    try:
        day = jalali.parse_jalali_date(field.data)
    except jalali.InvalidJalaliDate:
        raise ValidationError(
            "تاریخ را به شکل ۱۴۰۵/۰۹/۱۳ بنویسید (روزی که در تقویم هست)."
        ) from None
    today = jalali.tehran_now().date()
    if day < today:
        raise ValidationError("تاریخ گذشته است.")
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(
            "تاریخ بیش از یک سال دیگر است؛ تاریخ را شمسی بنویسید "
            f"(مانند {jalali.format_date(today)})."
        )


class ClosureForm(FlaskForm):
    day = StringField(
        "تاریخ",
        validators=[DataRequired("تاریخ را بنویسید."), _date_field],
    )
    starts = StringField("از ساعت (خالی: همین حالا)", validators=[_clock_field])
    ends = StringField("تا ساعت (خالی: پایان روز)", validators=[_clock_field])
    reason = StringField(
        "علت",
        validators=[
            DataRequired("علت تعطیلی را بنویسید."),
            Length(max=300, message="علت حداکثر ۳۰۰ نویسه است."),
        ],
    )

    def interval(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """The closure in UTC; call after validate()."""
        day = jalali.parse_jalali_date(self.day.data)
        start_of_day = dt.datetime.combine(day, dt.time(0), tzinfo=jalali.TEHRAN)
        end_of_day = start_of_day + dt.timedelta(days=1)

        starts = start_of_day
        if (self.starts.data or "").strip():
            clock = parse_clock(self.starts.data) or dt.time(0)
            starts = start_of_day.replace(hour=clock.hour, minute=clock.minute)
        elif day == now.astimezone(jalali.TEHRAN).date():
            starts = now

        ends = end_of_day
        if (self.ends.data or "").strip():
            clock = parse_clock(self.ends.data)
            if clock is not None:
                ends = start_of_day.replace(hour=clock.hour, minute=clock.minute)
        return starts.astimezone(dt.UTC), ends.astimezone(dt.UTC)


def _render(form: ClosureForm, status: int = 200):
    now = jalali.utc_now()
    active_ids = {c.id for c in hours.active_closures(db_session(), now)}
    return render_template(
        "closures/list.html",
        form=form,
        closures=hours.upcoming_closures(db_session(), now),
        active_ids=active_ids,
        center_state=hours.center_status(db_session(), settings(), now),
    ), status


@blueprint.route("/closures")
@role_required(Role.ADMIN)
def index():
    form = ClosureForm(formdata=None)
    form.day.data = jalali.format_date(jalali.tehran_now())
    return _render(form)


@blueprint.route("/closures", methods=["POST"])
@role_required(Role.ADMIN)
def create():
    form = ClosureForm()
    if not form.validate():
        return _render(form, 400)

    now = jalali.utc_now()
    starts_at, ends_at = form.interval(now)
    if ends_at <= starts_at:
        form.ends.errors = ["پایان باید بعد از آغاز باشد."]
        return _render(form, 400)
    if ends_at <= now:
        form.ends.errors = ["این بازه گذشته است."]
        return _render(form, 400)

    session = db_session()
    closure = hours.add_closure(
        session,
        starts_at,
        ends_at,
        normalize_text(form.reason.data),
        current_user.username,
    )
    session.commit()
    logger.info(
        "closure %s: %s to %s by %s",
        closure.id,
        starts_at.isoformat(),
        ends_at.isoformat(),
        current_user.username,
    )
    flash(
        "تعطیلی ثبت شد: "
        f"{jalali.format_datetime(starts_at)} تا {jalali.format_datetime(ends_at)}",
        "success",
    )
    return redirect(url_for("closures.index"))


@blueprint.route("/closures/<int:closure_id>/cancel", methods=["POST"])
@role_required(Role.ADMIN)
def cancel(closure_id: int):
    session = db_session()
    try:
        hours.remove_closure(session, closure_id)
    except LookupError:
        abort(404)
    session.commit()
    logger.info("closure %s: cancelled by %s", closure_id, current_user.username)
    flash(f"تعطیلی شماره {to_persian_digits(closure_id)} لغو شد.", "success")
    return redirect(url_for("closures.index"))
