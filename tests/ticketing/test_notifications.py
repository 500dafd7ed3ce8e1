"""SMS notifications: texts, the job on a real rq worker, gateways."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rq import Queue
from rq.registry import ScheduledJobRegistry

from callcenter.config import use_settings
from callcenter.persian import PERSIAN_DIGITS
from ticketing import notifications
from ticketing.calls import start_call
from ticketing.cli import commands
from ticketing.db import session_scope
from ticketing.jobs import run_worker
from ticketing.models import Notification, NotificationKind, NotificationState
from ticketing.notifications import (
    compose_text,
    enqueue_notification,
    is_mobile,
    notify,
    record_notification,
    requeue_pending_notifications,
)
from ticketing.service import create_voice_request
from ticketing.workflow import TicketStatus

from .. import sms_gateway

MOBILE = "09121112233"
UNIQUEID = "1700000500.7"


def with_gateway(settings, spec: str):
    current = dataclasses.replace(settings, sms_gateway=spec)
    use_settings(current)
    return current


def new_notification(db, settings, phone=MOBILE, uniqueid=None):
    """A voice request and its ticket_created notification; (id, code)."""
    with session_scope(db) as session:
        call_id = None
        if uniqueid:
            call = start_call(session, uniqueid, "PJSIP/x", phone)
            session.flush()
            call_id = call.id
        ticket = create_voice_request(
            session,
            call_id=call_id,
            caller_number=phone,
            spool_path=f"{settings.recording_spool_dir}/x.wav",
            seconds=2,
        )
        notice = record_notification(
            session, ticket, NotificationKind.TICKET_CREATED, settings
        )
        code = ticket.tracking_code
    return notice, code


def load(db, notification_id) -> Notification:
    with session_scope(db) as session:
        return session.get(Notification, notification_id)


# Texts ------------------------------------------------------------------------


def test_created_text_has_the_office_and_the_code_in_persian_digits():
    text = compose_text(
        NotificationKind.TICKET_CREATED, "4012345678", TicketStatus.NEW, "اداره ثبت"
    )

    assert text == "اداره ثبت\nدرخواست شما ثبت شد. کد پیگیری: ۴۰۱۲۳۴۵۶۷۸"


def test_status_text_names_the_status_as_agents_see_it():
    text = compose_text(
        NotificationKind.STATUS_CHANGED,
        "4012345678",
        TicketStatus.WAITING_FOR_CITIZEN,
        "اداره ثبت",
    )

    assert "«در انتظار پاسخ شما»" in text
    assert "۴۰۱۲۳۴۵۶۷۸" in text
    assert not any(ch.isascii() and ch.isdigit() for ch in text)


def test_the_default_office_name_is_persian(settings):
    assert settings.office_name == "مرکز تماس اداره"
    assert settings.sms_gateway == ""


@pytest.mark.parametrize(
    ("phone", "mobile"),
    [
        ("09121112233", True),
        ("02188776655", False),
        ("0912111223", False),
        ("00441234567890", False),
        ("", False),
        (None, False),
    ],
)
def test_only_mobile_numbers_get_sms(phone, mobile):
    assert is_mobile(phone) is mobile


def test_a_landline_is_skipped_with_its_reason(db, settings, redis_conn):
    notice, _ = new_notification(db, settings, phone="02188776655")

    assert notice is None
    assert enqueue_notification(notice, settings) is None
    with session_scope(db) as session:
        [row] = session.query(Notification).all()
        assert row.state == NotificationState.SKIPPED
        assert "mobile" in row.error
    assert Queue(settings.rq_queue, connection=redis_conn).count == 0


def test_no_number_no_notification(db, settings):
    notice, _ = new_notification(db, settings, phone=None)

    assert notice is None
    with session_scope(db) as session:
        assert session.query(Notification).count() == 0


# The job ----------------------------------------------------------------------


def test_without_a_gateway_it_is_kept_as_no_gateway_logged_once(
    db, settings, caplog, monkeypatch
):
    monkeypatch.setattr(notifications, "_no_gateway_logged", False)
    first, _ = new_notification(db, settings)
    second, _ = new_notification(db, settings, phone="09351112233")

    with caplog.at_level(logging.DEBUG, logger="ticketing.notifications"):
        assert notify(first) == NotificationState.NO_GATEWAY
        assert notify(second) == NotificationState.NO_GATEWAY

    said = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [r.levelname for r in said] == ["INFO"]
    assert "no SMS gateway" in said[0].getMessage()
    row = load(db, first)
    assert row.state == NotificationState.NO_GATEWAY
    assert row.attempts == 0 and row.sent_at is None


def test_sent_once_even_when_run_twice(db, settings):
    settings = with_gateway(settings, "tests.sms_gateway:recording")
    notice, code = new_notification(db, settings)

    assert notify(notice) == NotificationState.SENT
    assert notify(notice) == NotificationState.SENT

    [message] = sms_gateway.read(settings)
    assert message["phone"] == MOBILE
    assert code not in message["text"]
    assert (
        code.translate(str.maketrans("0123456789", PERSIAN_DIGITS)) in (message["text"])
    )
    row = load(db, notice)
    assert row.attempts == 1 and row.sent_at is not None and row.error == ""


def test_a_failed_send_waits_scheduled_for_its_retry(db, settings, redis_conn):
    settings = with_gateway(settings, "tests.sms_gateway:failing")
    notice, _ = new_notification(db, settings)
    job_id = enqueue_notification(notice, settings)
    queue = Queue(settings.rq_queue, connection=redis_conn)

    assert run_worker(settings, burst=True) is True

    # The burst stopped with the retry still waiting, not run back to back.
    row = load(db, notice)
    assert row.state == NotificationState.PENDING
    assert row.attempts == 1
    job = queue.fetch_job(job_id)
    assert job.get_status() == "scheduled"
    assert job.retries_left == len(settings.notification_retry_intervals) - 1
    assert job_id in ScheduledJobRegistry(queue=queue).get_job_ids()
    assert queue.count == 0


def test_a_failing_gateway_ends_failed_after_the_retries(
    db, settings, redis_conn, tmp_path
):
    settings = with_gateway(settings, "tests.sms_gateway:failing")
    notice, _ = new_notification(db, settings)
    job_id = enqueue_notification(notice, settings)
    queue = Queue(settings.rq_queue, connection=redis_conn)
    log_path = tmp_path / "worker.log"

    def settled():
        # The row is committed before rq records the job's end.
        status = queue.fetch_job(job_id).get_status()
        return status in ("failed", "finished")

    # The burst makes the first try; the retries wait for their time.
    assert run_worker(settings, burst=True) is True
    with running_worker(settings, log_path) as worker:
        wait_until(settled, worker, log_path)

    tries = 1 + len(settings.notification_retry_intervals)
    assert len(sms_gateway.read(settings, sms_gateway.ATTEMPTS)) == tries
    row = load(db, notice)
    assert row.state == NotificationState.FAILED
    assert row.attempts == tries
    assert "503" in row.error
    job = Queue(settings.rq_queue, connection=redis_conn).fetch_job(job_id)
    assert job.get_status() == "failed"


# A running worker ---------------------------------------------------------------

# Each rq worker that stops may hang up to 60 s in redis-py's pubsub thread
# (see the note in test_jobs.py), so tests that wait for retries start one
# `callcenter worker`, poll the rows, and stop it once.


def worker_environ(settings) -> dict[str, str]:
    """The environment of a `callcenter worker` on this test's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    names = (
        "data_dir",
        "database_url",
        "redis_url",
        "recording_spool_dir",
        "secret_key",
        "sms_gateway",
        "notification_retry_seconds",
        "recording_retry_seconds",
    )
    env.update({f"CALLCENTER_{n.upper()}": str(getattr(settings, n)) for n in names})
    # The worker imports the test gateway from tests/.
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


@contextlib.contextmanager
def running_worker(settings, log_path: Path):
    """`callcenter worker` (not burst, so its scheduler runs) until the end
    of the block; stopped by its pid, SIGKILL if SIGTERM is not enough."""
    command = Path(sys.executable).with_name("callcenter")
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [str(command), "worker"],
            env=worker_environ(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(10)
                except subprocess.TimeoutExpired:
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait(5)


def wait_until(done, worker, log_path: Path, deadline_seconds: float = 60) -> None:
    """Poll done() until it holds; fail if the worker died or time ran out."""
    deadline = time.monotonic() + deadline_seconds
    while not done():
        assert worker.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()[-3000:]
        time.sleep(0.1)


def test_a_running_worker_sends_it_on_the_retry_after_an_outage(
    db, settings, redis_conn, tmp_path
):
    settings = with_gateway(settings, "tests.sms_gateway:flaky")
    notice, _ = new_notification(db, settings)
    enqueue_notification(notice, settings)
    log_path = tmp_path / "worker.log"

    with running_worker(settings, log_path) as worker:
        wait_until(
            lambda: load(db, notice).state != NotificationState.PENDING,
            worker,
            log_path,
        )

    row = load(db, notice)
    assert row.state == NotificationState.SENT
    assert row.attempts == 2
    assert row.error == ""
    assert len(sms_gateway.read(settings, sms_gateway.ATTEMPTS)) == 2
    assert len(sms_gateway.read(settings)) == 1


def test_a_gateway_that_cannot_be_loaded_fails_at_once(db, settings, caplog):
    settings = with_gateway(settings, "tests.no_such_module:gateway")
    notice, _ = new_notification(db, settings)

    with caplog.at_level(logging.ERROR, logger="ticketing.notifications"):
        assert notify(notice) == NotificationState.FAILED

    row = load(db, notice)
    assert "tests.no_such_module:gateway" in row.error
    assert row.attempts == 0
    assert "tests.no_such_module" in caplog.text


def test_log_lines_carry_the_uniqueid_and_no_full_number(db, settings, caplog):
    settings = with_gateway(settings, "tests.sms_gateway:recording")
    notice, _ = new_notification(db, settings, uniqueid=UNIQUEID)

    with caplog.at_level(logging.INFO, logger="ticketing.notifications"):
        notify(notice)

    lines = [
        r.getMessage() for r in caplog.records if r.name == "ticketing.notifications"
    ]
    assert lines
    assert all(line.startswith(f"call {UNIQUEID}: ") for line in lines)
    assert MOBILE not in caplog.text
    assert "2233" not in caplog.text
    assert "*********33" in caplog.text


# Redis down -------------------------------------------------------------------


def test_redis_down_leaves_it_pending_for_the_requeue(db, settings, redis_conn, caplog):
    settings = with_gateway(settings, "tests.sms_gateway:recording")
    notice, _ = new_notification(db, settings, uniqueid=UNIQUEID)
    down = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")

    with caplog.at_level(logging.WARNING, logger="ticketing.notifications"):
        assert enqueue_notification(notice, down, UNIQUEID) is None
    assert "left pending" in caplog.text
    assert f"call {UNIQUEID}: " in caplog.text
    assert load(db, notice).state == NotificationState.PENDING

    with session_scope(db) as session:
        assert requeue_pending_notifications(session, settings) == 1
    [job] = Queue(settings.rq_queue, connection=redis_conn).get_jobs()
    assert job.args == (notice,)
    assert job.func(*job.args) == NotificationState.SENT


def test_worker_command_requeues_pending_notifications(db, settings, redis_conn):
    settings = with_gateway(settings, "tests.sms_gateway:recording")
    notice, _ = new_notification(db, settings)
    group = click.Group("callcenter", commands={c.name: c for c in commands})

    result = CliRunner().invoke(
        group, ["worker", "--burst", "--requeue-pending"], catch_exceptions=False
    )

    assert result.exit_code == 0, result.output
    assert "1 pending notifications queued" in result.output
    assert load(db, notice).state == NotificationState.SENT
    assert len(sms_gateway.read(settings)) == 1


def test_a_gateway_that_refuses_its_settings_fails_with_the_reason(db, settings):
    settings = with_gateway(settings, "tests.sms_gateway:unconfigured")
    notice, _ = new_notification(db, settings)

    assert notify(notice) == NotificationState.FAILED

    assert "CALLCENTER_SMS_API_KEY is not set" in load(db, notice).error


def test_every_status_change_records_its_sms_and_queues_it_after_commit(
    db, settings, redis_conn
):
    from ticketing.models import Ticket
    from ticketing.service import change_status

    queue = Queue(settings.rq_queue, connection=redis_conn)
    ticket_id = new_notification(db, settings)[0]
    with session_scope(db) as session:
        ticket_id = session.get(Notification, ticket_id).ticket_id

    # Not through the console: a CLI or a job changes the status the same way.
    with session_scope(db) as session:
        change_status(session, session.get(Ticket, ticket_id), TicketStatus.IN_PROGRESS)
        assert queue.count == 0  # not before the commit
    [job] = queue.jobs

    with session_scope(db) as session:
        rows = session.query(Notification).filter_by(ticket_id=ticket_id).all()
        changed = [row for row in rows if row.kind == NotificationKind.STATUS_CHANGED]
    assert [job.args] == [(changed[0].id,)]

    # A change that is rolled back queues nothing.
    with pytest.raises(RuntimeError), session_scope(db) as session:
        change_status(session, session.get(Ticket, ticket_id), TicketStatus.RESOLVED)
        raise RuntimeError("rolled back")
    assert queue.count == 1
