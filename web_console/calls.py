"""Supervisors' page: the call records, newest first, with the path each
call took through the menus, how it ended and the ticket it left."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice, SelectField

from callcenter.persian import normalize_digits
from ticketing.models import Call, CallOutcome, Role, Service, Ticket
from web_console.auth import role_required
from web_console.database import db_session
from web_console.filters import OUTCOME_LABELS
from web_console.forms import listed_choice

blueprint = Blueprint("calls", __name__)

PAGE_SIZE = 50


class CallFilterForm(FlaskForm):
    class Meta:
        csrf = False

    outcome = SelectField(
        "نتیجه",
        choices=[SelectChoice("", "همه")]
        + [SelectChoice(o.value, OUTCOME_LABELS[o]) for o in CallOutcome],
        default="",
        validate_choice=False,
        validators=[listed_choice],
    )


MAX_PAGE = 10_000


def _page_number() -> int | None:
    """The page asked for (any digits), or None when it is not a page."""
    raw = normalize_digits(request.args.get("page", "1")).strip()
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return int(raw)


def _service_names() -> dict[str, str]:
    """Service codes to names, for outcomes such as service_info:<code>."""
    rows = db_session().execute(select(Service.code, Service.name))
    return {code: name for code, name in rows}


def menu_path(call: Call) -> list[str]:
    """The menus in the order the caller went through them, without the
    repeats of a menu played again after a wrong key."""
    path: list[str] = []
    for node in call.path:
        if not path or path[-1] != node:
            path.append(node)
    return path


@blueprint.route("/calls")
@role_required(Role.SUPERVISOR)
def index():
    form = CallFilterForm(request.args)
    valid = form.validate()
    page = _page_number()
    if page is None:
        form.form_errors.append("شمارهٔ صفحه باید عددی از ۱ تا ۱۰۰۰۰ باشد.")
        valid, page = False, 1

    query = (
        select(Call)
        .options(selectinload(Call.steps))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    if valid and form.outcome.data:
        query = query.where(Call.outcome == form.outcome.data)
    found = list(db_session().scalars(query))
    has_next = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]

    tickets_by_call: dict[int, list[Ticket]] = {}
    if found:
        rows = db_session().scalars(
            select(Ticket)
            .where(Ticket.call_id.in_([call.id for call in found]))
            .order_by(Ticket.id)
        )
        for ticket in rows:
            tickets_by_call.setdefault(ticket.call_id, []).append(ticket)

    return render_template(
        "calls/list.html",
        form=form,
        calls=found,
        tickets_by_call=tickets_by_call,
        service_names=_service_names(),
        menu_path=menu_path,
        page=page,
        has_next=has_next,
        filter_args={"outcome": form.outcome.data} if form.outcome.data else {},
    ), (200 if valid else 400)
