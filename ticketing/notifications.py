"""SMS to citizens about their requests: a ticket made, a status changed.

The row is written in the same transaction as the event (so a committed
status change always has its notification), the rq job `notify` is queued
only after that commit, and the job sends the text through the gateway
named by settings.sms_gateway. If Redis is down the row stays `pending` and
`callcenter worker --requeue-pending` queues it again.

No gateway is built in yet (roadmap item 4): with sms_gateway empty every
notification ends as `no_gateway`, so the rows show what would have been
sent. Only Iranian mobile numbers (09xxxxxxxxx) can get an SMS; a landline
or foreign number is recorded as `skipped` with the reason in `error`.

A failed send is tried again after each wait of
settings.notification_retry_seconds (30 s, 2 min, 10 min by default), then
the row ends `failed`; between tries it stays `pending`.

Known shortcomings: a gateway outage longer than the sum of the waits still
ends in `failed`, and nothing sends it later (a `failed` row is not
requeued). A send that succeeded just before the worker died is sent again
on the retry (at least once, not exactly once). `worker --requeue-pending`
also queues a row that is only waiting for its retry, so that row gets an
extra try at once (its lock keeps the two from sending together).
"""

from __future__ import annotations

import importlib
import logging
import re
from typing import Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from callcenter.config import Settings, get_settings
from callcenter.jalali import utc_now
from callcenter.logs import call_logger
from callcenter.persian import mask_phone, to_persian_digits
from ticketing.db import session_scope
from ticketing.jobs import enqueue, will_be_retried
from ticketing.models import (
    Call,
    Notification,
    NotificationKind,
    NotificationState,
    Ticket,
)
from ticketing.workflow import CITIZEN_STATUS_LABELS, TicketStatus

logger = logging.getLogger(__name__)

ERROR_MAX_CHARS = 500

MOBILE_NUMBER = re.compile(r"09\d{9}")
NOT_MOBILE = "not a mobile number; SMS goes to 09xxxxxxxxx only"


class Gateway(Protocol):
    """Whatever sends an SMS. send raises GatewayError (or any exception)
    when the message was not accepted; returning means it was."""

    def send(self, phone: str, text: str) -> None: ...


class GatewayError(Exception):
    """The gateway did not take the message; worth another try."""


class GatewaySettingError(Exception):
    """settings.sms_gateway names nothing that can be loaded."""


# Text -----------------------------------------------------------------------


def is_mobile(phone: str | None) -> bool:
    return bool(phone) and MOBILE_NUMBER.fullmatch(phone) is not None


def compose_text(
    kind: NotificationKind | str,
    tracking_code: str,
    status: TicketStatus | str,
    office_name: str,
) -> str:
    """The Persian SMS for the citizen, digits in Persian."""
    code = to_persian_digits(tracking_code)
    if kind == NotificationKind.TICKET_CREATED:
        body = f"درخواست شما ثبت شد. کد پیگیری: {code}"
    elif kind == NotificationKind.STATUS_CHANGED:
        label = CITIZEN_STATUS_LABELS[TicketStatus(status)]
        body = f"وضعیت درخواست شما با کد پیگیری {code}: «{label}»"
    else:
        raise ValueError(f"unknown notification kind {kind!r}")
    return f"{office_name}\n{body}"


# Gateway --------------------------------------------------------------------

# The worker's parent process says once that no gateway is set; the work
# horses it forks inherit the flag and stay quiet.
_no_gateway_logged = False


def load_gateway(settings: Settings) -> Gateway | None:
    """The gateway of settings.sms_gateway ("module:callable", called with
    the settings), or None when the setting is empty."""
    spec = settings.sms_gateway.strip()
    if not spec:
        return None

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise GatewaySettingError(
            f"sms_gateway: expected module:callable, got {spec!r}"
        )
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise GatewaySettingError(f"sms_gateway {spec!r}: {error}") from None
    try:
        return factory(settings)
    except Exception as error:  # e.g. a gateway missing its credentials
        raise GatewaySettingError(f"sms_gateway {spec!r}: {error}") from error


def announce_gateway(settings: Settings) -> None:
    """Log, once per process, that notifications are not being sent."""
    global _no_gateway_logged
    if settings.sms_gateway.strip() or _no_gateway_logged:
        return
    _no_gateway_logged = True
    logger.info("no SMS gateway configured (sms_gateway); notifications kept only")


# Recording the event ----------------------------------------------------------


def record_notification(
    session: Session,
    ticket: Ticket,
    kind: NotificationKind,
    settings: Settings | None = None,
) -> int | None:
    """Add the notification of an event to the caller's transaction.

    Returns its id, to pass to enqueue_notification after the commit, or
    None when there is nothing to send (no number, or not a mobile one)."""
    settings = settings or get_settings()
    phone = ticket.caller_number
    if not phone:
        return None

    notification = Notification(
        ticket_id=ticket.id,
        kind=kind,
        recipient=phone,
        text=compose_text(
            kind, ticket.tracking_code, ticket.status, settings.office_name
        ),
        state=NotificationState.PENDING,
        attempts=0,
        created_at=utc_now(),
        error="",
    )
    if not is_mobile(phone):
        notification.state = NotificationState.SKIPPED
        notification.error = NOT_MOBILE
    session.add(notification)
    session.flush()

    if notification.state == NotificationState.SKIPPED:
        return None
    return notification.id


# Queueing ---------------------------------------------------------------------

# session.info keys: notifications to queue when the transaction commits.
_TO_QUEUE = "notifications_to_queue"
_HOOKED = "notifications_hooked"


def enqueue_after_commit(
    session: Session,
    notification_id: int | None,
    settings: Settings | None = None,
    uniqueid: str | None = None,
) -> None:
    """enqueue_notification once the session's transaction commits (the
    worker must find the row); forgotten if it rolls back."""
    if notification_id is None:
        return
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _enqueue_committed)
        event.listen(session, "after_rollback", _forget_rolled_back)
        session.info[_HOOKED] = True
    session.info.setdefault(_TO_QUEUE, []).append((notification_id, settings, uniqueid))


def _enqueue_committed(session: Session) -> None:
    for notification_id, settings, uniqueid in session.info.pop(_TO_QUEUE, []):
        enqueue_notification(notification_id, settings, uniqueid)


def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_TO_QUEUE, None)


def enqueue_notification(
    notification_id: int | None,
    settings: Settings | None = None,
    uniqueid: str | None = None,
) -> str | None:
    """Queue notify after the commit; the job id, or None if there was
    nothing to queue or Redis is unreachable (the row then stays pending)."""
    if notification_id is None:
        return None

    settings = settings or get_settings()
    return enqueue(
        settings,
        notify,
        notification_id,
        retry_waits=settings.notification_retry_intervals,
        subject=f"notification {notification_id}",
        log=call_logger(logger, uniqueid or "-"),
    )


def requeue_pending_notifications(
    session: Session, settings: Settings | None = None
) -> int:
    """Queue every notification still pending; how many were."""
    rows = session.execute(
        select(Notification.id, Call.uniqueid)
        .join(Ticket, Notification.ticket_id == Ticket.id)
        .outerjoin(Call, Ticket.call_id == Call.id)
        .where(Notification.state == NotificationState.PENDING)
        .order_by(Notification.id)
    ).all()
    queued = sum(
        1
        for notification_id, uniqueid in rows
        if enqueue_notification(notification_id, settings, uniqueid)
    )
    logger.info("requeued %d of %d pending notifications", queued, len(rows))
    return queued


# The job ----------------------------------------------------------------------


def notify(notification_id: int) -> str:
    """Send one notification; returns its state. Raises when the gateway
    failed, so that rq retries (Retry on the job) and finally fails it."""
    settings = get_settings()

    with session_scope(settings.sqlalchemy_url) as session:
        # Locked while sending: a requeued twin waits, then sees `sent`.
        notification = session.get(Notification, notification_id, with_for_update=True)
        if notification is None:
            logger.warning("notification %s does not exist", notification_id)
            return "no_notification"
        if notification.state != NotificationState.PENDING:
            return notification.state

        from ticketing.service import ticket_logger

        log = ticket_logger(session, notification.ticket, logger)
        failure = _send(session, settings, notification, log)
        state = notification.state

    if failure is not None:
        raise failure
    return state


def _send(session, settings, notification, log) -> Exception | None:
    """One attempt; records the outcome on the row. The exception to raise
    after the commit, if the gateway failed."""
    name = f"notification {notification.id} ({notification.kind})"
    phone = mask_phone(notification.recipient)

    if not is_mobile(notification.recipient):
        notification.state = NotificationState.SKIPPED
        notification.error = NOT_MOBILE
        log.info("%s to %s skipped: %s", name, phone, NOT_MOBILE)
        return None

    try:
        gateway = load_gateway(settings)
    except GatewaySettingError as error:
        # Retrying cannot mend a setting; say so loudly and stop.
        notification.state = NotificationState.FAILED
        notification.error = str(error)[:ERROR_MAX_CHARS]
        log.error("%s not sent: %s", name, error)
        return None

    if gateway is None:
        announce_gateway(settings)
        notification.state = NotificationState.NO_GATEWAY
        log.debug("%s to %s kept: no gateway", name, phone)
        return None

    notification.attempts += 1
    try:
        gateway.send(notification.recipient, notification.text)
    except Exception as error:  # a gateway's failure, whatever its type
        notification.error = f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
        if will_be_retried():
            log.warning(
                "%s to %s: attempt %d failed (%s); retrying",
                name,
                phone,
                notification.attempts,
                error,
            )
        else:
            notification.state = NotificationState.FAILED
            log.error(
                "%s to %s failed after %d attempts: %s",
                name,
                phone,
                notification.attempts,
                error,
            )
        return error

    notification.state = NotificationState.SENT
    notification.sent_at = utc_now()
    notification.error = ""
    log.info("%s sent to %s", name, phone)
    return None
