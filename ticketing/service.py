"""The ticket service: the one place where tickets are made and changed.

The IVR, the web console and the CLI all come through here, so every text and
phone number is normalized once, every status change passes the workflow, and
every change leaves a history row. Functions flush but never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.config import Settings
from callcenter.jalali import utc_now
from callcenter.logs import call_logger
from callcenter.persian import (
    InvalidPhoneNumber,
    mask_phone,
    normalize_digits,
    normalize_phone,
    normalize_text,
    phone_or_none,
)
from ticketing.models import (
    Call,
    NotificationKind,
    RecordingState,
    Service,
    Ticket,
    TicketHistory,
    TicketKind,
    User,
)
from ticketing.notifications import enqueue_after_commit, record_notification
from ticketing.tracking import (
    is_valid_tracking_code,
    new_tracking_code,
    normalize_tracking_code,
)
from ticketing.workflow import TicketStatus, check_transition

logger = logging.getLogger(__name__)

# With 10^8 codes per leading digit a collision is rare; a run of them means
# something is broken (for example a patched random source), not bad luck.
TRACKING_CODE_ATTEMPTS = 8

# History notes a person reads in the console.
NOTE_VOICE_REQUEST = "درخواست با پیام صوتی در تلفن گویا ثبت شد"
NOTE_CALLBACK = "درخواست تماس در تلفن گویا ثبت شد"
NOTE_CALLER_NUMBER = "شماره تماس را تماس‌گیرنده در تلفن گویا وارد کرد"

# A callback request still waiting for its call: a second one from the same
# number is the same request.
OPEN_CALLBACK_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS)


class TicketError(ValueError):
    """A ticket cannot be made or changed with the input given."""


def ticket_logger(
    session: Session, ticket: Ticket, module_logger: logging.Logger | None = None
):
    """module_logger (this module's by default) with the uniqueid of the
    ticket's call on each line ('-' for a ticket made outside a call, e.g.
    in the console)."""
    uniqueid = None
    if ticket.call_id is not None:
        uniqueid = session.scalar(
            select(Call.uniqueid).where(Call.id == ticket.call_id)
        )
    return call_logger(module_logger or logger, uniqueid or "-")


def _insert_with_tracking_code(session: Session, ticket: Ticket) -> Ticket:
    """Add the ticket under a fresh tracking code, drawing again on collision."""
    for attempt in range(1, TRACKING_CODE_ATTEMPTS + 1):
        ticket.tracking_code = new_tracking_code()
        try:
            with session.begin_nested():
                session.add(ticket)
            return ticket
        except IntegrityError:
            taken = session.scalar(
                select(Ticket.id).where(Ticket.tracking_code == ticket.tracking_code)
            )
            if taken is None:
                raise
            logger.warning("tracking code collision, attempt %d", attempt)
    raise TicketError("no free tracking code found; check the random source")


def _new_ticket(
    session: Session,
    *,
    kind: TicketKind,
    call_id: int | None,
    caller_number: str | None,
    note: str,
    **fields,
) -> Ticket:
    now = utc_now()
    ticket = Ticket(
        kind=kind,
        status=TicketStatus.NEW,
        call_id=call_id,
        caller_number=caller_number,
        created_at=now,
        status_changed_at=now,
        **fields,
    )
    _insert_with_tracking_code(session, ticket)

    ticket.history.append(
        TicketHistory(at=now, from_status=None, to_status=TicketStatus.NEW, note=note)
    )
    session.flush()
    ticket_logger(session, ticket).info(
        "ticket %s created: %s from %s",
        ticket.tracking_code,
        kind.value,
        mask_phone(caller_number),
    )
    return ticket


def create_voice_request(
    session: Session,
    *,
    call_id: int | None,
    caller_number: str | None,
    spool_path: str,
    seconds: float,
    service_id: int | None = None,
) -> Ticket:
    """A request left as a voice message; the recording job moves the file.

    Enqueue the job (ticketing.jobs.enqueue_recording) after the commit, so
    the worker finds the row.
    """
    if not spool_path:
        raise TicketError("a voice request needs the recording's spool path")
    if seconds is None or seconds < 0:
        raise TicketError(f"recording length cannot be {seconds!r}")
    if service_id is not None and session.get(Service, service_id) is None:
        raise TicketError(f"no service with id {service_id}")

    return _new_ticket(
        session,
        kind=TicketKind.VOICE_REQUEST,
        call_id=call_id,
        caller_number=phone_or_none(caller_number),
        note=NOTE_VOICE_REQUEST,
        service_id=service_id,
        recording_spool_path=spool_path,
        recording_seconds=float(seconds),
        recording_state=RecordingState.PENDING,
    )


def create_callback_request(
    session: Session, *, call_id: int | None, caller_number: str | None
) -> Ticket:
    """A request to be called back; it needs a number to call."""
    try:
        number = normalize_phone(caller_number)
    except InvalidPhoneNumber as error:
        raise TicketError(f"a callback needs a phone number: {error}") from None

    return _new_ticket(
        session,
        kind=TicketKind.CALLBACK,
        call_id=call_id,
        caller_number=number,
        note=NOTE_CALLBACK,
        recording_state=RecordingState.NONE,
    )


def callback_request_for(
    session: Session, *, call_id: int | None, caller_number: str | None
) -> tuple[Ticket, bool]:
    """The number's open callback request, or a new one; True when new.

    Two calls from one number at the same moment must not both find none
    and both insert: the check and the insert run under a lock on the
    number, held until the caller's transaction ends.
    """
    try:
        number = normalize_phone(caller_number)
    except InvalidPhoneNumber as error:
        raise TicketError(f"a callback needs a phone number: {error}") from None

    _lock_callbacks_of(session, number)
    earlier = open_callback_for(session, number)
    if earlier is not None:
        return earlier, False
    ticket = create_callback_request(session, call_id=call_id, caller_number=number)
    session.flush()
    return ticket, True


def _lock_callbacks_of(session: Session, number: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b(f"callback:{number}".encode(), digest_size=8)
        key = int.from_bytes(digest.digest(), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        return
    # SQLite has no row or advisory locks; a write, even one that changes
    # nothing, takes the database's single write lock until commit.
    session.execute(text("UPDATE tickets SET id = id WHERE 0 = 1"))


def open_callback_for(session: Session, caller_number: str | None) -> Ticket | None:
    """The newest callback request of this number that is still open."""
    number = phone_or_none(caller_number)
    if number is None:
        return None
    return session.scalar(
        select(Ticket)
        .where(
            Ticket.kind == TicketKind.CALLBACK,
            Ticket.caller_number == number,
            Ticket.status.in_([status.value for status in OPEN_CALLBACK_STATUSES]),
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )


def set_caller_number(session: Session, ticket: Ticket, number: str) -> Ticket:
    """The number to reach the filer, typed by a caller without caller id;
    status lookup checks its last four digits."""
    try:
        ticket.caller_number = normalize_phone(number)
    except InvalidPhoneNumber as error:
        raise TicketError(str(error)) from None

    ticket.history.append(
        TicketHistory(
            at=utc_now(),
            from_status=ticket.status,
            to_status=ticket.status,
            note=NOTE_CALLER_NUMBER,
        )
    )
    session.flush()
    ticket_logger(session, ticket).info(
        "ticket %s: caller number %s typed by the caller",
        ticket.tracking_code,
        mask_phone(ticket.caller_number),
    )
    return ticket


def find_by_tracking_code(session: Session, code: str | None) -> Ticket | None:
    """The ticket of a code as typed (any digits, separators); None if none.

    A code failing its check digit is not looked up at all.
    """
    if not is_valid_tracking_code(code):
        return None
    code = normalize_tracking_code(code)
    return session.scalar(select(Ticket).where(Ticket.tracking_code == code))


def _lock(session: Session, ticket: Ticket) -> None:
    # Two agents changing one ticket: the second one sees the first one's
    # status before the workflow check, not the status its page showed.
    if ticket in session and ticket.id is not None:
        session.refresh(ticket, with_for_update=True)


def change_status(
    session: Session,
    ticket: Ticket,
    target: TicketStatus | str,
    *,
    user: User | None = None,
    note: str = "",
    settings: Settings | None = None,
) -> TicketHistory:
    """Move the ticket to target; IllegalTransition if the workflow forbids.

    The caller's SMS about it is recorded in this transaction and queued
    once it commits, whoever changes the status (console, CLI, a job).
    """
    _lock(session, ticket)
    current = ticket.status
    goal = check_transition(current, target)

    now = utc_now()
    entry = TicketHistory(
        at=now,
        from_status=current,
        to_status=goal,
        note=normalize_text(note),
        user_id=user.id if user is not None else None,
    )
    ticket.history.append(entry)
    ticket.status = goal
    ticket.status_changed_at = now
    session.flush()

    log = ticket_logger(session, ticket)
    log.info(
        "ticket %s: %s -> %s by %s",
        ticket.tracking_code,
        current,
        goal.value,
        user.username if user is not None else "system",
    )

    notice = record_notification(
        session, ticket, NotificationKind.STATUS_CHANGED, settings
    )
    uniqueid = log.extra["uniqueid"]
    enqueue_after_commit(
        session, notice, settings, None if uniqueid == "-" else uniqueid
    )
    return entry


def add_note(
    session: Session, ticket: Ticket, note: str, user: User | None
) -> TicketHistory:
    """A note on the ticket without a status change."""
    text = normalize_text(note)
    if not text:
        raise TicketError("the note is empty")

    _lock(session, ticket)
    entry = TicketHistory(
        at=utc_now(),
        from_status=ticket.status,
        to_status=ticket.status,
        note=text,
        user_id=user.id if user is not None else None,
    )
    ticket.history.append(entry)
    session.flush()
    return entry


def set_description(session: Session, ticket: Ticket, text: str) -> Ticket:
    """The ticket's text (an agent's summary, later a transcript), normalized."""
    ticket.description = normalize_text(text)
    session.flush()
    return ticket


def caller_may_hear_status(
    ticket: Ticket, caller_id: str | None, last_four: str | None = None
) -> bool:
    """Whether the status may be read to this caller.

    Yes when the call comes from the number that filed the ticket, or when
    the caller typed the last four digits of that number.
    """
    filed_by = phone_or_none(ticket.caller_number)
    if not filed_by:
        return False

    calling = phone_or_none(caller_id)
    if calling is not None and hmac.compare_digest(calling, filed_by):
        return True

    if last_four is None:
        return False
    typed = normalize_digits(last_four).strip()
    if len(typed) != 4 or not (typed.isascii() and typed.isdigit()):
        return False
    return hmac.compare_digest(typed, filed_by[-4:])
