"""A status change in the console reaches the citizen as an SMS, through a
real rq worker on the test Redis and the test-only gateway."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from rq import Queue

from callcenter.config import use_settings
from tests import sms_gateway
from tests.web.conftest import csrf_token, login, make_ticket
from ticketing.calls import start_call
from ticketing.db import session_scope
from ticketing.jobs import run_worker
from ticketing.models import Notification, NotificationKind, NotificationState, Ticket

CITIZEN = "09121234567"
UNIQUEID = "1700000600.3"


def configured(settings, **changes):
    current = dataclasses.replace(settings, **changes)
    use_settings(current)
    return current


def signed_in(settings, users):
    from web_console import create_app

    client = create_app(settings).test_client()
    assert login(client, users["agent"]).status_code == 302
    return client


def post_status(client, ticket_id: int, target: str):
    token = csrf_token(client, f"/tickets/{ticket_id}")
    return client.post(
        f"/tickets/{ticket_id}/status",
        data={"csrf_token": token, "target": target, "note": ""},
    )


def notifications_of(url: str, ticket_id: int) -> list[Notification]:
    with session_scope(url) as session:
        return (
            session.query(Notification)
            .filter_by(ticket_id=ticket_id)
            .order_by(Notification.id)
            .all()
        )


def test_status_change_is_sent_by_the_worker(db, settings, users, redis_conn):
    settings = configured(
        settings, sms_gateway="tests.sms_gateway:recording", office_name="اداره ثبت"
    )
    client = signed_in(settings, users)
    ticket_id = make_ticket(db, caller=CITIZEN)
    with session_scope(db) as session:
        code = session.get(Ticket, ticket_id).tracking_code

    assert post_status(client, ticket_id, "in_progress").status_code == 302
    [row] = notifications_of(db, ticket_id)
    assert row.kind == NotificationKind.STATUS_CHANGED
    assert row.state == NotificationState.PENDING

    assert run_worker(settings, burst=True) is True

    [message] = sms_gateway.read(settings)
    persian_code = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert message == {
        "phone": CITIZEN,
        "text": (
            f"اداره ثبت\nوضعیت درخواست شما با کد پیگیری {persian_code}: «در حال بررسی»"
        ),
    }
    [row] = notifications_of(db, ticket_id)
    assert row.state == NotificationState.SENT
    assert row.text == message["text"]


def test_without_a_gateway_the_worker_marks_no_gateway(db, settings, users, redis_conn):
    client = signed_in(settings, users)
    ticket_id = make_ticket(db, caller=CITIZEN)

    post_status(client, ticket_id, "resolved")
    assert run_worker(settings, burst=True) is True

    [row] = notifications_of(db, ticket_id)
    assert row.state == NotificationState.NO_GATEWAY
    assert "«انجام شده»" in row.text


def test_a_failed_status_change_records_no_notification(
    db, settings, users, redis_conn
):
    client = signed_in(settings, users)
    ticket_id = make_ticket(db, caller=CITIZEN, status="closed")

    assert post_status(client, ticket_id, "in_progress").status_code in (400, 409)

    assert notifications_of(db, ticket_id) == []
    assert Queue(settings.rq_queue, connection=redis_conn).count == 0


@pytest.mark.parametrize("caller", ["02188776655", None])
def test_no_sms_without_a_mobile_number(db, settings, users, redis_conn, caller):
    client = signed_in(settings, users)
    ticket_id = make_ticket(db, caller=caller)

    assert post_status(client, ticket_id, "in_progress").status_code == 302

    rows = notifications_of(db, ticket_id)
    assert [row.state for row in rows] == (
        [NotificationState.SKIPPED] if caller else []
    )
    assert Queue(settings.rq_queue, connection=redis_conn).count == 0


def test_redis_down_keeps_the_status_change_and_leaves_it_pending(
    db, settings, users, caplog
):
    down = configured(settings, redis_url="redis://127.0.0.1:1/0")
    client = signed_in(down, users)
    with session_scope(db) as session:
        call = start_call(session, UNIQUEID, "PJSIP/x", CITIZEN)
        session.flush()
        call_id = call.id
    ticket_id = make_ticket(db, caller=CITIZEN, call_id=call_id)

    with caplog.at_level(logging.INFO):
        response = post_status(client, ticket_id, "in_progress")

    assert response.status_code == 302
    with session_scope(db) as session:
        assert session.get(Ticket, ticket_id).status == "in_progress"
    [row] = notifications_of(db, ticket_id)
    assert row.state == NotificationState.PENDING
    warned = [
        r.getMessage()
        for r in caplog.records
        if r.name == "ticketing.notifications" and r.levelno == logging.WARNING
    ]
    assert len(warned) == 1
    assert warned[0].startswith(f"call {UNIQUEID}: ")
    assert "left pending" in warned[0]
