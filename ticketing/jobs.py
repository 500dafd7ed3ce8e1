"""Background work on rq: moving voice messages out of Asterisk's spool.

The IVR makes the ticket and enqueues process_recording after its commit;
the call does not wait for the file work. If Redis is down the ticket stays
`pending` and `callcenter worker --requeue-pending` queues it again later.

process_recording is safe to run twice: the file is copied to its place
first, the row committed next, and the spool file removed last, so a crash
between steps leaves something the next run finishes. A job that raises
(an unreadable file, sox failing) is retried after the waits of
settings.recording_retry_seconds.

Known shortcoming: a file that is not in the spool yet (a slow share) is
marked `missing` at once, not retried after those waits; only `worker
--requeue-pending` looks again. Raising for it while retries are left
would give the share the waits' time.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import redis
from rq import Queue, Retry, Worker, get_current_job
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.config import Settings, get_settings
from callcenter.jalali import to_tehran
from callcenter.logs import call_logger
from ticketing.db import session_scope
from ticketing.models import Call, RecordingState, Ticket

logger = logging.getLogger(__name__)

# Recordings a job (and `worker --requeue-pending`) still works on.
WAITING_STATES = (
    RecordingState.PENDING,
    RecordingState.MISSING,
    RecordingState.FAILED,
)

# What Asterisk plays and the console serves: 8 kHz, 16-bit, mono PCM.
SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2
CHANNELS = 1
SOX_TIMEOUT_SECONDS = 120
REDIS_TIMEOUT_SECONDS = 3


class RecordingError(Exception):
    """A recording exists but cannot be read or converted."""


def _redis(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


# The job --------------------------------------------------------------------


def spool_file(settings: Settings, ticket: Ticket) -> Path:
    """Where this process finds the file Asterisk recorded for the ticket.

    Only the file name of the stored path is used: the row cannot send the
    worker to read a file outside the spool folder.
    """
    name = Path(ticket.recording_spool_path).name
    if not name.endswith(".wav"):
        name += ".wav"
    return settings.spool_local_path / name


def archive_file(settings: Settings, ticket: Ticket) -> Path:
    """recordings/<YYYY>/<MM>/<tracking code>.wav, by the Tehran creation date."""
    created = to_tehran(ticket.created_at)
    return (
        settings.recordings_path
        / f"{created.year:04d}"
        / f"{created.month:02d}"
        / f"{ticket.tracking_code}.wav"
    )


def _is_telephone_wav(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as audio:
            return (
                audio.getnchannels() == CHANNELS
                and audio.getsampwidth() == SAMPLE_WIDTH
                and audio.getframerate() == SAMPLE_RATE
                and audio.getcomptype() == "NONE"
            )
    except (wave.Error, EOFError):
        return False


def wav_seconds(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as audio:
            return audio.getnframes() / audio.getframerate()
    except (wave.Error, EOFError) as error:
        raise RecordingError(f"{path}: not a readable WAV file: {error}") from None


def _convert(source: Path, target: Path) -> None:
    sox = shutil.which("sox")
    if sox is None:
        raise RecordingError("sox is not installed; cannot convert the recording")
    command = [
        sox,
        str(source),
        "-r", str(SAMPLE_RATE),
        "-c", str(CHANNELS),
        "-b", str(SAMPLE_WIDTH * 8),
        "-e", "signed-integer",
        "-t", "wav",
        str(target),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=SOX_TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        raise RecordingError(f"sox failed on {source}: {result.stderr.strip()}")


def store_recording(source: Path, target: Path) -> float:
    """Put source at target as telephone WAV (atomically); its length in s."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=".incoming-", suffix=".wav"
    )
    os.close(handle)
    temporary = Path(temporary)
    try:
        if _is_telephone_wav(source):
            shutil.copyfile(source, temporary)
        else:
            _convert(source, temporary)
        seconds = wav_seconds(temporary)
        temporary.chmod(0o640)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return seconds


def process_recording(ticket_id: int) -> str:
    """Move a ticket's voice message into the archive; returns its new state.

    The row is locked only to read its state and to write the result, not
    while the file is copied or converted (sox may take minutes); two runs
    at once write the same archive file, and the second sees READY.
    """
    settings = get_settings()

    with session_scope(settings.sqlalchemy_url) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            logger.warning("recording job: ticket %s does not exist", ticket_id)
            return "no_ticket"
        state = ticket.recording_state
        source = spool_file(settings, ticket)
        target = archive_file(settings, ticket)
        archived = ticket.recording_path
        log = _ticket_log(session, ticket)
        code = ticket.tracking_code

    if state == RecordingState.READY:
        # Done before; only a spool file left by a crash may remain.
        if source.exists() and archived and Path(archived).exists():
            source.unlink(missing_ok=True)
        return state
    if state not in WAITING_STATES:
        return state

    try:
        seconds = store_recording(source, target) if source.is_file() else None
    except Exception as error:  # sox, a short read: whatever storing raised
        if will_be_retried():
            raise
        _mark_failed(settings, ticket_id, error, log, code)
        return RecordingState.FAILED

    with session_scope(settings.sqlalchemy_url) as session:
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket.recording_state == RecordingState.READY:
            state = ticket.recording_state
        elif seconds is None:
            log.warning(
                "ticket %s: recording %s not found; marked missing", code, source
            )
            ticket.recording_state = state = RecordingState.MISSING
        else:
            ticket.recording_path = str(target)
            ticket.recording_seconds = round(seconds, 2)
            ticket.recording_state = state = RecordingState.READY
            log.info("ticket %s: recording stored, %.1f s", code, seconds)

    # The row is committed; only now may the original go.
    if state == RecordingState.READY:
        source.unlink(missing_ok=True)
    return state


def _mark_failed(settings, ticket_id: int, error: Exception, log, code: str) -> None:
    """The last try failed: say so on the ticket, not `pending` for ever."""
    with session_scope(settings.sqlalchemy_url) as session:
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket.recording_state != RecordingState.READY:
            ticket.recording_state = RecordingState.FAILED
    log.error("ticket %s: recording not stored, giving up: %s", code, error)


def will_be_retried() -> bool:
    """Whether the rq job now running gets another try if it raises: rq
    takes one off retries_left only when it requeues, so a positive count
    while running means yes. False outside rq."""
    job = get_current_job()
    return job is not None and (job.retries_left or 0) > 0


def _ticket_log(session: Session, ticket: Ticket):
    from ticketing.service import ticket_logger

    return ticket_logger(session, ticket, logger)


# Queueing -------------------------------------------------------------------


def enqueue(
    settings: Settings, func, *args, retry_waits: tuple[int, ...], subject: str, log
) -> str | None:
    """Queue func(*args) on settings.rq_queue; the job id, or None when
    Redis cannot be reached: the row the job is for stays pending, and
    `worker --requeue-pending` queues it later. A job that raises is tried
    again once per wait in retry_waits (seconds), each after its wait.
    subject names the job in rq and in the log."""
    # rq schedules each retry; the worker's scheduler queues it when due.
    retry = None
    if retry_waits:
        retry = Retry(max=len(retry_waits), interval=list(retry_waits))

    connection = _redis(settings)
    try:
        job = Queue(settings.rq_queue, connection=connection).enqueue(
            func, *args, retry=retry, description=subject
        )
    except redis.RedisError as error:
        log.warning(
            "%s not queued, Redis unavailable (%s); left pending", subject, error
        )
        return None
    finally:
        connection.close()

    log.info("%s: job %s queued", subject, job.id)
    return job.id


def enqueue_recording(
    ticket_id: int, settings: Settings | None = None, uniqueid: str | None = None
) -> str | None:
    """Queue process_recording (see enqueue); uniqueid is the call's, for
    the log lines."""
    settings = settings or get_settings()
    return enqueue(
        settings,
        process_recording,
        ticket_id,
        retry_waits=settings.recording_retry_intervals,
        subject=f"recording of ticket {ticket_id}",
        log=call_logger(logger, uniqueid or "-"),
    )


def requeue_pending(session: Session, settings: Settings | None = None) -> int:
    """Queue every ticket whose recording is pending, missing or failed; how many
    were. A missing file may arrive late (a slow spool share); one that
    never comes costs a file check and a warning on each run."""
    ids = session.execute(
        select(Ticket.id, Call.uniqueid)
        .outerjoin(Call, Ticket.call_id == Call.id)
        .where(Ticket.recording_state.in_(WAITING_STATES))
        .order_by(Ticket.id)
    ).all()
    queued = sum(
        1
        for ticket_id, uniqueid in ids
        if enqueue_recording(ticket_id, settings, uniqueid)
    )
    logger.info("requeued %d of %d pending or missing recordings", queued, len(ids))
    return queued


def run_worker(settings: Settings, burst: bool = False) -> bool:
    """Work the queue; True if it ran any job.

    The worker runs rq's scheduler, which puts a failed job's retry back
    on the queue when its wait is over. Without burst it works until
    stopped. With burst it first queues the retries that are due, works
    until the queue is empty and stops: a retry still waiting stays in
    Redis (rq's ScheduledJobRegistry) for the next worker, burst or not,
    that starts after its time. Only one scheduler per queue runs; a burst
    beside a running worker leaves the retries to that worker's.
    """
    from ticketing.notifications import announce_gateway

    connection = redis.Redis.from_url(settings.redis_url)
    queue = Queue(settings.rq_queue, connection=connection)
    worker = Worker([queue], connection=connection)
    announce_gateway(settings)
    logger.info("worker %s on queue %s", worker.name, settings.rq_queue)
    return worker.work(
        burst=burst,
        with_scheduler=True,
        logging_level=settings.log_level.upper(),
    )
