"""A request left in the IVR records its SMS notification and queues it
after the ticket is committed; Redis down costs the caller nothing."""

from __future__ import annotations

import dataclasses
import logging

from rq import Queue

from callcenter.config import use_settings
from ticketing.models import Notification, NotificationKind, NotificationState

from .conftest import CALLER, make_wav


def notifications_of(ivr_server, ticket_id: int) -> list[Notification]:
    with ivr_server.session() as session:
        return session.query(Notification).filter_by(ticket_id=ticket_id).all()


def notify_jobs(ivr_server, redis_conn):
    queue = Queue(ivr_server.settings.rq_queue, connection=redis_conn)
    return [job for job in queue.jobs if job.func_name.endswith("notify")]


def test_a_request_queues_its_notification(ivr_server, redis_conn):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2)

    heard = ivr_server.dial("leave_request", [f"record:{wav}", "#"])

    [ticket] = heard.tickets
    [row] = notifications_of(ivr_server, ticket.id)
    assert row.kind == NotificationKind.TICKET_CREATED
    assert row.recipient == CALLER
    assert row.state == NotificationState.PENDING
    persian_code = ticket.tracking_code.translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    )
    assert f"کد پیگیری: {persian_code}" in row.text
    [job] = notify_jobs(ivr_server, redis_conn)
    assert job.args == (row.id,)


def test_a_withheld_caller_gets_it_at_the_number_typed(ivr_server, redis_conn):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2)

    heard = ivr_server.dial(
        "leave_request",
        [f"record:{wav}", "#", "09125551234#"],
        caller="anonymous",
    )

    [row] = notifications_of(ivr_server, heard.tickets[0].id)
    assert row.recipient == "09125551234"
    assert len(notify_jobs(ivr_server, redis_conn)) == 1


def test_a_withheld_caller_without_a_number_gets_none(ivr_server, redis_conn):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2)

    heard = ivr_server.dial(
        "leave_request", [f"record:{wav}", "#", "wait"], caller="anonymous"
    )

    assert notifications_of(ivr_server, heard.tickets[0].id) == []
    assert notify_jobs(ivr_server, redis_conn) == []


def test_redis_down_the_caller_still_hears_the_code(ivr_server, caplog):
    down = dataclasses.replace(ivr_server.settings, redis_url="redis://127.0.0.1:1/0")
    use_settings(down)
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2)

    with caplog.at_level(logging.WARNING, logger="ticketing.notifications"):
        heard = ivr_server.dial(
            "leave_request", [f"record:{wav}", "#"], uniqueid="1733399999.5"
        )

    assert heard.prompts[-1] == "general/goodbye"
    assert "request/your_code" in heard.prompts
    [row] = notifications_of(ivr_server, heard.tickets[0].id)
    assert row.state == NotificationState.PENDING
    assert "call 1733399999.5: notification" in caplog.text
    assert "left pending" in caplog.text
