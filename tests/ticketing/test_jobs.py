"""Recording jobs on the real Redis with a real rq worker in burst mode."""

from __future__ import annotations

import dataclasses
import logging
import struct
import wave

import pytest
from rq import Queue

from ticketing.db import session_scope
from ticketing.jobs import (
    enqueue_recording,
    process_recording,
    requeue_pending,
    run_worker,
)

# A note on time: with rq 3.0.0 and redis 8.2.0 a burst worker can take up to
# 60 s to stop (rq's pubsub thread waits out its 60 s poll in redis-py's
# PubSubWorkerThread.stop, which now joins without a timeout). Reported;
# these tests start as few workers as they can.
from ticketing.models import RecordingState, Ticket
from ticketing.service import create_voice_request


def write_wav(path, seconds, rate=8000, channels=1):
    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        sample = struct.pack("<h", 1000) * channels
        audio.writeframes(sample * frames)


def make_ticket(db, settings, name="1700000200.1-1"):
    with session_scope(db) as session:
        ticket = create_voice_request(
            session,
            call_id=None,
            caller_number="09121112233",
            spool_path=f"{settings.recording_spool_dir}/{name}.wav",
            seconds=0,
        )
    return ticket.id, ticket.tracking_code, settings.spool_local_path / f"{name}.wav"


def load(db, ticket_id):
    with session_scope(db) as session:
        return session.get(Ticket, ticket_id)


def test_worker_moves_the_recording(db, settings, redis_conn):
    ticket_id, code, spooled = make_ticket(db, settings)
    write_wav(spooled, 1.5)

    job_id = enqueue_recording(ticket_id, settings)
    assert job_id is not None
    assert run_worker(settings, burst=True) is True

    ticket = load(db, ticket_id)
    assert ticket.recording_state == RecordingState.READY
    assert ticket.recording_seconds == pytest.approx(1.5)
    stored = settings.recordings_path / ticket.recording_path.split("/recordings/")[1]
    assert stored.name == f"{code}.wav"
    assert stored.parent.parent.parent == settings.recordings_path
    assert stored.exists() and not spooled.exists()
    job = Queue(settings.rq_queue, connection=redis_conn).fetch_job(job_id)
    assert job.get_status() == "finished"

    # A second run changes nothing.
    assert process_recording(ticket_id) == RecordingState.READY
    assert load(db, ticket_id).recording_path == ticket.recording_path


def test_a_recording_job_retries_after_the_recording_waits(db, settings, redis_conn):
    ticket_id, _, _ = make_ticket(db, settings)
    settings = dataclasses.replace(settings, recording_retry_seconds="10,60")

    job_id = enqueue_recording(ticket_id, settings)

    job = Queue(settings.rq_queue, connection=redis_conn).fetch_job(job_id)
    assert job.retries_left == 2
    assert job.retry_intervals == [10, 60]


def test_no_recording_waits_no_retry(db, settings, redis_conn):
    ticket_id, _, _ = make_ticket(db, settings)
    settings = dataclasses.replace(settings, recording_retry_seconds="")

    job_id = enqueue_recording(ticket_id, settings)

    job = Queue(settings.rq_queue, connection=redis_conn).fetch_job(job_id)
    assert not job.retries_left


def test_other_formats_are_converted_with_sox(db, settings):
    ticket_id, _, spooled = make_ticket(db, settings, "1700000200.2-1")
    write_wav(spooled, 2.0, rate=16000, channels=2)

    assert process_recording(ticket_id) == RecordingState.READY

    ticket = load(db, ticket_id)
    with wave.open(ticket.recording_path, "rb") as audio:
        assert audio.getframerate() == 8000
        assert audio.getnchannels() == 1
        assert audio.getsampwidth() == 2
    assert ticket.recording_seconds == pytest.approx(2.0, abs=0.01)


def test_missing_file_is_marked_not_crashed(db, settings, caplog):
    ticket_id, code, _ = make_ticket(db, settings, "1700000200.3-1")

    with caplog.at_level(logging.WARNING, logger="ticketing.jobs"):
        assert process_recording(ticket_id) == RecordingState.MISSING

    assert load(db, ticket_id).recording_state == RecordingState.MISSING
    assert code in caplog.text


def test_a_late_file_is_taken_on_the_next_run(db, settings):
    ticket_id, _, spooled = make_ticket(db, settings, "1700000200.4-1")
    assert process_recording(ticket_id) == RecordingState.MISSING

    write_wav(spooled, 1.0)

    assert process_recording(ticket_id) == RecordingState.READY


def test_crash_after_commit_leaves_a_spool_file_the_next_run_removes(db, settings):
    ticket_id, _, spooled = make_ticket(db, settings, "1700000200.5-1")
    write_wav(spooled, 1.0)
    process_recording(ticket_id)
    write_wav(spooled, 1.0)  # as if the unlink had not happened

    assert process_recording(ticket_id) == RecordingState.READY
    assert not spooled.exists()


def test_unknown_ticket(db, settings):
    assert process_recording(424242) == "no_ticket"


def test_redis_down_leaves_the_ticket_pending(db, settings, redis_conn, caplog):
    ticket_id, _, spooled = make_ticket(db, settings, "1700000200.6-1")
    write_wav(spooled, 1.0)
    # Nothing listens on port 1 of this machine.
    down = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")

    with caplog.at_level(logging.WARNING, logger="ticketing.jobs"):
        assert enqueue_recording(ticket_id, down) is None
    assert "left pending" in caplog.text
    assert load(db, ticket_id).recording_state == RecordingState.PENDING

    with session_scope(db) as session:
        assert requeue_pending(session, settings) == 1
    [job] = Queue(settings.rq_queue, connection=redis_conn).get_jobs()
    assert job.args == (ticket_id,)
    # The worker itself is exercised above and in test_cli; run the job here.
    assert job.func(*job.args) == RecordingState.READY


def test_job_log_lines_carry_the_call_uniqueid(db, settings, caplog):
    from ticketing.calls import start_call

    with session_scope(db) as session:
        call = start_call(session, "1700000200.9", "PJSIP/x", "09121112233")
        session.flush()
        ticket = create_voice_request(
            session,
            call_id=call.id,
            caller_number="09121112233",
            spool_path=f"{settings.recording_spool_dir}/1700000200.9-1.wav",
            seconds=0,
        )
    ticket_id = ticket.id

    with caplog.at_level(logging.INFO, logger="ticketing.jobs"):
        process_recording(ticket_id)

    lines = [r.getMessage() for r in caplog.records if r.name == "ticketing.jobs"]
    assert lines
    assert all(line.startswith("call 1700000200.9: ") for line in lines)


def test_requeue_takes_a_missing_recording_whose_file_came_late(
    db, settings, redis_conn
):
    ticket_id, _, spooled = make_ticket(db, settings, "1700000200.7-1")
    assert process_recording(ticket_id) == RecordingState.MISSING
    write_wav(spooled, 1.0)

    with session_scope(db) as session:
        assert requeue_pending(session, settings) == 1
    [job] = Queue(settings.rq_queue, connection=redis_conn).get_jobs()

    assert job.func(*job.args) == RecordingState.READY


def test_the_ticket_row_is_not_locked_while_the_file_is_stored(
    db, settings, monkeypatch
):
    import ticketing.jobs as jobs

    ticket_id, _, spooled = make_ticket(db, settings, "1700000200.8-1")
    write_wav(spooled, 1.0)
    store = jobs.store_recording
    seen = []

    def store_while_another_locks_the_row(source, target):
        # NOWAIT fails at once if process_recording held the row lock.
        with session_scope(db) as other:
            row = other.get(Ticket, ticket_id, with_for_update={"nowait": True})
            seen.append(row.recording_state)
        return store(source, target)

    monkeypatch.setattr(jobs, "store_recording", store_while_another_locks_the_row)

    assert process_recording(ticket_id) == RecordingState.READY
    assert seen == [RecordingState.PENDING]


def test_a_file_that_cannot_be_stored_is_retried_then_marked_failed(
    db, settings, caplog, monkeypatch
):
    import ticketing.jobs as jobs

    ticket_id, code, spooled = make_ticket(db, settings, "1700000200.9-1")
    spooled.parent.mkdir(parents=True, exist_ok=True)
    spooled.write_bytes(b"RIFF" + b"\0" * 40 + b"not audio")

    # While the job has retries left, the error goes to rq, which retries.
    monkeypatch.setattr(jobs, "will_be_retried", lambda: True)
    with pytest.raises(Exception):  # noqa: B017 - whatever sox raised
        process_recording(ticket_id)
    assert load(db, ticket_id).recording_state == RecordingState.PENDING

    # The last try: the ticket says so instead of "pending" for ever.
    monkeypatch.setattr(jobs, "will_be_retried", lambda: False)
    with caplog.at_level(logging.ERROR, logger="ticketing.jobs"):
        assert process_recording(ticket_id) == RecordingState.FAILED

    assert load(db, ticket_id).recording_state == RecordingState.FAILED
    assert code in caplog.text
    assert spooled.exists()

    # An admin's requeue tries it again; a good file then gets stored.
    write_wav(spooled, 1.5)
    assert process_recording(ticket_id) == RecordingState.READY
