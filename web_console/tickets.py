"""Agents' pages: the ticket list (with its live feed), a ticket, its
recording, and the status change with a note."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from callcenter.jalali import format_datetime
from callcenter.persian import (
    InvalidPhoneNumber,
    normalize_digits,
    normalize_phone,
    normalize_text,
    to_persian_digits,
)
from ticketing import service as ticket_service
from ticketing.jobs import spool_file
from ticketing.models import RecordingState, Role, Ticket, User
from ticketing.search import SearchError, search_tickets
from ticketing.tracking import is_valid_tracking_code, normalize_tracking_code
from ticketing.workflow import (
    AGENT_STATUS_LABELS,
    IllegalTransition,
    TicketStatus,
    next_statuses,
)
from web_console.auth import role_required
from web_console.database import db_session, settings
from web_console.filters import persian_phone, status_label
from web_console.forms import listed_choice

logger = logging.getLogger(__name__)

blueprint = Blueprint("tickets", __name__)

LIST_LIMIT = 100

SORT_NEWEST = "new"
SORT_OLDEST = "old"

# Ticket ids are PostgreSQL integers; a larger cursor can name no ticket.
MAX_ID = 2**31 - 1

# The feed returns at most this many tickets per poll; when a poll fills it,
# older ones of that burst are not sent and the page asks for a reload.
FEED_LIMIT = 100

KEEP_STATUS = ""

RECORDING_LABELS = {
    RecordingState.NONE: "ندارد",
    RecordingState.PENDING: "در حال آماده‌سازی",
    RecordingState.READY: "دارد",
    RecordingState.MISSING: "پیدا نشد",
    RecordingState.FAILED: "ذخیره نشد",
}


# Why normalize_phone refused a number, as the form says it.
PHONE_ERRORS = {
    "empty": "شماره تلفن را بنویسید.",
    "characters": "شماره تلفن فقط می‌تواند رقم داشته باشد.",
    "plus": "این شماره درست نوشته نشده است؛ + فقط در آغاز شماره می‌آید.",
    "too_short": "دست‌کم چهار رقم آخر شماره را بنویسید.",
    "too_long": "شماره تلفن حداکثر پانزده رقم است.",
}


def _phone_chars(form, field) -> None:
    # The search takes the number through normalize_phone: what it refuses
    # is refused here, with its reason in Persian.
    if not (field.data or "").strip():
        return
    try:
        normalize_phone(field.data)
    except InvalidPhoneNumber as error:
        raise ValidationError(PHONE_ERRORS[error.reason]) from None


def _code_chars(form, field) -> None:
    # The IVR and the ticket service read codes with the same normalizer, so
    # a code pasted as 202-132-3482 finds what a caller typing it would.
    value = normalize_tracking_code(field.data)
    if value and not (value.isascii() and value.isdigit()):
        raise ValidationError("کد رهگیری فقط از رقم تشکیل می‌شود.")
    if len(value) > 10:
        raise ValidationError("کد رهگیری ده رقم است.")
    # This field finds one whole code; a part would only give an empty list.
    if 0 < len(value) < 10:
        raise ValidationError(
            "کد رهگیری ده رقم است؛ برای جستجو با بخشی از کد، آن را در خانهٔ "
            "«متن» بنویسید."
        )
    # A whole code carries a check digit: a typo is caught here instead of
    # showing an empty list.
    if len(value) == 10 and not is_valid_tracking_code(value):
        raise ValidationError("این کد رهگیری درست نیست؛ رقم‌ها را دوباره ببینید.")


class TicketFilterForm(FlaskForm):
    """The filters of the list. A GET form that changes nothing, so it
    carries no CSRF token (a token would also end up in shared links)."""

    class Meta:
        csrf = False

    q = StringField("متن", validators=[Optional(), Length(max=200)])
    status = SelectField(
        "وضعیت",
        choices=[SelectChoice("", "همه")]
        + [SelectChoice(s.value, AGENT_STATUS_LABELS[s]) for s in TicketStatus],
        default="",
        validate_choice=False,
        validators=[listed_choice],
    )
    phone = StringField(
        "شماره تماس", validators=[Optional(), Length(max=32), _phone_chars]
    )
    code = StringField(
        "کد رهگیری", validators=[Optional(), Length(max=32), _code_chars]
    )
    sort = SelectField(
        "ترتیب",
        choices=[
            SelectChoice(SORT_NEWEST, "تازه‌ترین اول"),
            SelectChoice(SORT_OLDEST, "قدیمی‌ترین اول (نوبتی)"),
        ],
        default=SORT_NEWEST,
        validate_choice=False,
        validators=[listed_choice],
    )

    @property
    def oldest_first(self) -> bool:
        return self.sort.data == SORT_OLDEST

    def search_arguments(self) -> dict:
        """Keyword arguments for ticketing.search.search_tickets."""
        # Validated: normalize_phone takes the number (search does it again).
        phone = normalize_phone(self.phone.data) if self.phone.data else None
        return {
            "text": normalize_text(self.q.data) or None,
            "status": self.status.data or None,
            "phone": phone,
            "tracking_code": normalize_tracking_code(self.code.data) or None,
        }

    def query_arguments(self, *, with_sort: bool = False) -> dict:
        """The filters as URL arguments, for the feed the page polls (which
        is always newest first) and, with the sort, for the page links."""
        arguments = {
            name: value
            for name, value in (
                ("q", self.q.data),
                ("status", self.status.data),
                ("phone", self.phone.data),
                ("code", self.code.data),
            )
            if value
        }
        if with_sort and self.oldest_first:
            arguments["sort"] = SORT_OLDEST
        return arguments


class StatusForm(FlaskForm):
    # Any known status passes the form; the workflow decides what is legal,
    # so a stale page (another agent moved the ticket) gets its error.
    target = SelectField("وضعیت تازه", choices=[], validate_choice=False)
    note = TextAreaField(
        "یادداشت",
        validators=[Length(max=2000, message="یادداشت حداکثر ۲۰۰۰ نویسه است.")],
    )

    def offer(self, ticket: Ticket) -> None:
        self.target.choices = [
            SelectChoice(KEEP_STATUS, "بدون تغییر وضعیت (فقط یادداشت)")
        ] + [
            SelectChoice(status.value, AGENT_STATUS_LABELS[status])
            for status in next_statuses(ticket.status)
        ]

    def validate_target(self, field) -> None:
        if field.data == KEEP_STATUS:
            return
        if field.data not in {status.value for status in TicketStatus}:
            raise ValidationError("وضعیت انتخاب‌شده شناخته نیست.")

    def validate_note(self, field) -> None:
        if self.target.data == KEEP_STATUS and not normalize_text(field.data):
            raise ValidationError("بدون تغییر وضعیت، یادداشت را بنویسید.")


class BadNumber(ValueError):
    """A numeric query argument that is not a usable number."""


def id_argument(name: str) -> int | None:
    """The ticket id in this query argument (any digits), None when absent.
    BadNumber, with a Persian message, for anything else."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    value = normalize_digits(raw).strip()
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        raise BadNumber(f"پارامتر {name} باید شمارهٔ یک درخواست باشد.")
    return int(value)


def _caller_name(ticket: Ticket) -> str:
    return ticket.call.caller_name if ticket.call else ""


def _row_for_feed(ticket: Ticket) -> dict:
    return {
        "id": ticket.id,
        "url": url_for("tickets.show", ticket_id=ticket.id),
        "tracking_code": to_persian_digits(ticket.tracking_code),
        "caller": persian_phone(ticket.caller_number),
        # Text only: the page's script puts it in with textContent.
        "caller_name": _caller_name(ticket),
        "service": to_persian_digits(ticket.service.name) if ticket.service else "",
        "status": ticket.status,
        "status_label": status_label(ticket.status),
        "created": format_datetime(ticket.created_at),
        "recording": RECORDING_LABELS.get(ticket.recording_state, ""),
    }


def _search(form: TicketFilterForm, **options) -> list[Ticket] | None:
    """The tickets the filters ask for, or None with the errors on the form."""
    if not form.validate():
        return None
    try:
        return search_tickets(db_session(), **form.search_arguments(), **options)
    except SearchError as error:
        logger.info("tickets: search refused: %s", error)
        form.form_errors.append("این جستجو معنایی ندارد؛ فیلترها را بررسی کنید.")
        return None


@blueprint.route("/")
@role_required(Role.AGENT)
def home():
    return redirect(url_for("tickets.index"))


@blueprint.route("/tickets")
@role_required(Role.AGENT)
def index():
    form = TicketFilterForm(request.args)
    try:
        before = id_argument("before")
        after = id_argument("after")
    except BadNumber as error:
        form.validate()
        form.form_errors.append(str(error))
        return _list_page(form, [], valid=False)
    if before is not None and after is not None:
        form.validate()
        form.form_errors.append("فقط یکی از before و after را بدهید.")
        return _list_page(form, [], valid=False)

    # One more than a page tells whether there is a next one.
    found = _search(
        form,
        limit=LIST_LIMIT + 1,
        before_id=before,
        after_id=after,
        oldest_first=form.oldest_first,
    )
    if found is None:
        return _list_page(form, [], valid=False)

    more = len(found) > LIST_LIMIT
    found = found[:LIST_LIMIT]
    links = form.query_arguments(with_sort=True)
    next_url = None
    if more and form.oldest_first:
        next_url = url_for("tickets.index", after=found[-1].id, **links)
    elif more:
        next_url = url_for("tickets.index", before=found[-1].id, **links)
    paged = before is not None or after is not None
    first_url = url_for("tickets.index", **links) if paged else None

    # Only the first page of the newest-first view takes new tickets from the
    # feed: in the others a new ticket belongs on a page not shown.
    live = not form.oldest_first and not paged
    return _list_page(
        form, found, valid=True, live=live, next_url=next_url, first_url=first_url
    )


def _list_page(form, tickets, *, valid, live=False, next_url=None, first_url=None):
    # The feed starts after the newest ticket of the whole table: it applies
    # the same filters, so nothing older can be fed in later.
    # Known gap: ids come from a sequence, so a ticket whose transaction
    # commits after a higher id was already fed is never fed; a reload shows
    # it. Feeding by commit time (or an overlap window) would close that.
    last_id = db_session().scalar(select(func.max(Ticket.id))) or 0

    return render_template(
        "tickets/list.html",
        form=form,
        tickets=tickets,
        valid=valid,
        caller_name=_caller_name,
        recording_labels=RECORDING_LABELS,
        feed_url=url_for("tickets.feed", **form.query_arguments()) if live else "",
        last_id=last_id,
        poll_ms=int(current_app.config["FEED_POLL_SECONDS"] * 1000),
        next_url=next_url,
        first_url=first_url,
        oldest_first=form.oldest_first,
    ), (200 if valid else 400)


@blueprint.route("/tickets/feed")
@role_required(Role.AGENT)
def feed():
    try:
        after = id_argument("after") or 0
    except BadNumber as error:
        return jsonify(error=str(error)), 400

    form = TicketFilterForm(request.args)
    found = _search(form, after_id=after, limit=FEED_LIMIT)
    if found is None:
        errors = [message for messages in form.errors.values() for message in messages]
        return jsonify(error=" ".join(errors + form.form_errors)), 400

    last_id = max([after] + [ticket.id for ticket in found])
    return jsonify(
        tickets=[_row_for_feed(ticket) for ticket in found],
        last_id=last_id,
        truncated=len(found) >= FEED_LIMIT,
    )


def _load_ticket(ticket_id: int) -> Ticket:
    ticket = db_session().get(Ticket, ticket_id)
    if ticket is None:
        abort(404)
    return ticket


def _render_ticket(ticket: Ticket, form: StatusForm, status: int = 200):
    form.offer(ticket)
    return render_template(
        "tickets/show.html",
        ticket=ticket,
        form=form,
        recording_available=_recording_file(ticket) is not None,
        recording_label=RECORDING_LABELS.get(ticket.recording_state, ""),
    ), status


@blueprint.route("/tickets/<int:ticket_id>")
@role_required(Role.AGENT)
def show(ticket_id: int):
    ticket = _load_ticket(ticket_id)
    return _render_ticket(ticket, StatusForm(formdata=None))


@blueprint.route("/tickets/<int:ticket_id>/status", methods=["POST"])
@role_required(Role.AGENT)
def change_status(ticket_id: int):
    session = db_session()
    # Not locked here: ticket_service.change_status locks the row and checks
    # the workflow against the status it finds then.
    ticket = _load_ticket(ticket_id)
    form = StatusForm()
    form.offer(ticket)
    if not form.validate():
        session.rollback()
        return _render_ticket(ticket, form, 400)

    agent = session.get(User, current_user.user_id)
    note = normalize_text(form.note.data)
    if form.target.data == KEEP_STATUS:
        ticket_service.add_note(session, ticket, note, agent)
        session.commit()
        logger.info("ticket %s: note by %s", ticket.id, agent.username)
        flash("یادداشت ثبت شد.", "success")
        return redirect(url_for("tickets.show", ticket_id=ticket.id))

    try:
        # The SMS is recorded with the change and queued after the commit.
        ticket_service.change_status(
            session,
            ticket,
            form.target.data,
            user=agent,
            note=note,
            settings=settings(),
        )
    except IllegalTransition as error:
        session.rollback()
        ticket = _load_ticket(ticket_id)
        form.target.errors = list(form.target.errors) + [
            f"وضعیت «{status_label(error.current)}» را نمی‌توان به "
            f"«{status_label(error.target)}» تغییر داد."
        ]
        return _render_ticket(ticket, form, 409)

    session.commit()
    flash(f"وضعیت درخواست «{status_label(ticket.status)}» شد.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


def _recording_file(ticket: Ticket) -> Path | None:
    """The WAV of the ticket on this machine, if there is one.

    A ready recording is in recordings_dir; a pending one is still where
    Asterisk left it (the worker has not moved it yet), and agents may
    listen to it there. A path outside those folders is refused, whatever
    the database says.
    """
    config = settings()
    if ticket.recording_state == RecordingState.READY and ticket.recording_path:
        root = config.recordings_path
        candidate = Path(ticket.recording_path)
        if not candidate.is_absolute():
            candidate = root / candidate
    elif ticket.recording_state == RecordingState.PENDING and (
        ticket.recording_spool_path
    ):
        root = config.spool_local_path
        candidate = spool_file(config, ticket)
    else:
        return None

    try:
        resolved = candidate.resolve(strict=True)
    except OSError:
        return None
    if not resolved.is_relative_to(root.resolve()) or not resolved.is_file():
        logger.warning("ticket %s: recording path outside its folder", ticket.id)
        return None
    return resolved


@blueprint.route("/tickets/<int:ticket_id>/recording")
@role_required(Role.AGENT)
def recording(ticket_id: int):
    ticket = _load_ticket(ticket_id)
    path = _recording_file(ticket)
    if path is None:
        abort(404)

    # DEBUG: the browser asks for every byte range separately.
    logger.debug("ticket %s: recording sent to %s", ticket.id, current_user.username)
    response = send_file(
        path,
        mimetype="audio/wav",
        conditional=True,
        download_name=f"{ticket.tracking_code}.wav",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
