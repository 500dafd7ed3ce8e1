"""Admins' page: close the center for today or part of it, effective at
once (provinces order such closures at short notice), list and cancel."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from callcenter import jalali
from callcenter.persian import normalize_text, to_persian_digits
from ticketing import hours
from ticketing.models import Role
from web_console.auth import role_required
from web_console.database import db_session, settings

blueprint = Blueprint("closures", __name__)


def _date_field(form, field) -> None:
    try:
        jalali.parse_jalali_date(field.data, jalali.tehran_now().date())
    except jalali.ImplausibleJalaliDate as error:
        # A Gregorian date gets its hint even when it names no Jalali day.
        raise ValidationError(error.persian) from None
    except jalali.InvalidJalaliDate:
        raise ValidationError(
            "تاریخ را به شکل ۱۴۰۵/۰۹/۱۳ بنویسید (روزی که در تقویم هست)."
        ) from None


class ClosureForm(FlaskForm):
    day = StringField(
        "تاریخ",
        validators=[DataRequired("تاریخ را بنویسید."), _date_field],
    )
    # Checked, with the day's range, by hours.closure_window.
    starts = StringField("از ساعت (خالی: همین حالا)")
    ends = StringField("تا ساعت (خالی: پایان روز)")
    reason = StringField(
        "علت",
        validators=[
            DataRequired("علت تعطیلی را بنویسید."),
            Length(max=300, message="علت حداکثر ۳۰۰ نویسه است."),
        ],
    )

    def window(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """The closure (hours.closure_window); call after validate().
        A ClosureWindowError is shown at the field it is about."""
        day = jalali.parse_jalali_date(self.day.data)
        try:
            return hours.closure_window(day, self.starts.data, self.ends.data, now)
        except hours.ClosureWindowError as error:
            field = {"date": self.day, "from": self.starts, "to": self.ends}
            field[error.field].errors = [error.persian]
            raise


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

    try:
        starts_at, ends_at = form.window(jalali.utc_now())
    except hours.ClosureWindowError:
        return _render(form, 400)

    session = db_session()
    hours.add_closure(
        session,
        starts_at,
        ends_at,
        normalize_text(form.reason.data),
        current_user.username,
    )
    session.commit()
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
        hours.remove_closure(session, closure_id, current_user.username)
    except LookupError:
        abort(404)
    session.commit()
    flash(f"تعطیلی شماره {to_persian_digits(closure_id)} لغو شد.", "success")
    return redirect(url_for("closures.index"))
